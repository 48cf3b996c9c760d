package bosbase

// The generic call: the one hand-written primitive behind every operation. Each
// operation's method (operations_gen.go, generated from the core's operation table) is a
// call of runOp (or runClient) with the operation's name and its named arguments; the core
// builds the request, applies the auth-store effect and decodes errors.
//
// Every call, with a context or without, is bosbase_call_async: the core runs it on its
// worker pool and hands the outcome to a C callback, which passes it to the waiting
// goroutine through a channel named by a cgo.Handle (an integer: no Go pointer reaches C).
// The goroutine is parked on the channel, so a blocked call pins no OS thread (a blocking
// cgo call would: 256 slow calls cost 256 threads). If the context is done first, the
// goroutine calls bosbase_call_cancel, which either cancels the call (the callback then
// runs on this thread, before bosbase_call_cancel returns, with status CANCELLED, and an
// auth call saves nothing) or finds it already finished (the worker delivers the real
// outcome, which is returned). Either way exactly one outcome arrives and the handle is
// deleted exactly once: by the callback, or here when the call never started.

/*
#include <stdint.h>
#include "bosbase.h"

// Defined in callback.c: bosbase_call_async_with_files (files NULL: none) and
// bosbase_send_async (collection NULL: a server path) with the Go completion trampoline
// and `handle` (a cgo.Handle) as user_data.
BosbaseStatus bbgo_call_async(const BosbaseClient *client, const char *op, const char *args_json,
                              const char *options_json, const BosbaseFiles *files, uintptr_t handle,
                              BosbaseCall **call_out, char **error_out);
BosbaseStatus bbgo_send_async(const BosbaseClient *client, const char *collection, const char *path,
                              const char *options_json, uintptr_t handle, BosbaseCall **call_out,
                              char **error_out);
*/
import "C"

import (
	"context"
	"encoding/json"
	"runtime/cgo"
	"strings"
	"sync/atomic"
	"time"
)

// CallOptions are the optional parts of one Client.Call: body fields merged into the
// JSON body (named arguments win over the same field), query parameters, headers, a
// deadline for this call instead of ClientOptions.Timeout (0 = the client's), and file
// parts (sent as multipart/form-data, the other body fields as `@jsonPayload`).
type CallOptions struct {
	Body    map[string]any
	Query   map[string]any
	Headers map[string]string
	Timeout time.Duration
	Files   []File
	// Retries replaces ClientOptions.Retries for this call (nil = the client's;
	// &Retries{MaxAttempts: 1} = none); Idempotent lets a call with another method than
	// GET/HEAD be retried too.
	Retries    *Retries
	Idempotent bool
	// Progress, when set, gets the upload progress of Files (see ProgressFunc).
	Progress ProgressFunc
}

// Call runs the operation named op (e.g. "health.check", "records.authWithToken"; see
// OperationsJSON) with its named arguments (e.g. {"collection": "users", "token": t})
// and returns the decoded JSON result (true for the operations that answer only true).
// Every generated method is this call with the operation's own arguments and result type.
// It blocks the calling goroutine until the answer or the call's deadline.
func (c *Client) Call(op string, args map[string]any, opts CallOptions) (any, error) {
	return c.CallCtx(context.Background(), op, args, opts)
}

// CallCtx is Call under ctx. If ctx is done before the call finishes, the call is
// cancelled: CallCtx returns at once with a *ClientResponseError of Kind "cancelled"
// (IsAbort true) that also matches errors.Is(err, context.Canceled) or
// errors.Is(err, context.DeadlineExceeded), and a cancelled auth call leaves the auth
// store as it was, whatever the server answers later. A call that had already finished
// when ctx was done returns its own outcome. A ctx done before the call starts sends
// nothing.
func (c *Client) CallCtx(ctx context.Context, op string, args map[string]any, opts CallOptions) (any, error) {
	ms, err := millis(opts.Timeout, "CallOptions.Timeout")
	if err != nil {
		return nil, err
	}
	r, err := retries(opts.Retries, "CallOptions.Retries")
	if err != nil {
		return nil, err
	}
	oj := optionsJSON{Body: opts.Body, Query: opts.Query, Headers: opts.Headers, TimeoutMs: ms, Retries: r, Idempotent: opts.Idempotent, progress: opts.Progress}
	return decoded[any](c.run(ctx, op, args, oj, opts.Files))
}

