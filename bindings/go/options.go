package bosbase

/*
#include <stdlib.h>
*/
import "C"

import (
	"encoding/json"
	"time"
)

// Defaults the core applies when a ClientOptions field is left at its zero value.
const (
	DefaultLang               = "en-US"
	DefaultTimeout            = 30 * time.Second // deadline of each call, connect to last byte
	DefaultConnectTimeout     = 10 * time.Second // TCP connect + TLS handshake, inside the deadline
	DefaultMaxResponseBytes   = 10 << 20         // 10 MiB
	DefaultMaxIdleConnections = 64               // keep-alive connections kept for reuse
	DefaultPoolSize           = 256              // calls of one client running at once
	DefaultRetryAttempts      = 3                // Retries.MaxAttempts left at 0
	DefaultRetryBaseDelay     = 200 * time.Millisecond
	DefaultRetryMaxDelay      = 5 * time.Second
)

// Retries turns on retries of idempotent calls: GET/HEAD, and calls whose options say
// Idempotent (never others), when the connection was reset or closed before any byte of
// the answer, or the server answered 502, 503, 504 or 429. The core waits the answer's
// Retry-After, else BaseDelay doubling up to MaxDelay (a random 50-100 % of it); every
// attempt and wait fits in the call's one deadline (a wait that does not fit returns the
// last failure at once). ClientResponseError.Attempts counts the attempts.
type Retries struct {
	// MaxAttempts is the number of attempts in all, the first included (1 = no
	// retries). Default 3 (DefaultRetryAttempts); at most 100; negative is refused.
	MaxAttempts int
	// BaseDelay is the first backoff wait. Default 200 ms (DefaultRetryBaseDelay).
	BaseDelay time.Duration
	// MaxDelay is the longest backoff wait. Default 5 s (DefaultRetryMaxDelay).
	MaxDelay time.Duration
}

// retriesJSON is the core's `"retries"` object.
type retriesJSON struct {
	MaxAttempts int   `json:"maxAttempts,omitempty"`
	BaseDelayMs int64 `json:"baseDelayMs,omitempty"`
	MaxDelayMs  int64 `json:"maxDelayMs,omitempty"`
}

// retries encodes r (nil: not set) for the core; field names the option in errors.
func retries(r *Retries, field string) (*retriesJSON, error) {
	if r == nil {
		return nil, nil
	}
	if r.MaxAttempts < 0 {
		return nil, newError(KindInvalidArgument, field+".MaxAttempts must not be negative")
	}
	j := &retriesJSON{MaxAttempts: r.MaxAttempts}
	var err error
	if j.BaseDelayMs, err = millis(r.BaseDelay, field+".BaseDelay"); err != nil {
		return nil, err
	}
	if j.MaxDelayMs, err = millis(r.MaxDelay, field+".MaxDelay"); err != nil {
		return nil, err
	}
	return j, nil
}

