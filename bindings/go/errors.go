package bosbase

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrClosed is returned by calls on a client after Close.
var ErrClosed = errors.New("bosbase: client is closed")

// ClientResponseError is every failure the core reports: an HTTP error answer, an MFA
// challenge, a network failure, a timeout, a bad argument. Use errors.As to get it.
//
// The core builds it (see the error JSON in include/bosbase.h); the binding only
// decodes it. Its text never contains passwords, custom tokens or auth tokens.
type ClientResponseError struct {
	// URL is the request URL without its query string ("" when no request was made).
	URL string
	// Status is the HTTP status, or 0 when there was no HTTP response.
	Status int
	// Response is the server's JSON error body (`status`, `message`, `data` intact),
	// or an empty map.
	Response map[string]any
	// IsAbort is true when the request was aborted (timed out) rather than answered.
	IsAbort bool
	// Kind names the failure: "http", "mfa_required", "network", "timeout",
	// "invalid_argument", "json" or "panic".
	Kind string
	// Message is a short human-readable description.
	Message string

	mfaID string
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
		Kind: j.Kind, Message: j.Message, mfaID: j.MFAID,
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
