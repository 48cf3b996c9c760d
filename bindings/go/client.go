package bosbase

/*
#include "bosbase.h"
*/
import "C"

import (
	"encoding/json"
	"time"
)

// Version is this binding's version; it names the binding in the User-Agent.
const Version = "0.1.0"

// ClientOptions tunes NewClient. Zero values mean the core's defaults.
type ClientOptions struct {
	// Lang is the Accept-Language header. Defaults to "en-US".
	Lang string
	// Timeout bounds each phase of a request (connect, answer, body). 0 keeps the
	// core's default (30 s); a negative value waits forever.
	Timeout time.Duration
}

// Client talks to one BosBase server. It is safe for use by many goroutines at once;
// calls block the calling goroutine until the server answers.
type Client struct {
	// AuthStore holds the token and record of the last successful auth call.
	AuthStore *AuthStore

	n       *native
	initErr error
}

// New creates a client for the server at url (e.g. "http://127.0.0.1:8090").
// If the core refuses the URL, every call on the client returns that error;
// use NewClient to see it at once.
func New(url string) *Client {
	c, err := NewClient(url, ClientOptions{})
	if err != nil {
		return &Client{AuthStore: &AuthStore{}, initErr: err}
	}
	return c
}

// NewClient is New with options, returning the core's error for a bad URL or option.
func NewClient(url string, opts ClientOptions) (*Client, error) {
	o := map[string]any{"userAgent": "bosbase-go/" + Version}
	if opts.Lang != "" {
		o["lang"] = opts.Lang
	}
	switch {
	case opts.Timeout < 0:
		o["timeoutMs"] = 0 // the core's "no timeout"
	case opts.Timeout > 0:
		ms := opts.Timeout.Milliseconds()
		if ms == 0 {
			ms = 1 // a sub-millisecond timeout must not turn into "none"
		}
		o["timeoutMs"] = ms
	}
	oj, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var cs cStrings
	defer cs.free()
	args, err := cs.addAll(url, string(oj))
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

// Close frees the native client. It waits for calls in flight, may be called more
// than once, and must not be called from an OnChange listener.
// A client that is never closed is freed by the garbage collector.
func (c *Client) Close() {
	c.n.close()
}

// Collection returns the API of one collection (e.g. "users", "_superusers").
func (c *Client) Collection(name string) *RecordService {
	return &RecordService{client: c, name: name}
}

// Send sends a request to any path of the server (e.g. "/api/health") and returns
// the decoded JSON answer (nil for an empty body). Nothing is saved in the auth store.
func (c *Client) Send(path string, opts SendOptions) (any, error) {
	return c.callJSON(func(cs *cStrings) (handleFn, error) {
		p, err := cs.add(path)
		if err != nil {
			return nil, err
		}
		o, err := cs.options(optionsJSON(opts))
		if err != nil {
			return nil, err
		}
		return func(ptr *C.BosbaseClient, result, errOut **C.char) C.BosbaseStatus {
			return C.bosbase_send(ptr, p, o, result, errOut)
		}, nil
	})
}

// handleFn is one C call on a live handle.
type handleFn func(ptr *C.BosbaseClient, result, errOut **C.char) C.BosbaseStatus

// call prepares the C arguments with build, runs the call on a live handle and
// returns the result JSON. C strings are freed and the handle released afterwards.
func (c *Client) call(build func(cs *cStrings) (handleFn, error)) (string, error) {
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
		return "", ErrClosed
	}
	defer c.n.release()
	return invoke(func(result, errOut **C.char) C.BosbaseStatus {
		return fn(ptr, result, errOut)
	})
}

// callJSON is call with the result decoded as any JSON value.
func (c *Client) callJSON(build func(cs *cStrings) (handleFn, error)) (any, error) {
	text, err := c.call(build)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, err
	}
	return v, nil
}

// callMap is call with the result decoded as a JSON object.
func (c *Client) callMap(build func(cs *cStrings) (handleFn, error)) (map[string]any, error) {
	text, err := c.call(build)
	if err != nil {
		return nil, err
	}
	return decodeMap(text)
}