// ClientOptions tunes NewClient. Every field is optional: the zero value means the
// default named on the field.
type ClientOptions struct {
	// Lang is the Accept-Language header. Default "en-US".
	Lang string
	// UserAgent is the User-Agent header. Default "bosbase-go/<Version>".
	UserAgent string

	// Timeout is the deadline of each call, from connecting to the last byte of the
	// answer (sending a slow body and reading a dripping answer included). Default 30 s
	// (DefaultTimeout). A call made with SendOptions.Timeout uses that instead. Every
	// call is bounded: there is no "wait forever", and a negative value is refused.
	Timeout time.Duration
	// ConnectTimeout bounds connecting (TCP connect and TLS handshake), inside the
	// call's deadline. Default 10 s (DefaultConnectTimeout); negative is refused.
	ConnectTimeout time.Duration
	// MaxResponseBytes is the largest answer body read into memory; a larger answer
	// fails the call (Kind "http" for an error status, "json" for a 2xx, the status
	// kept). Default 10 MiB (DefaultMaxResponseBytes); negative is refused.
	MaxResponseBytes int64
	// MaxIdleConnections is how many idle keep-alive connections are kept for reuse
	// (per host and in all). Keep it at least the number of goroutines calling at once,
	// or calls open new connections. Default 64 (DefaultMaxIdleConnections); a negative
	// value keeps none (every call opens a new connection).
	MaxIdleConnections int
	// PoolSize is how many calls of this client run at once, each on a worker thread of
	// the core (started on demand, stopped after 10 s idle; the calling goroutine waits
	// parked, holding no thread). More calls wait for a worker, their deadline running.
	// Default 256 (DefaultPoolSize); negative is refused.
	PoolSize int

	// CAPEM is PEM text of extra CA certificates to trust, on top of the platform's
	// trust store (for a server with a private CA). Default: the platform's store alone.
	CAPEM string
	// CAFile is the path of a PEM file of extra CA certificates to trust, like CAPEM.
	CAFile string
	// DangerAcceptInvalidCerts is for DEVELOPMENT ONLY: it accepts any server
	// certificate (self-signed, expired, for another host), which lets anyone on the
	// network read and change the traffic, passwords and tokens included. Never set it
	// against a production server. Default false.
	DangerAcceptInvalidCerts bool

	// Proxy is the HTTP proxy every connection (calls, realtime, pub/sub) goes through,
	// as a CONNECT tunnel: "http://[user:password@]host[:port]" (credentials are sent as
	// Proxy-Authorization and never appear in errors), or "none" to connect directly.
	// Either way HTTP_PROXY/HTTPS_PROXY/ALL_PROXY/NO_PROXY are then ignored. Default ""
	// reads those variables when the client is created (lower case first, NO_PROXY
	// honoured, loopback not exempt unless listed; see the repository README,
	// "Proxies"). SOCKS and https:// proxies are refused with KindInvalidArgument.
	Proxy string
	// AuthFile keeps the auth store in this file so a login survives a restart: the
	// store starts with the login the file holds, and every change (an auth call, Save,
	// Clear, Import, a refresh of the record) replaces the file atomically, owner-only
	// (0600), never half-written. A missing file is an empty store; a file that cannot be
	// used does not fail NewClient: the store starts empty and AuthStore.FileError says
	// why. The directory must exist. Default "" (the store lives in memory only).
	AuthFile string
	// Retries retries idempotent calls (see Retries). Default nil: one attempt. A call
	// may set its own (SendOptions.Retries, CallOptions.Retries).
	Retries *Retries
}

// clientOptionsJSON is bosbase_client_new's options_json.
type clientOptionsJSON struct {
	Lang                     string       `json:"lang,omitempty"`
	UserAgent                string       `json:"userAgent"`
	TimeoutMs                int64        `json:"timeoutMs,omitempty"`
	ConnectTimeoutMs         int64        `json:"connectTimeoutMs,omitempty"`
	MaxResponseBytes         int64        `json:"maxResponseBytes,omitempty"`
	MaxIdleConnections       *int         `json:"maxIdleConnections,omitempty"`
	PoolSize                 int          `json:"poolSize,omitempty"`
	CAPEM                    string       `json:"caPem,omitempty"`
	CAFile                   string       `json:"caFile,omitempty"`
	DangerAcceptInvalidCerts bool         `json:"dangerAcceptInvalidCerts,omitempty"`
	Proxy                    string       `json:"proxy,omitempty"`
	AuthFile                 string       `json:"authFile,omitempty"`
	Retries                  *retriesJSON `json:"retries,omitempty"`
}

