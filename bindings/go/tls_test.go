package bosbase_test

import (
	"os"
	"strings"
	"testing"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// HTTPS against scripts/tls-fixture: a TLS server on 127.0.0.1 whose CA is generated at
// start. `make go-test` runs the suite under the fixture (and sets BOSBASE_TLS_REQUIRED
// so this cannot skip there); a plain `go test` skips it.
func TestHTTPS(t *testing.T) {
	url := os.Getenv("BOSBASE_TLS_URL")
	if url == "" {
		if os.Getenv("BOSBASE_TLS_REQUIRED") != "" {
			t.Fatal("BOSBASE_TLS_REQUIRED is set but BOSBASE_TLS_URL is not: run under scripts/tls-fixture")
		}
		t.Skip("BOSBASE_TLS_URL is unset: run under `scripts/tls-fixture -- go test` (make go-test does)")
	}
	wrongHost := os.Getenv("BOSBASE_TLS_WRONG_HOST_URL")
	caFile := os.Getenv("BOSBASE_TLS_CA_FILE")
	if wrongHost == "" || caFile == "" {
		t.Fatal("BOSBASE_TLS_WRONG_HOST_URL or BOSBASE_TLS_CA_FILE is unset")
	}
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	health := func(t *testing.T, url string, opts bosbase.ClientOptions) error {
		t.Helper()
		c, err := bosbase.NewClient(url, opts)
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		defer c.Close()
		v, err := c.Send("/api/health", bosbase.SendOptions{})
		if err == nil {
			if m, ok := v.(map[string]any); !ok || m["code"] != float64(200) {
				t.Errorf("health answer = %v", v)
			}
		}
		return err
	}

	t.Run("CAFile", func(t *testing.T) {
		if err := health(t, url, bosbase.ClientOptions{CAFile: caFile}); err != nil {
			t.Errorf("with CAFile: %v", err)
		}
	})
	t.Run("CAPEM", func(t *testing.T) {
		if err := health(t, url, bosbase.ClientOptions{CAPEM: string(caPEM)}); err != nil {
			t.Errorf("with CAPEM: %v", err)
		}
	})
	t.Run("UntrustedCA", func(t *testing.T) {
		e := responseError(t, health(t, url, bosbase.ClientOptions{}))
		if e.Kind != "tls" || e.Status != 0 {
			t.Errorf("without the CA: kind %q status %d (%v), want tls 0", e.Kind, e.Status, e)
		}
		if !strings.Contains(e.Message, "unknown issuer") {
			t.Errorf("without the CA: message %q does not say unknown issuer", e.Message)
		}
	})
	t.Run("WrongHost", func(t *testing.T) {
		e := responseError(t, health(t, wrongHost, bosbase.ClientOptions{CAFile: caFile}))
		if e.Kind != "tls" || e.Status != 0 {
			t.Errorf("wrong host: kind %q status %d (%v), want tls 0", e.Kind, e.Status, e)
		}
		if !strings.Contains(e.Message, "name mismatch") {
			t.Errorf("wrong host: message %q does not say name mismatch", e.Message)
		}
	})
	t.Run("DangerAcceptInvalidCerts", func(t *testing.T) {
		if err := health(t, url, bosbase.ClientOptions{DangerAcceptInvalidCerts: true}); err != nil {
			t.Errorf("DangerAcceptInvalidCerts, right host: %v", err)
		}
		if err := health(t, wrongHost, bosbase.ClientOptions{DangerAcceptInvalidCerts: true}); err != nil {
			t.Errorf("DangerAcceptInvalidCerts, wrong host: %v", err)
		}
	})
	t.Run("BadCA", func(t *testing.T) {
		_, err := bosbase.NewClient(url, bosbase.ClientOptions{CAPEM: "not a certificate"})
		if e := responseError(t, err); e.Kind != "invalid_argument" || strings.Contains(e.Message, "not a certificate") {
			t.Errorf("bad CAPEM: kind %q message %q", e.Kind, e.Message)
		}
		_, err = bosbase.NewClient(url, bosbase.ClientOptions{CAFile: caFile + ".missing"})
		if e := responseError(t, err); e.Kind != "invalid_argument" {
			t.Errorf("missing CAFile: kind %q", e.Kind)
		}
	})
}
