package bosbase

// RecordService.AuthWithOAuth2: the core's all-in-one OAuth2 flow
// (bosbase_auth_with_oauth2_async). The core hands the provider's URL to a C callback on
// its worker thread, which only passes it to the waiting goroutine; openURL runs there, on
// the caller's goroutine, so it may block, and an error from it cancels the flow.

/*
#include <stdint.h>
#include "bosbase.h"

BosbaseStatus bbgo_auth_with_oauth2_async(const BosbaseClient *client, const char *collection, const char *provider,
                                          const char *oauth2_json, const char *options_json, uintptr_t url_handle,
                                          uintptr_t handle, BosbaseCall **call_out, char **error_out);
*/
import "C"

import (
	"context"
	"encoding/json"
	"runtime/cgo"
	"time"
)

// OAuth2Options are the optional parts of AuthWithOAuth2.
type OAuth2Options struct {
	// Scopes replace the provider's default scopes in the authorization URL.
	Scopes []string
	// CreateData are fields of the account created on a first sign-in.
	CreateData map[string]any
	// URLQuery are extra query parameters of the authorization URL (prompt, login_hint...).
	URLQuery map[string]any
	// Body, Query and Headers go to the final code exchange request.
	Body    map[string]any
	Query   map[string]any
	Headers map[string]string
	// Timeout bounds the whole flow, the person's time at the provider included
	// (0 = 5 minutes; negative is refused). Past it the error's Kind is "timeout".
	Timeout time.Duration
}

type oauth2JSON struct {
	Scopes     []string       `json:"scopes,omitempty"`
	CreateData map[string]any `json:"createData,omitempty"`
	URLQuery   map[string]any `json:"urlQuery,omitempty"`
}

// AuthWithOAuth2 signs in with the OAuth2 provider (a name from ListAuthMethods, e.g.
// "google") as the JS SDK's authWithOAuth2 does, and saves the login in AuthStore; it
// returns the server's answer ({"token", "record", "meta"}). openURL gets the provider's
// authorization URL once, on this goroutine: open it in a browser (xdg-open, open, start)
// or show it, and return (ctx is not watched while it runs); the provider sends the browser to the server's /api/oauth2-redirect, which
// hands the code to this client over realtime. If openURL returns an error the flow is
// cancelled and that error is returned. When ctx is done first the flow is cancelled
// (Kind "cancelled", errors.Is(err, ctx.Err())). A refusal by the provider is Kind
// "oauth2", an unknown provider "invalid_argument", no redirect within opts.Timeout
// "timeout"; on any failure the auth store is unchanged. Run one flow per client at a time.
func (s *RecordService) AuthWithOAuth2(ctx context.Context, provider string, openURL func(url string) error, opts ...OAuth2Options) (map[string]any, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if openURL == nil {
		return nil, newError(KindInvalidArgument, "openURL is nil")
	}
	var o OAuth2Options
	if len(opts) > 0 {
		o = opts[0]
	}
	ms, err := millis(o.Timeout, "OAuth2Options.Timeout")
	if err != nil {
		return nil, err
	}
	flow, err := json.Marshal(oauth2JSON{Scopes: o.Scopes, CreateData: o.CreateData, URLQuery: o.URLQuery})
	if err != nil {
		return nil, newError(KindInvalidArgument, "OAuth2Options cannot be encoded as JSON")
	}
	text, err := s.client.call(func(cs *cStrings) (useFn, error) {
		if err := ctx.Err(); err != nil {
			return nil, cancelledError(err, "the call was cancelled before it started")
		}
		a, err := cs.addAll(s.name, provider, string(flow))
		if err != nil {
			return nil, err
		}
		options, err := cs.options(optionsJSON{Body: o.Body, Query: o.Query, Headers: o.Headers, TimeoutMs: ms})
		if err != nil {
			return nil, err
		}
		return func(ptr *C.BosbaseClient) (string, error) {
			return runOAuth2(ctx, openURL, func(urlHandle, h C.uintptr_t, call **C.BosbaseCall, errOut **C.char) C.BosbaseStatus {
				return C.bbgo_auth_with_oauth2_async(ptr, a[0], a[1], a[2], options, urlHandle, h, call, errOut)
			})
		}, nil
	})
	return decoded[map[string]any](text, err)
}

// runOAuth2 is runAsync with the URL step: it starts the flow, calls openURL with the URL
// the core hands over, and waits for the outcome or ctx (either cancels the flow; exactly
// one outcome always arrives, as in runAsync).
func runOAuth2(ctx context.Context, openURL func(string) error, start func(urlHandle, h C.uintptr_t, call **C.BosbaseCall, errOut **C.char) C.BosbaseStatus) (string, error) {
	urls := make(chan string, 1)
	urlHandle := cgo.NewHandle(urls)
	// The core never calls the URL callback after the completion, which is awaited below.
	defer urlHandle.Delete()
	done := make(chan outcome, 1)
	h := newCallHandle(done)
	var call *C.BosbaseCall
	var errOut *C.char
	status := start(C.uintptr_t(urlHandle), C.uintptr_t(h), &call, &errOut)
	if status != C.BOSBASE_STATUS_OK {
		deleteCallHandle(h)
		return "", statusError(status, takeString(errOut))
	}
	defer C.bosbase_call_free(call)
	var out outcome
	var openErr error
wait:
	for {
		select {
		case out = <-done:
			break wait
		case url := <-urls:
			if openErr = openURL(url); openErr != nil {
				C.bosbase_call_cancel(call)
				out = <-done
				break wait
			}
		case <-ctx.Done():
			C.bosbase_call_cancel(call)
			out = <-done
			break wait
		}
	}
	if out.status == C.BOSBASE_STATUS_OK {
		return out.result, nil
	}
	if openErr != nil && out.status == C.BOSBASE_STATUS_CANCELLED {
		return "", openErr
	}
	err := statusError(out.status, out.errJSON)
	if e, ok := err.(*ClientResponseError); ok && out.status == C.BOSBASE_STATUS_CANCELLED {
		e.cause = ctx.Err()
	}
	return "", err
}
