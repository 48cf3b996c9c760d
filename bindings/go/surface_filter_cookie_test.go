package bosbase_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// Filter's hostile-input table (as tests/filter.rs and src/filter.rs): the rendering,
// then the same values against the server, where they must match nothing.
func TestFilterRendering(t *testing.T) {
	date := time.Date(2024, 1, 2, 3, 4, 5, 6_000_000, time.FixedZone("X", 3600))
	for _, tc := range []struct {
		expr   string
		params map[string]any
		want   string
	}{
		{"a = {:x}", map[string]any{"x": "plain"}, `a = 'plain'`},
		{"a = {:x}", map[string]any{"x": "it's"}, `a = 'it\'s'`},
		{"a = {:x}", map[string]any{"x": "' || 1=1 || '"}, `a = '\' || 1=1 || \''`},
		{"a = {:x}", map[string]any{"x": `\' || true || '`}, `a = '\\' || true || \''`},
		{"a = {:x}", map[string]any{"x": `a\b`}, `a = 'a\b'`},
		{"a = {:x}", map[string]any{"x": `" || 1=1 || "`}, `a = '" || 1=1 || "'`},
		{"{:n} {:i} {:neg} {:b} {:z}", map[string]any{"n": 1.5, "i": 42, "neg": -7, "b": false, "z": nil}, "1.5 42 -7 false null"},
		{"x ?= {:arr}", map[string]any{"arr": []any{1, "a'b"}}, `x ?= '[1,"a\'b"]'`},
		{"x = {:obj}", map[string]any{"obj": map[string]any{"k": map[string]any{"n": []int{1}}}}, `x = '{"k":{"n":[1]}}'`},
		{"created > {:d}", map[string]any{"d": date}, `created > '2024-01-02 02:04:05.006Z'`},
		{"created > {:d}", map[string]any{"d": &date}, `created > '2024-01-02 02:04:05.006Z'`},
		{"{:missing} and {:n", map[string]any{"n": 1}, "{:missing} and {:n"},
		{"{:x}{:x}", map[string]any{"x": "v"}, "'v''v'"},
		{"a = {:x}", map[string]any{"x": "ünïcødé ✓"}, "a = 'ünïcødé ✓'"},
		{"no placeholders", nil, "no placeholders"},
	} {
		got, err := bosbase.Filter(tc.expr, tc.params)
		if err != nil || got != tc.want {
			t.Errorf("Filter(%q, %v) = %q, %v; want %q", tc.expr, tc.params, got, err, tc.want)
		}
	}
	// A trailing backslash would escape the closing quote: refused, not rendered.
	for _, params := range []map[string]any{
		{"x": `x\`, "y": " || 1=1 || "},
		{"x": `\\`, "y": ""},
	} {
		_, err := bosbase.Filter("a = {:x} || b = {:y}", params)
		if e := responseError(t, err); e.Kind != bosbase.KindInvalidArgument {
			t.Errorf("trailing backslash %v: kind %q", params, e.Kind)
		}
	}
	if _, err := bosbase.Filter("a = {:x}", map[string]any{"x": "nul\x00byte"}); err == nil {
		t.Errorf("a NUL byte in a parameter was accepted")
	}
	if _, err := bosbase.Filter("a = {:x}", map[string]any{"x": make(chan int)}); responseError(t, err).Kind != bosbase.KindInvalidArgument {
		t.Errorf("an unencodable parameter was accepted")
	}
}

func TestFilterHostileValuesMatchNothing(t *testing.T) {
	admin := superuser(t)
	count := func(value any) float64 {
		t.Helper()
		f := mustFilter(t, "email = {:e}", map[string]any{"e": value})
		page, err := admin.Collection("users").GetList(1, 1, nil, map[string]any{"filter": f}, nil)
		var cre *bosbase.ClientResponseError
		if errors.As(err, &cre) && cre.Status == 400 {
			// PostgreSQL (the real BosBase server) refuses comparing text with a number or
			// a bool instead of matching nothing: a refusal matches nothing either.
			return 0
		}
		if err != nil {
			t.Fatalf("GetList(filter %q): %v", f, err)
		}
		return page["totalItems"].(float64)
	}
	if n := count(userEmail); n != 1 {
		t.Fatalf("the plain email matches %v users, want 1", n)
	}
	for _, hostile := range []any{"' || email != '", `\' || email != '`, "' || 1=1 || '", `a\b`, `" || email != "`, 0, true, nil,
		map[string]any{"email": userEmail}, []any{userEmail}} {
		if n := count(hostile); n != 0 {
			t.Errorf("%v matched %v users", hostile, n)
		}
	}
	// Dates compare as PocketBase stores them: every user was created before now.
	f := mustFilter(t, "created < {:now} && created > {:past}", map[string]any{"now": time.Now(), "past": time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)})
	page, err := admin.Collection("users").GetList(1, 1, nil, map[string]any{"filter": f}, nil)
	if err != nil || page["totalItems"].(float64) < 2 {
		t.Errorf("date filter %q: %v, %v", f, page["totalItems"], err)
	}
}

func TestAuthStoreCookieRoundTrip(t *testing.T) {
	c, me := signedIn(t, userEmail, userPass)
	cookie, err := c.AuthStore.ExportToCookie(bosbase.CookieOptions{})
	if err != nil {
		t.Fatalf("ExportToCookie: %v", err)
	}
	for _, part := range []string{"pb_auth=", "; Path=/", "; Expires=", "; HttpOnly", "; Secure", "; SameSite=Strict"} {
		if !strings.Contains(cookie, part) {
			t.Errorf("cookie lacks %q: %s", part, cookie[strings.Index(cookie, ";"):])
		}
	}
	// A request's Cookie header (the name=value pair among others) signs a new client in.
	pair := cookie[:strings.Index(cookie, ";")]
	server := newClient(t)
	var changes int
	defer server.AuthStore.OnChange(func(string, map[string]any) { changes++ })()
	if err := server.AuthStore.LoadFromCookie("theme=dark; "+pair+"; lang=en", ""); err != nil {
		t.Fatalf("LoadFromCookie: %v", err)
	}
	if server.AuthStore.Token() != c.AuthStore.Token() || server.AuthStore.Record()["id"] != me || changes != 1 {
		t.Errorf("loaded token equal %t, record %v, %d changes", server.AuthStore.Token() == c.AuthStore.Token(), server.AuthStore.Record()["id"], changes)
	}
	if rec, err := server.Collection("users").AuthRefresh(nil, nil, nil); err != nil || rec["token"] != c.AuthStore.Token() {
		t.Errorf("the loaded login is not usable: %v", err)
	}

	// Options: another key, domain, SameSite and without Secure/HttpOnly.
	custom, err := c.AuthStore.ExportToCookie(bosbase.CookieOptions{Key: "sess", Path: "/app", Domain: "example.com", SameSite: "Lax", NotSecure: true, NotHTTPOnly: true})
	if err != nil {
		t.Fatalf("ExportToCookie(options): %v", err)
	}
	if !strings.HasPrefix(custom, "sess=") || !strings.Contains(custom, "; Path=/app") || !strings.Contains(custom, "; Domain=example.com") ||
		!strings.Contains(custom, "; SameSite=Lax") || strings.Contains(custom, "Secure") || strings.Contains(custom, "HttpOnly") {
		t.Errorf("custom cookie attributes: %s", custom[strings.Index(custom, ";"):])
	}
	other := newClient(t)
	if err := other.AuthStore.LoadFromCookie(custom[:strings.Index(custom, ";")], "sess"); err != nil || other.AuthStore.Record()["id"] != me {
		t.Errorf("LoadFromCookie(key sess): %v", err)
	}
	// A header without the cookie signs out; a malformed cookie signs out and is refused.
	if err := other.AuthStore.LoadFromCookie("theme=dark", "sess"); err != nil || other.AuthStore.Token() != "" {
		t.Errorf("a header without the cookie: %v, token left %t", err, other.AuthStore.Token() != "")
	}
	if err := server.AuthStore.LoadFromCookie("pb_auth=not-json", ""); responseError(t, err).Kind != bosbase.KindInvalidArgument || server.AuthStore.Token() != "" {
		t.Errorf("a malformed cookie: %v, token left %t", err, server.AuthStore.Token() != "")
	}
	// Attribute values that could break the header are refused, never echoed.
	_, err = c.AuthStore.ExportToCookie(bosbase.CookieOptions{Domain: "evil.com; Secure=no"})
	if e := responseError(t, err); e.Kind != bosbase.KindInvalidArgument || strings.Contains(e.Error(), "evil.com") {
		t.Errorf("a domain with ';': %v", err)
	}
	// An empty store exports an empty login that loads as signed out.
	empty := newClient(t)
	out, err := empty.AuthStore.ExportToCookie(bosbase.CookieOptions{})
	if err != nil || !strings.HasPrefix(out, "pb_auth=") {
		t.Fatalf("ExportToCookie of an empty store = %q, %v", out, err)
	}
	if err := server.AuthStore.LoadFromCookie(out[:strings.Index(out, ";")], ""); err != nil || server.AuthStore.Token() != "" {
		t.Errorf("loading an empty login: %v", err)
	}
	c.Close()
	if _, err := c.AuthStore.ExportToCookie(bosbase.CookieOptions{}); err == nil {
		t.Errorf("ExportToCookie on a closed client succeeded")
	}
	if err := c.AuthStore.LoadFromCookie(pair, ""); !errorsIsClosed(err) {
		t.Errorf("LoadFromCookie on a closed client: %v", err)
	}
}

func errorsIsClosed(err error) bool { return errors.Is(err, bosbase.ErrClosed) }
