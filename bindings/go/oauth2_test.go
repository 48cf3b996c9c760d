package bosbase_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

const oauth2Email = "oauth2-user@example.com"

// startOAuth2Provider runs scripts/oauth2-provider (a 127.0.0.1 OAuth2 provider it makes
// the "oidc" provider of users on the test server) until the test ends; it returns the
// provider's name and the browser: browse(url) GETs the authorization URL and follows the
// redirect to the server's /api/oauth2-redirect (nil when the server took it).
func startOAuth2Provider(t *testing.T) (string, func(url string) error) {
	script, err := filepath.Abs("../../scripts/oauth2-provider")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script)
	cmd.Env = append(os.Environ(), "BOSBASE_URL="+serverURL)
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() }) // it stops when its stdin closes
	line, _ := bufio.NewReader(out).ReadString('\n')
	name := strings.TrimSpace(line)
	if name == "" {
		t.Fatal("the OAuth2 provider did not start")
	}
	browse := func(url string) error { return exec.Command(script, "browse", url).Run() }
	return name, browse
}

func TestAuthWithOAuth2(t *testing.T) {
	provider, browse := startOAuth2Provider(t)
	users := func(c *bosbase.Client) *bosbase.RecordService { return c.Collection("users") }
	opts := bosbase.OAuth2Options{Timeout: 20 * time.Second, Scopes: []string{"openid", "email"}}

	t.Run("signs in and saves the login", func(t *testing.T) {
		c := newClient(t)
		var seen string
		auth, err := users(c).AuthWithOAuth2(context.Background(), provider, func(url string) error {
			seen = url
			return browse(url)
		}, opts)
		if err != nil {
			t.Fatalf("AuthWithOAuth2: %v", err)
		}
		if !strings.Contains(seen, "%2Fapi%2Foauth2-redirect") || !strings.Contains(seen, "scope=openid%20email") {
			t.Errorf("authorization URL = %s", seen)
		}
		if rec, _ := auth["record"].(map[string]any); rec["email"] != oauth2Email {
			t.Errorf("record = %v", auth["record"])
		}
		if c.AuthStore.Token() != auth["token"] || c.AuthStore.Record()["email"] != oauth2Email {
			t.Errorf("the auth store does not hold the login")
		}
	})

	t.Run("a provider refusal is kind oauth2", func(t *testing.T) {
		c := newClient(t)
		_, err := users(c).AuthWithOAuth2(context.Background(), provider, func(url string) error {
			_ = browse(url + "&deny=1") // the server takes it and shows its failure page
			return nil
		}, opts)
		if e := responseError(t, err); e.Kind != bosbase.KindOAuth2 || !strings.Contains(e.Message, "access_denied") {
			t.Errorf("err = %v (kind %q)", err, e.Kind)
		}
		if c.AuthStore.Token() != "" {
			t.Errorf("a refused sign-in changed the auth store")
		}
	})

	t.Run("an openURL error cancels the flow and is returned", func(t *testing.T) {
		c := newClient(t)
		cannot := errors.New("no browser here")
		start := time.Now()
		_, err := users(c).AuthWithOAuth2(context.Background(), provider, func(string) error { return cannot }, opts)
		if !errors.Is(err, cannot) || time.Since(start) > 5*time.Second {
			t.Errorf("err = %v after %v", err, time.Since(start))
		}
	})

	t.Run("a done context cancels; a late redirect saves nothing", func(t *testing.T) {
		c := newClient(t)
		ctx, cancel := context.WithCancel(context.Background())
		var url string
		_, err := users(c).AuthWithOAuth2(ctx, provider, func(u string) error { url = u; cancel(); return nil }, opts)
		if e := responseError(t, err); e.Kind != bosbase.KindCancelled || !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
		_ = browse(url)
		time.Sleep(300 * time.Millisecond)
		if c.AuthStore.Token() != "" {
			t.Errorf("a cancelled sign-in changed the auth store")
		}
	})

	t.Run("no redirect within the timeout", func(t *testing.T) {
		c := newClient(t)
		_, err := users(c).AuthWithOAuth2(context.Background(), provider, func(string) error { return nil },
			bosbase.OAuth2Options{Timeout: time.Second})
		if e := responseError(t, err); e.Kind != bosbase.KindTimeout {
			t.Errorf("err = %v", err)
		}
		_, err = users(c).AuthWithOAuth2(context.Background(), "nope", func(string) error { return nil })
		if e := responseError(t, err); e.Kind != bosbase.KindInvalidArgument {
			t.Errorf("unknown provider: err = %v", err)
		}
	})
}
