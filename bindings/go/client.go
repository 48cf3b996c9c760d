package bosbase

/*
#include <stdint.h>
#include "bosbase.h"

BosbaseStatus bbgo_send_async(const BosbaseClient *client, const char *collection, const char *path,
                              const char *options_json, uintptr_t handle, BosbaseCall **call_out,
                              char **error_out);
*/
import "C"

import (
	"context"
	"fmt"
)

// Version is this binding's version; it names the binding in the User-Agent.
const Version = "0.1.0"

// Client talks to one BosBase server. It is safe for use by many goroutines at once;
// calls block the calling goroutine until the server answers or the call's deadline
// (ClientOptions.Timeout, default 30 s) passes. Printing it with any fmt verb shows
// only whether it is open, closed or refused: never its URL, token or record.
type Client struct {
	// AuthStore holds the token and record of the last successful auth call.
	AuthStore *AuthStore

	n       *native
	initErr error
}

// New creates a client for the server at url (e.g. "http://127.0.0.1:8090" or
// "https://api.example.com") with the default options (see ClientOptions).
// If the core refuses the URL (not http(s)://host[:port][/path], userinfo, a bad
// port), every call on the client returns that error; use NewClient to see it at once.
func New(url string) *Client {
	c, err := NewClient(url, ClientOptions{})
	if err != nil {
		return &Client{AuthStore: &AuthStore{initErr: err}, initErr: err}
	}
	return c
}

// NewClient is New with options. It returns the core's *ClientResponseError (Kind
// "invalid_argument", naming the bad part but never echoing its value) for a refused
// URL or option, e.g. a URL with userinfo or an unreadable CAFile.
func NewClient(url string, opts ClientOptions) (*Client, error) {
	oj, err := opts.json()
	if err != nil {
		return nil, err
	}
	var cs cStrings
	defer cs.free()
	args, err := cs.addAll(url, oj)
	if err != nil {
		return nil, err
	}
	var ptr *C.BosbaseClient
	var errOut *C.char
	status := C.bosbase_client_new(args[0], args[1], &ptr, &errOut)
	errText := takeString(errOut)
	if status != C.BOSBASE_STATUS_OK {
		return nil, statusError(status, errText)
	}
	n := newNative(ptr)
	return &Client{AuthStore: &AuthStore{n: n}, n: n}, nil
}

// Close closes the client and frees its native resources (connections included).
// Calls already running finish first (each is bounded by its deadline); calls and
// auth-store changes made after Close begins fail at once with a *ClientResponseError
// of Kind "closed" (errors.Is(err, ErrClosed) is true) and send nothing. Store reads
// keep working until the running calls are done, so their OnChange listeners can read
// the store; afterwards they return zero values. Close may be called more than once
// and from many goroutines; it must not be called from an OnChange listener.
// A client that is never closed is released by the garbage collector's finalizer, which
// never waits: bosbase_client_release closes and frees it on a library thread once the
// calls the core still runs (e.g. ones abandoned through their context) have finished.
func (c *Client) Close() {
	c.n.close()
}

// String describes the client without its URL or any auth state (safe to log).
func (c *Client) String() string {
	switch {
	case c == nil:
		return "bosbase.Client(nil)"
	case c.initErr != nil:
		return "bosbase.Client{refused: " + c.initErr.Error() + "}"
	case c.n.isClosed():
		return "bosbase.Client{closed}"
	}
	return "bosbase.Client{open}"
}

// GoString is the %#v form, as String: no URL, token or record.
func (c *Client) GoString() string {
	if c == nil {
		return "(*bosbase.Client)(nil)"
	}
	return "&" + c.String()
}

// Format makes every verb (%v, %+v, %#v, %s) print String's safe description rather
// than the struct's fields.
func (c *Client) Format(f fmt.State, verb rune) { formatSafe(f, verb, c) }

// safeDescribed is a value whose String and GoString never show secrets.
type safeDescribed interface {
	fmt.Stringer
	fmt.GoStringer
}

// formatSafe prints v's safe description for every verb: GoString for %#v, String otherwise.
func formatSafe(f fmt.State, verb rune, v safeDescribed) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, v.GoString())
		return
	}
	fmt.Fprint(f, v.String())
}

// Collection returns the API of one collection (e.g. "users", "_superusers").
func (c *Client) Collection(name string) *RecordService {
	return &RecordService{client: c, name: name}
}

// Send sends a request to any path of the server (e.g. "/api/health") and returns
// the decoded JSON answer (nil for an empty body). Nothing is saved in the auth store.
func (c *Client) Send(path string, opts SendOptions) (any, error) {
	return c.send("", false, path, opts)
}

// send sends to path, relative to collection when inCollection, through
// bosbase_send_async (see runAsync); the answer is decoded as any JSON value.
func (c *Client) send(collection string, inCollection bool, path string, opts SendOptions) (any, error) {
	return decoded[any](c.call(func(cs *cStrings) (useFn, error) {
		a, err := cs.addAll(path, collection)
		if err != nil {
			return nil, err
		}
		if !inCollection {
			a[1] = nil
		}
		oj, err := requestOptions(opts)
		if err != nil {
			return nil, err
		}
		o, err := cs.options(oj)
		if err != nil {
			return nil, err
		}
		return func(ptr *C.BosbaseClient) (string, error) {
			return runAsync(context.Background(), func(h C.uintptr_t, call **C.BosbaseCall, errOut **C.char) C.BosbaseStatus {
				return C.bbgo_send_async(ptr, a[1], a[0], o, h, call, errOut)
			})
		}, nil
	}))
}

// useFn is one use of a live handle; it returns the result JSON.
type useFn func(ptr *C.BosbaseClient) (string, error)

// call prepares the C arguments with build, runs the returned function on a live
// handle and returns its result JSON. C strings are freed and the handle released
// afterwards. Every request goes through here.
func (c *Client) call(build func(cs *cStrings) (useFn, error)) (string, error) {
	if c.initErr != nil {
		return "", c.initErr
	}
	var cs cStrings
	defer cs.free()
	fn, err := build(&cs)
	if err != nil {
		return "", err
	}
	ptr := c.n.acquire()
	if ptr == nil {
		return "", closedError()
	}
	defer c.n.release()
	return fn(ptr)
}