// json encodes the options for the core. Errors name the field, never its value.
func (o ClientOptions) json() (string, error) {
	j := clientOptionsJSON{
		Lang:                     o.Lang,
		UserAgent:                o.UserAgent,
		CAPEM:                    o.CAPEM,
		CAFile:                   o.CAFile,
		DangerAcceptInvalidCerts: o.DangerAcceptInvalidCerts,
		Proxy:                    o.Proxy,
		AuthFile:                 o.AuthFile,
	}
	if j.UserAgent == "" {
		j.UserAgent = "bosbase-go/" + Version
	}
	var err error
	if j.Retries, err = retries(o.Retries, "Retries"); err != nil {
		return "", err
	}
	if j.TimeoutMs, err = millis(o.Timeout, "Timeout"); err != nil {
		return "", err
	}
	if j.ConnectTimeoutMs, err = millis(o.ConnectTimeout, "ConnectTimeout"); err != nil {
		return "", err
	}
	if o.MaxResponseBytes < 0 {
		return "", newError(KindInvalidArgument, "MaxResponseBytes must not be negative")
	}
	j.MaxResponseBytes = o.MaxResponseBytes
	if o.PoolSize < 0 {
		return "", newError(KindInvalidArgument, "PoolSize must not be negative")
	}
	j.PoolSize = o.PoolSize
	switch {
	case o.MaxIdleConnections < 0:
		none := 0
		j.MaxIdleConnections = &none
	case o.MaxIdleConnections > 0:
		n := o.MaxIdleConnections
		j.MaxIdleConnections = &n
	}
	b, err := json.Marshal(j)
	if err != nil {
		return "", newError(KindInvalidArgument, "client options cannot be encoded as JSON")
	}
	return string(b), nil
}

// millis converts a timeout for the core: 0 stays 0 (the core's default), a positive
// value below 1 ms becomes 1 ms (never "no timeout"), a negative value is refused.
func millis(d time.Duration, field string) (int64, error) {
	switch {
	case d < 0:
		return 0, newError(KindInvalidArgument, field+" must not be negative")
	case d == 0:
		return 0, nil
	}
	ms := d.Milliseconds()
	if d%time.Millisecond != 0 {
		ms++ // round up: 1.5 ms waits 2 ms, 1 ns waits 1 ms
	}
	return ms, nil
}

// SendOptions describes one request for Client.Send and RecordService.Send.
// Every field is optional; Method defaults to GET.
type SendOptions struct {
	Method  string
	Body    map[string]any
	Query   map[string]any
	Headers map[string]string
	// Timeout is this call's deadline, instead of ClientOptions.Timeout
	// (0 = the client's; negative is refused).
	Timeout time.Duration
	// Retries replaces ClientOptions.Retries for this call (nil = the client's;
	// &Retries{MaxAttempts: 1} = none).
	Retries *Retries
	// Idempotent marks a call with another method than GET/HEAD as safe to send twice,
	// so it may be retried too. Default false.
	Idempotent bool
}

// optionsJSON is the C ABI's options_json (method only for the send functions).
type optionsJSON struct {
	Method     string            `json:"method,omitempty"`
	Body       map[string]any    `json:"body,omitempty"`
	Query      map[string]any    `json:"query,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	TimeoutMs  int64             `json:"timeoutMs,omitempty"`
	Retries    *retriesJSON      `json:"retries,omitempty"`
	Idempotent bool              `json:"idempotent,omitempty"`
	progress   ProgressFunc      // upload progress of the file parts (not JSON)
}

// requestOptions turns SendOptions into options JSON fields.
func requestOptions(o SendOptions) (optionsJSON, error) {
	ms, err := millis(o.Timeout, "SendOptions.Timeout")
	if err != nil {
		return optionsJSON{}, err
	}
	r, err := retries(o.Retries, "SendOptions.Retries")
	if err != nil {
		return optionsJSON{}, err
	}
	return optionsJSON{Method: o.Method, Body: o.Body, Query: o.Query, Headers: o.Headers, TimeoutMs: ms, Retries: r, Idempotent: o.Idempotent}, nil
}

// options encodes the options for C; nil (no options) when everything is empty,
// which keeps the common `nil, nil, nil` call free of JSON work.
func (cs *cStrings) options(o optionsJSON) (*C.char, error) {
	if o.Method == "" && len(o.Body) == 0 && len(o.Query) == 0 && len(o.Headers) == 0 && o.TimeoutMs == 0 && o.Retries == nil && !o.Idempotent {
		return nil, nil
	}
	b, err := json.Marshal(o)
	if err != nil {
		// The encoder's message may quote a value (e.g. a map key); name only the part.
		return nil, newError(KindInvalidArgument, "request body, query or headers cannot be encoded as JSON")
	}
	return cs.add(string(b))
}
