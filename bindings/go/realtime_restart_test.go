package bosbase_test

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// TestRealtimeServerRestartReconnects: a dev server of its own (target/bosbase-devserver,
// or BOSBASE_DEVSERVER_BIN) is killed and started again on the same port and data dir:
// the state listener sees disconnected then reconnected, and events resume.
func TestRealtimeServerRestartReconnects(t *testing.T) {
	bin := os.Getenv("BOSBASE_DEVSERVER_BIN")
	if bin == "" {
		bin, _ = filepath.Abs("../../target/bosbase-devserver")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("no dev server binary at %s (make go-test builds it): restart not tested", bin)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	_ = l.Close()
	url, dir := "http://127.0.0.1:"+port, t.TempDir()
	server := startOwnServer(t, bin, port, dir)

	listener := bosbase.New(url)
	defer listener.Close()
	writer := bosbase.New(url)
	defer writer.Close()
	var me string
	for _, c := range []*bosbase.Client{listener, writer} {
		auth, err := c.Collection("users").AuthWithPassword(userEmail, userPass, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		me, _ = auth["record"].(map[string]any)["id"].(string)
	}
	states, err := listener.Realtime().OnState()
	if err != nil {
		t.Fatal(err)
	}
	defer states.Remove()
	sub := subscribed(t)(listener.Collection("posts").Subscribe("*", bosbase.SubscribeOptions{}))
	waitState(t, states, bosbase.StateConnected)

	stopOwnServer(server)
	waitState(t, states, bosbase.StateDisconnected)
	server = startOwnServer(t, bin, port, dir)
	defer stopOwnServer(server)
	waitStateWithin(t, states, bosbase.StateReconnected, 30*time.Second) // backoff is at most 10 s
	title := uniqueTitle(t, "go-after-restart")
	id := createPost(t, writer, me, title)
	recordEvent(t, sub, "create", id, title)
}

// startOwnServer runs the dev server on port with dir and waits until it answers.
func startOwnServer(t *testing.T, bin, port, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--http=127.0.0.1:"+port, "--dir="+dir, "--demo")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopOwnServer(cmd) })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := http.Get("http://127.0.0.1:" + port + "/api/health"); err == nil {
			_ = r.Body.Close()
			if r.StatusCode == 200 {
				return cmd
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("own dev server on port %s did not answer", port)
	return nil
}

// stopOwnServer kills the server and reaps it (idempotent).
func stopOwnServer(cmd *exec.Cmd) {
	if cmd.ProcessState != nil {
		return
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}
