package bosbase_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// ClientOptions.AuthFile: a login through the server is there for the next client, in an
// owner-only file; a corrupt file is reported by FileError and ignored.
func TestAuthFileKeepsTheLogin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.json")
	c, err := bosbase.NewClient(serverURL, bosbase.ClientOptions{AuthFile: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AuthStore.FileError(); err != nil {
		t.Fatalf("a missing file is no problem: %v", err)
	}
	auth, err := c.Collection("users").AuthWithPassword(userEmail, userPass, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("file mode %o, want 600", mode)
	}

	again, err := bosbase.NewClient(serverURL, bosbase.ClientOptions{AuthFile: path})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if again.AuthStore.Token() != auth["token"] || again.AuthStore.Record()["email"] != userEmail {
		t.Fatalf("the next client does not have the login")
	}
	if err := again.AuthStore.Clear(); err != nil {
		t.Fatal(err)
	}
	restarted, _ := bosbase.NewClient(serverURL, bosbase.ClientOptions{AuthFile: path})
	defer restarted.Close()
	if restarted.AuthStore.Token() != "" {
		t.Errorf("a cleared login came back")
	}
}

func TestAuthFileCorruptIsReported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.json")
	if err := os.WriteFile(path, []byte(`{"token": "s3cr3t", "record": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := bosbase.NewClient(serverURL, bosbase.ClientOptions{AuthFile: path})
	if err != nil {
		t.Fatalf("a corrupt file must not fail NewClient: %v", err)
	}
	defer c.Close()
	if c.AuthStore.Token() != "" {
		t.Errorf("the store must start empty")
	}
	var e *bosbase.ClientResponseError
	if err := c.AuthStore.FileError(); !errors.As(err, &e) || e.Kind != bosbase.KindInvalidArgument ||
		!strings.HasPrefix(e.Message, "authFile:") || strings.Contains(e.Error(), "s3cr3t") {
		t.Fatalf("FileError = %v", err)
	}
	if err := c.AuthStore.Save("fresh", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.AuthStore.FileError(); err != nil {
		t.Errorf("a successful write clears the problem: %v", err)
	}
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), "fresh") {
		t.Errorf("the bad file was not replaced")
	}
	plain := bosbase.New(serverURL)
	defer plain.Close()
	if err := plain.AuthStore.FileError(); err != nil {
		t.Errorf("no AuthFile, no problem: %v", err)
	}
}
