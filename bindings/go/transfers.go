package bosbase

// Downloads (FilesService.Download) and transfer progress (DownloadOptions.Progress,
// CallOptions.Progress for uploads). The core reports progress on its own threads through
// a C trampoline (transfers.c); the reports are queued here and handed to the caller's
// function on the goroutine making the call (the one waiting in runAsyncProgress), in
// order, all before the call returns.

/*
#include <stdint.h>
#include <stdlib.h>
#include "bosbase.h"

BosbaseStatus bbgo_files_on_progress(const BosbaseFiles *files, uintptr_t handle, char **error_out);
BosbaseStatus bbgo_download_async(const BosbaseClient *client, const char *record_json, const char *filename,
                                  const char *path, const char *options_json, uintptr_t progress, uintptr_t handle,
                                  BosbaseCall **call_out, char **error_out);
*/
import "C"

import (
	"context"
	"encoding/json"
	"runtime/cgo"
	"sync"
	"time"
)

// ProgressFunc gets a transfer's progress: done bytes of total (0 while the total is
// unknown: a download whose answer has no Content-Length; an upload's total is its whole
// request body, framing included). The core throttles the reports (one per 1% or per
// 100 ms while bytes move) and ends with one where done == total once every byte went
// through (none after a failure). It runs on the goroutine that made the call, in order,
// never after the call returned.
type ProgressFunc func(done, total int64)

// progressQueue holds the reports of one call between the core's thread and the caller's
// goroutine. Reports are few (throttled), so it is a plain slice.
type progressQueue struct {
	fn     ProgressFunc
	handle cgo.Handle
	signal chan struct{}
	mu     sync.Mutex
	items  [][2]uint64
}

func newProgressQueue(fn ProgressFunc) *progressQueue {
	if fn == nil {
		return nil
	}
	q := &progressQueue{fn: fn, signal: make(chan struct{}, 1)}
	q.handle = cgo.NewHandle(q)
	return q
}

// put queues a report and wakes the caller's goroutine; it never blocks the core.
func (q *progressQueue) put(done, total uint64) {
	q.mu.Lock()
	q.items = append(q.items, [2]uint64{done, total})
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// drain hands the queued reports to fn on this goroutine; nil is ignored.
func (q *progressQueue) drain() {
	if q == nil {
		return
	}
	q.mu.Lock()
	items := q.items
	q.items = nil
	q.mu.Unlock()
	for _, r := range items {
		q.fn(int64(r[0]), int64(r[1]))
	}
}

// id is the handle the C side passes back (0: no queue).
func (q *progressQueue) id() C.uintptr_t {
	if q == nil {
		return 0
	}
	return C.uintptr_t(q.handle)
}

// free deletes the handle once the call completed (the core reports nothing after);
// nil is ignored.
func (q *progressQueue) free() {
	if q != nil && q.handle != 0 {
		q.handle.Delete()
		q.handle = 0
	}
}

//export bosbaseGoProgress
func bosbaseGoProgress(handle C.uintptr_t, done, total C.uint64_t) {
	cgo.Handle(handle).Value().(*progressQueue).put(uint64(done), uint64(total))
}

// onProgress registers fn as the upload progress of the parts; nil parts or fn: none.
func (fs *cFiles) onProgress(fn ProgressFunc) (*progressQueue, error) {
	if fs == nil || fn == nil {
		return nil, nil
	}
	q := newProgressQueue(fn)
	var errOut *C.char
	if status := C.bbgo_files_on_progress(fs.ptr, q.id(), &errOut); status != C.BOSBASE_STATUS_OK {
		q.free()
		return nil, statusError(status, takeString(errOut))
	}
	return q, nil
}

// DownloadOptions are the optional parts of a download: a thumb size of an image
// ("100x100"), a token from Files().GetToken for a protected file, Download (ask for
// Content-Disposition: attachment), MaxBytes (a cap: a bigger file fails with Kind
// "too_large" and leaves nothing; 0 = no cap, the default, since the file streams to disk
// and never sits in memory), Timeout (the whole download's deadline; 0 = the client's,
// which a big file may need more than), extra Headers, and Progress.
type DownloadOptions struct {
	Thumb    string
	Token    string
	Download bool
	MaxBytes int64
	Timeout  time.Duration
	Headers  map[string]string
	Progress ProgressFunc
}

type downloadJSON struct {
	Thumb     string            `json:"thumb,omitempty"`
	Token     string            `json:"token,omitempty"`
	Download  bool              `json:"download,omitempty"`
	MaxBytes  int64             `json:"maxBytes,omitempty"`
	TimeoutMs int64             `json:"timeoutMs,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
}

// Download streams filename of record (a record map with "id" and "collectionId" or
// "collectionName") to the file at path, on the client's connections (TLS, proxy,
// deadline, auth header). The bytes go to a temporary file in the same directory, renamed
// over path once all arrived: a failed or cancelled download leaves no file. It returns
// {"path", "bytes", "contentType"}. Errors: Kind "http" with the server's JSON (a missing
// file, a protected file without a valid token), "network", "timeout", "tls",
// "too_large", "invalid_argument" (a bad record or a path that cannot be written: its
// directory must exist).
func (s *FilesService) Download(record map[string]any, filename, path string, opts DownloadOptions) (map[string]any, error) {
	return s.DownloadCtx(context.Background(), record, filename, path, opts)
}

// DownloadCtx is Download cancelled when ctx is done (Kind "cancelled"; no file is left).
func (s *FilesService) DownloadCtx(ctx context.Context, record map[string]any, filename, path string, opts DownloadOptions) (map[string]any, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	ms, err := millis(opts.Timeout, "DownloadOptions.Timeout")
	if err != nil {
		return nil, err
	}
	rec, err := json.Marshal(record)
	if err != nil {
		return nil, newError(KindInvalidArgument, "the record cannot be encoded as JSON")
	}
	o, err := json.Marshal(downloadJSON{opts.Thumb, opts.Token, opts.Download, opts.MaxBytes, ms, opts.Headers})
	if err != nil {
		return nil, newError(KindInvalidArgument, "the download options cannot be encoded as JSON")
	}
	q := newProgressQueue(opts.Progress)
	defer q.free()
	return decoded[map[string]any](s.client.call(func(cs *cStrings) (useFn, error) {
		if err := ctx.Err(); err != nil {
			return nil, cancelledError(err, "the call was cancelled before it started")
		}
		a, err := cs.addAll(string(rec), filename, path, string(o))
		if err != nil {
			return nil, err
		}
		return func(ptr *C.BosbaseClient) (string, error) {
			return runAsyncProgress(ctx, func(h C.uintptr_t, call **C.BosbaseCall, errOut **C.char) C.BosbaseStatus {
				return C.bbgo_download_async(ptr, a[0], a[1], a[2], a[3], q.id(), h, call, errOut)
			}, q)
		}, nil
	}))
}
