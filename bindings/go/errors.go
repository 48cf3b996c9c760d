package bosbase

import (
	"encoding/json"
	"errors"
	"fmt"
)

// The error kinds (KindHTTP, KindClosed, ...) are generated in kinds_gen.go from the core's
// bosbase_kinds_json.

// ErrClosed matches, with errors.Is, the error of any call made on a closed client.
// That error is a *ClientResponseError whose Kind is "closed"; ErrClosed is only a
// sentinel to compare against (do not return or modify it).
var ErrClosed error = &ClientResponseError{Kind: KindClosed, Response: map[string]any{}, Message: "the client is closed"}

// ClientResponseError is every failure the binding returns: an HTTP error answer, an MFA
// challenge, a network or TLS failure, a timeout, a bad argument, a closed client. Use
// errors.As to get it; switch on Kind.
//
// The core builds it (see the error JSON in include/bosbase.h); the binding decodes it,
// or builds one of the same shape for what it refuses itself. Neither its text nor its
// %v, %+v and %#v forms contain passwords, custom tokens, auth tokens, query strings or
// URL userinfo.
type ClientResponseError struct {
	// URL is the request URL without query, fragment or userinfo ("" when no request
	// was made).
	URL string
	// Status is the HTTP status, or 0 when no HTTP answer arrived. An answer that
	// arrived keeps its status even when its body was unreadable or too large.
	Status int
	// Response is the server's JSON error body (`status`, `message`, `data` intact),
	// or an empty map.
	Response map[string]any
	// IsAbort is true when the call was aborted (timed out or cancelled) rather than
	// answered.
	IsAbort bool
	// Kind names the failure: one of the Kind* constants ("http", "mfa_required",
	// "network", "timeout", "tls", "invalid_argument", "json", "closed", "cancelled",
	// "oauth2", "panic", "too_large": a download over DownloadOptions.MaxBytes).
	Kind string
	// Message is a short human-readable description (for "tls", what failed: unknown
	// issuer, name mismatch, expired, ...).
	Message string
	// Attempts is how many attempts the call made (1 without retries, more when it was
	// retried; see Retries); 0 when it failed before trying (bad input, closed client).
	Attempts int

	mfaID string
	cause error // for Kind "cancelled" from a context: ctx.Err()
}

// newError is a failure the binding detects itself, shaped like the core's.
func newError(kind, message string) *ClientResponseError {
	return &ClientResponseError{Kind: kind, Response: map[string]any{}, Message: message}
}

// cancelledError is a call cancelled by its context; it unwraps to cause (ctx.Err()).
func cancelledError(cause error, message string) *ClientResponseError {
	e := newError(KindCancelled, message)
	e.IsAbort = true
	e.cause = cause
	return e
}

// closedError is what every call on a closed client returns.
func closedError() *ClientResponseError {
	return newError(KindClosed, "the client is closed")
}

// errorJSON is the C ABI's error object.
type errorJSON struct {
	Kind     string          `json:"kind"`
	URL      string          `json:"url"`
	Status   int             `json:"status"`
	Response json.RawMessage `json:"response"`
	IsAbort  bool            `json:"isAbort"`
	Message  string          `json:"message"`
	MFAID    string          `json:"mfaId"`
	Attempts int             `json:"attempts"`
}

func decodeError(text string) (*ClientResponseError, error) {
	var j errorJSON
	if err := json.Unmarshal([]byte(text), &j); err != nil {
		return nil, err
	}
	if j.Kind == "" {
		return nil, errors.New("error JSON without kind")
	}
	response := map[string]any{}
	if len(j.Response) > 0 {
		// The core always sends an object; anything else leaves the map empty.
		_ = json.Unmarshal(j.Response, &response)
		if response == nil {
			response = map[string]any{}
		}
	}
	return &ClientResponseError{
		URL: j.URL, Status: j.Status, Response: response, IsAbort: j.IsAbort,
		Kind: j.Kind, Message: j.Message, Attempts: j.Attempts, mfaID: j.MFAID,
	}, nil
}

// MFAID is the MFA session id when Kind is "mfa_required" ("" otherwise). Finish the
// login with a second method, passing it as `mfaId` in the body, e.g.
// AuthWithPassword(email, password, map[string]any{"mfaId": e.MFAID()}, nil, nil).
func (e *ClientResponseError) MFAID() string { return e.mfaID }

// Error reads like the core's own text: kind, status, message, URL.
func (e *ClientResponseError) Error() string {
	s := "bosbase: " + e.Kind + " error"
	if e.Status != 0 {
		s += fmt.Sprintf(" (status %d)", e.Status)
	}
	s += ": " + e.Message
	if e.URL != "" {
		s += " [" + e.URL + "]"
	}
	return s
}

// Is makes errors.Is(err, ErrClosed) true for every "closed" error.
func (e *ClientResponseError) Is(target error) bool {
	return target == ErrClosed && e.Kind == KindClosed
}

// Unwrap returns the context's error (context.Canceled or context.DeadlineExceeded) for
// a call cancelled because its context was done, so errors.Is(err, context.Canceled)
// holds; nil otherwise.
func (e *ClientResponseError) Unwrap() error { return e.cause }

// GoString is the %#v form: the exported fields, spelled out so that no future field
// can leak into logs by accident.
func (e *ClientResponseError) GoString() string {
	return fmt.Sprintf("&bosbase.ClientResponseError{URL:%q, Status:%d, Response:%#v, IsAbort:%t, Kind:%q, Message:%q}",
		e.URL, e.Status, e.Response, e.IsAbort, e.Kind, e.Message)
}
