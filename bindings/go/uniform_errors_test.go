package bosbase_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// Every failure the binding returns, whoever detects it (core or binding), is a
// *ClientResponseError with a kind, usable through errors.As.
func TestEveryErrorIsClientResponseError(t *testing.T) {
	c := newClient(t)
	closed := bosbase.New(serverURL)
	closed.Close()
	refused := bosbase.New("ftp://example.com")
	defer refused.Close()
	down := bosbase.New(closedPortURL(t))
	defer down.Close()
	users := c.Collection("users")

	type result struct {
		err  error
		kind string
	}
	ctor := func(url string, o bosbase.ClientOptions) error { _, err := bosbase.NewClient(url, o); return err }
	send := func(c *bosbase.Client, path string, o bosbase.SendOptions) error {
		_, err := c.Send(path, o)
		return err
	}
	export := func(c *bosbase.Client) error { _, err := c.AuthStore.Export(); return err }
	authTok := func(c *bosbase.Client, tok string, body map[string]any, h map[string]string) error {
		_, err := c.Collection("users").AuthWithToken(tok, body, nil, h)
		return err
	}
	cases := map[string]result{
		"NewClient userinfo":       {ctor("http://bob:pw@127.0.0.1:1", bosbase.ClientOptions{}), "invalid_argument"},
		"NewClient bad port":       {ctor("http://127.0.0.1:99999", bosbase.ClientOptions{}), "invalid_argument"},
		"NewClient NUL in URL":     {ctor("http://127.0.0.1\x00:1", bosbase.ClientOptions{}), "invalid_argument"},
		"NewClient bad option":     {ctor(serverURL, bosbase.ClientOptions{Timeout: -1}), "invalid_argument"},
		"refused client call":      {authTok(refused, "t", nil, nil), "invalid_argument"},
		"refused client Save":      {refused.AuthStore.Save("t", nil), "invalid_argument"},
		"refused client Export":    {export(refused), "invalid_argument"},
		"NUL in password":          {func() error { _, err := users.BindCustomToken(userEmail, "pw\x00", "t", nil, nil, nil); return err }(), "invalid_argument"},
		"unencodable body":         {authTok(c, "t", map[string]any{"bad": make(chan int)}, nil), "invalid_argument"},
		"CR/LF header":             {authTok(c, "t", nil, map[string]string{"X": "a\r\nB: 1"}), "invalid_argument"},
		"framing header":           {authTok(c, "t", nil, map[string]string{"Content-Length": "1"}), "invalid_argument"},
		"unknown method":           {send(c, "/api/health", bosbase.SendOptions{Method: "BREW"}), "invalid_argument"},
		"negative per-call limit":  {send(c, "/api/health", bosbase.SendOptions{Timeout: -1}), "invalid_argument"},
		"path with #":              {send(c, "/api/health#x", bosbase.SendOptions{}), "invalid_argument"},
		"unencodable record":       {c.AuthStore.Save("t", map[string]any{"bad": make(chan int)}), "invalid_argument"},
		"NUL in token":             {c.AuthStore.Save("t\x00", nil), "invalid_argument"},
		"Import array":             {c.AuthStore.Import("[]"), "invalid_argument"},
		"Import malformed":         {c.AuthStore.Import("{not json"), "invalid_argument"},
		"HTTP 400":                 {authTok(c, "not-bound-token", nil, nil), "http"},
		"server down":              {send(down, "/api/health", bosbase.SendOptions{}), "network"},
		"closed client call":       {send(closed, "/api/health", bosbase.SendOptions{}), "closed"},
		"closed client Clear":      {closed.AuthStore.Clear(), "closed"},
		"closed client Save":       {closed.AuthStore.Save("t", nil), "closed"},
		"closed client Import":     {closed.AuthStore.Import("{}"), "closed"},
		"closed client Export":     {export(closed), "closed"},
		"closed client collection": {authTok(closed, "t", nil, nil), "closed"},
	}
	for name, r := range cases {
		var e *bosbase.ClientResponseError
		if !errors.As(fmt.Errorf("wrapped: %w", r.err), &e) {
			t.Errorf("%s: %T %v is not a *ClientResponseError", name, r.err, r.err)
			continue
		}
		if e.Kind != r.kind || e.Response == nil || e.Message == "" {
			t.Errorf("%s: kind %q (want %q), response %v, message %q", name, e.Kind, r.kind, e.Response, e.Message)
		}
		if (e.Kind == "closed") != errors.Is(r.err, bosbase.ErrClosed) {
			t.Errorf("%s: errors.Is(err, ErrClosed) = %v for kind %q", name, e.Kind != "closed", e.Kind)
		}
		if e.Kind != "http" && e.Status != 0 {
			t.Errorf("%s: kind %q with status %d", name, e.Kind, e.Status)
		}
	}
	// Importing garbage left the store as it was.
	if c.AuthStore.Token() != "" {
		t.Errorf("a refused Save/Import changed the store")
	}
}

// Nothing the binding prints (errors with %v, %+v, %#v, %s; the client; its store)
// contains URL userinfo, passwords or tokens.
func TestNothingPrintedLeaksSecrets(t *testing.T) {
	const url = "http://bob:hunter2@127.0.0.1:1"
	var printed []string
	show := func(vs ...any) {
		for _, v := range vs {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
				printed = append(printed, fmt.Sprintf(verb, v))
			}
		}
	}

	_, err := bosbase.NewClient(url, bosbase.ClientOptions{})
	if e := responseError(t, err); e.Kind != "invalid_argument" {
		t.Errorf("URL with userinfo: kind %q, want invalid_argument", e.Kind)
	}
	show(err)
	c := bosbase.New(url)
	defer c.Close()
	_, callErr := c.Collection("users").AuthWithPassword(userEmail, userPass, nil, nil, nil)
	if callErr == nil {
		t.Fatal("a client with userinfo in its URL made a call")
	}
	show(c, c.AuthStore, callErr, *c)

	// A logged-in client on the real server: the token and password stay out of print.
	live := newClient(t)
	auth, err := live.Collection("users").AuthWithPassword(userEmail, userPass, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	jwt, _ := auth["token"].(string)
	_, wrongErr := live.Collection("users").AuthWithPassword(userEmail, "wrong-secret-pw", nil, nil, nil)
	show(live, live.AuthStore, wrongErr, *live)

	for _, p := range printed {
		for _, secret := range []string{"hunter2", "bob:", userPass, "wrong-secret-pw", jwt} {
			if secret != "" && strings.Contains(p, secret) {
				t.Errorf("printed text leaks %q: %s", secret, p)
			}
		}
	}
	if !strings.Contains(fmt.Sprint(live.AuthStore), "hasToken: true") {
		t.Errorf("store description %q does not say it holds a token", fmt.Sprint(live.AuthStore))
	}
}