// OperationsJSON returns the core's operation table (what the generated methods were
// generated from): [{"name", "method", "path", "args": [{"name", "in", "type",
// "required", "default"}], "effect", "result", "doc"}].
func OperationsJSON() (string, error) {
	return invoke(func(result, errOut **C.char) C.BosbaseStatus {
		return C.bosbase_operations_json(result, errOut)
	})
}

// runOp runs op for a generated method and decodes its result as T (map[string]any for
// a JSON object, []any for a list, bool for true, string, int64, any).
func runOp[T any](ctx context.Context, c *Client, op string, args, body, query map[string]any, headers map[string]string, files []File) (T, error) {
	return decoded[T](c.run(ctx, op, args, optionsJSON{Body: body, Query: query, Headers: headers}, files))
}

// runClient runs op for a generated method whose result is a login for another account
// (records.impersonate) and returns a new client signed in with it: bosbase_client_fork
// gives it this client's settings and connections and an auth store of its own, so this
// client stays signed in as it was. The new client is closed like any other (Close, or
// the garbage collector).
func runClient(ctx context.Context, c *Client, op string, args, body, query map[string]any, headers map[string]string, files []File) (*Client, error) {
	auth, err := c.run(ctx, op, args, optionsJSON{Body: body, Query: query, Headers: headers}, files)
	if err != nil {
		return nil, err
	}
	return c.fork(auth)
}

// fork wraps a handle from bosbase_client_fork(c, authJSON) as a client.
func (c *Client) fork(authJSON string) (*Client, error) {
	if c.initErr != nil {
		return nil, c.initErr
	}
	var cs cStrings
	defer cs.free()
	a, err := cs.add(authJSON)
	if err != nil {
		return nil, err
	}
	ptr := c.n.acquire()
	if ptr == nil {
		return nil, closedError()
	}
	defer c.n.release()
	var child *C.BosbaseClient
	var errOut *C.char
	status := C.bosbase_client_fork(ptr, a, &child, &errOut)
	errText := takeString(errOut)
	if status != C.BOSBASE_STATUS_OK {
		return nil, statusError(status, errText)
	}
	n := newNative(child)
	return &Client{AuthStore: &AuthStore{n: n}, n: n}, nil
}

