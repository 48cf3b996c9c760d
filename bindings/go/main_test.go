package bosbase_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serverURL is the dev server every test talks to (one per `go test` run).
var serverURL string

// Demo accounts seeded by `scripts/devserver --demo`.
const (
	userEmail   = "user@example.com"
	userPass    = "user-password"
	user2Email  = "user2@example.com"
	user2Pass   = "user2-password"
	adminEmail  = "admin@example.com"
	adminPass   = "admin-password"
	mfaEmail    = "mfa@example.com"
	mfaPass     = "mfa-password"
	launcherRel = "../../scripts/devserver"
)

// TestMain starts one dev server through the launcher (no command: it prints the URL
// on line 1 and serves until SIGTERM), runs the tests, then stops it.
// BOSBASE_URL, when set (e.g. under `scripts/devserver --demo -- go test`), is used instead.
func TestMain(m *testing.M) {
	if u := os.Getenv("BOSBASE_URL"); u != "" {
		serverURL = u
		code := m.Run()
		reportPubsubSkip()
		os.Exit(code)
	}
	stop, err := startDevServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, "TestMain: cannot start the dev server:", err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	reportPubsubSkip()
	os.Exit(code)
}

func startDevServer() (stop func(), err error) {
	launcher, err := filepath.Abs(launcherRel)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(launcher, "--build", "--demo")
	cmd.Stderr = os.Stderr // build and start-up failures explain themselves
	// Own process group, so a test binary killed mid-run cannot orphan the server silently
	// and so stop can reach the server even if the launcher misbehaves.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	waited := make(chan struct{})
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(out)
		line, _ := r.ReadString('\n')
		lines <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, r) // keep the pipe drained
	}()
	go func() { _ = cmd.Wait(); close(waited) }()

	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM) // the launcher stops the server and removes its data dir
		select {
		case <-waited:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-waited
		}
	}
	// --build may compile the server first: allow minutes, not seconds.
	select {
	case line := <-lines:
		if !strings.HasPrefix(line, "http://") {
			stop()
			return nil, fmt.Errorf("launcher printed %q instead of a URL", line)
		}
		serverURL = line
		return stop, nil
	case <-waited:
		return nil, fmt.Errorf("launcher exited before printing a URL")
	case <-time.After(10 * time.Minute):
		stop()
		return nil, fmt.Errorf("no URL from the launcher after 10 minutes")
	}
}