// orDefault is how a generated method passes an argument that has a default: its zero
// value becomes JSON null, for which the core uses the table's default.
func orDefault[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

// run is the primitive: it runs op with args, the request options and the file parts
// through runAsync (bosbase_call_async_with_files) and returns the result JSON.
func (c *Client) run(ctx context.Context, op string, args map[string]any, o optionsJSON, files []File) (string, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	var parts *cFiles
	var q *progressQueue
	defer func() { parts.free(); q.free() }()
	return c.call(func(cs *cStrings) (useFn, error) {
		if err := ctx.Err(); err != nil {
			return nil, cancelledError(err, "the call was cancelled before it started")
		}
		aj, err := argsJSON(args)
		if err != nil {
			return nil, err
		}
		a, err := cs.addAll(op, aj)
		if err != nil {
			return nil, err
		}
		opts, err := cs.options(o)
		if err != nil {
			return nil, err
		}
		if parts, err = newCFiles(files); err != nil {
			return nil, err
		}
		fs := parts.raw()
		if q, err = parts.onProgress(o.progress); err != nil {
			return nil, err
		}
		return func(ptr *C.BosbaseClient) (string, error) {
			return runAsyncProgress(ctx, func(h C.uintptr_t, call **C.BosbaseCall, errOut **C.char) C.BosbaseStatus {
				return C.bbgo_call_async(ptr, a[0], a[1], opts, fs, h, call, errOut)
			}, q)
		}, nil
	})
}

// argsJSON encodes the named arguments. A string argument with a NUL byte is refused,
// as for every string the binding passes to C: a password or token must reach the
// server exactly as given or not at all.
func argsJSON(args map[string]any) (string, error) {
	for _, v := range args {
		if s, ok := v.(string); ok && strings.IndexByte(s, 0) >= 0 {
			return "", newError(KindInvalidArgument, "a string argument contains a NUL byte")
		}
	}
	if len(args) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(args)
	if err != nil {
		// The encoder's message may quote a value; name only the part.
		return "", newError(KindInvalidArgument, "the operation's arguments cannot be encoded as JSON")
	}
	return string(b), nil
}

// outcome is what the completion callback hands to the waiting goroutine (copies: the
// C strings are borrowed for the callback only).
type outcome struct {
	status  C.BosbaseStatus
	result  string
	errJSON string
}

// startFn starts one asynchronous call (bbgo_call_async or bbgo_send_async) whose
// completion is delivered to the cgo.Handle h.
type startFn func(h C.uintptr_t, call **C.BosbaseCall, errOut **C.char) C.BosbaseStatus

// runAsync starts the call on the core's worker pool and waits for its outcome or ctx
// (a ctx that is never done, as context.Background(), waits for the outcome alone: the
// core's deadline, counted from here, bounds it).
func runAsync(ctx context.Context, start startFn) (string, error) {
	return runAsyncProgress(ctx, start, nil)
}

// runAsyncProgress is runAsync that also hands the call's progress reports (queued by
// the core's threads in q; nil: none) to q's function on this goroutine, the last ones
// before it returns.
func runAsyncProgress(ctx context.Context, start startFn, q *progressQueue) (string, error) {
	done := make(chan outcome, 1) // the callback never blocks
	h := newCallHandle(done)
	var call *C.BosbaseCall
	var errOut *C.char
	status := start(C.uintptr_t(h), &call, &errOut)
	if status != C.BOSBASE_STATUS_OK {
		deleteCallHandle(h) // nothing started: the callback will never run
		return "", statusError(status, takeString(errOut))
	}
	defer C.bosbase_call_free(call)
	var out outcome
	var reports <-chan struct{}
	if q != nil {
		reports = q.signal
	}
wait:
	for {
		select {
		case out = <-done:
			break wait
		case <-reports:
			q.drain()
		case <-ctx.Done():
			// Either this cancels the call and the callback has run on this thread by the
			// time it returns, or the call already finished and its worker delivers (or has
			// delivered) the real outcome: one of the two always arrives.
			C.bosbase_call_cancel(call)
			out = <-done
			break wait
		}
	}
	q.drain() // the core reports nothing after the completion: these are the last
	if out.status == C.BOSBASE_STATUS_OK {
		return out.result, nil
	}
	err := statusError(out.status, out.errJSON)
	if e, ok := err.(*ClientResponseError); ok && out.status == C.BOSBASE_STATUS_CANCELLED {
		e.cause = ctx.Err()
	}
	return "", err
}

// liveCallHandles counts the cgo.Handles of started calls not yet completed; the tests
// read it to prove every handle is deleted.
var liveCallHandles atomic.Int64

func newCallHandle(done chan outcome) cgo.Handle {
	liveCallHandles.Add(1)
	return cgo.NewHandle(done)
}

// deleteCallHandle deletes h; cgo panics if it was deleted before, so a double delete
// cannot pass unnoticed.
func deleteCallHandle(h cgo.Handle) {
	h.Delete()
	liveCallHandles.Add(-1)
}

// statusOf converts the status the C trampoline passes as uint32_t.
func statusOf(s C.uint32_t) C.BosbaseStatus { return C.BosbaseStatus(s) }

// callDone is the completion of a call started by runAsync (see bosbaseGoCallDone):
// it runs exactly once per started call, on a core worker thread or on the goroutine
// calling bosbase_call_cancel.
func callDone(h cgo.Handle, o outcome) {
	done := h.Value().(chan outcome)
	deleteCallHandle(h)
	done <- o
}
