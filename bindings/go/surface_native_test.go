package bosbase_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// The native side of files and impersonation, against local test servers: what goes on
// the wire, cancellation and deadlines of calls with files, and the lifetime of forked
// clients.

// uploadServer reads each request's multipart body, keeps its parts, then (while hold is
// set) waits for release before answering validAuth.
type uploadServer struct {
	*httptest.Server
	arrived chan struct{}
	release chan struct{}
	once    sync.Once

	mu    sync.Mutex
	parts map[string]string // form name -> "filename|content type|content"
	ctype string
}

func newUploadServer(t *testing.T, hold bool) *uploadServer {
	t.Helper()
	s := &uploadServer{arrived: make(chan struct{}, 16), release: make(chan struct{}), parts: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		s.mu.Lock()
		s.ctype = mt
		s.mu.Unlock()
		if mt == "multipart/form-data" {
			mr := multipart.NewReader(r.Body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err != nil {
					break
				}
				b, _ := io.ReadAll(p)
				s.mu.Lock()
				s.parts[p.FormName()] = p.FileName() + "|" + p.Header.Get("Content-Type") + "|" + string(b)
				s.mu.Unlock()
			}
		}
		signal(s.arrived)
		if hold {
			select {
			case <-s.release:
			case <-r.Context().Done():
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(validAuth))
	}))
	t.Cleanup(func() {
		s.once.Do(func() { close(s.release) })
		s.Close()
	})
	return s
}

func (s *uploadServer) contentType() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctype
}

func (s *uploadServer) part(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.parts[name]
}

func TestFilePartsOnTheWire(t *testing.T) {
	srv := newUploadServer(t, false)
	c := newClientAt(t, srv.URL)
	path := filepath.Join(t.TempDir(), "doc.json")
	if err := os.WriteFile(path, []byte(`{"from":"disk"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := c.Collection("posts").Create(map[string]any{"title": "t"}, map[string]any{"extra": 1}, nil, nil,
		bosbase.FileBytes("a", "one.txt", []byte("bytes")),
		bosbase.FilePath("b", path),
		bosbase.File{Field: "c", Filename: "three.bin", ContentType: "image/png", Reader: strings.NewReader("reader")},
		bosbase.FileBytes("d", "empty.txt", nil))
	if err != nil {
		t.Fatalf("Create with parts: %v", err)
	}
	if ct := srv.contentType(); ct != "multipart/form-data" {
		t.Errorf("content type %q", ct)
	}
	for name, want := range map[string]string{
		"a": "one.txt|text/plain|bytes",
		"b": "doc.json|application/json|{\"from\":\"disk\"}",
		"c": "three.bin|image/png|reader",
		"d": "empty.txt|text/plain|",
	} {
		if got := srv.part(name); got != want {
			t.Errorf("part %s = %q, want %q", name, got, want)
		}
	}
	payload := srv.part("@jsonPayload")
	if !strings.Contains(payload, `"title":"t"`) || !strings.Contains(payload, `"extra":1`) {
		t.Errorf("@jsonPayload = %q", payload)
	}
	// Without parts the same call is plain JSON.
	if _, err := c.Collection("posts").Create(map[string]any{"title": "t"}, nil, nil, nil); err != nil || srv.contentType() != "application/json" {
		t.Errorf("without parts: content type %q, %v", srv.contentType(), err)
	}
}

func TestFileUploadCancelledAndTimedOut(t *testing.T) {
	srv := newUploadServer(t, true)
	c := newClientAt(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() {
		_, err := c.Collection("posts").CreateCtx(ctx, nil, nil, nil, nil, bosbase.FileBytes("a", "x.txt", []byte("x")))
		result <- err
	}()
	wait(t, srv.arrived, "the upload to reach the server")
	cancel()
	select {
	case err := <-result:
		if e := responseError(t, err); e.Kind != bosbase.KindCancelled || !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled upload: kind %q", e.Kind)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled upload did not return")
	}
	if srv.part("a") != "x.txt|text/plain|x" {
		t.Errorf("the server got part a = %q", srv.part("a"))
	}

	// The call's own deadline covers calls with files too.
	start := time.Now()
	_, err := c.Call("records.create", map[string]any{"collection": "posts"},
		bosbase.CallOptions{Timeout: 300 * time.Millisecond, Files: []bosbase.File{bosbase.FileBytes("a", "y.txt", []byte("y"))}})
	if e := responseError(t, err); e.Kind != bosbase.KindTimeout || time.Since(start) > 5*time.Second {
		t.Errorf("upload past its deadline: kind %q after %v", e.Kind, time.Since(start))
	}
	if n := bosbase.LiveCallHandles(); n != 0 {
		t.Errorf("%d call handles left", n)
	}
	// Let the held requests finish, so the client's Close need not wait for their deadline.
	srv.once.Do(func() { close(srv.release) })
}

// A forked (impersonated) client is a client of its own: it outlives its parent's Close,
// and one dropped without Close is freed by the finalizer.
func TestImpersonatedClientLifetime(t *testing.T) {
	srv := newUploadServer(t, false) // answers validAuth to the impersonate request
	before := bosbase.LiveClients()
	parent := bosbase.New(srv.URL)
	child, err := parent.Collection("users").Impersonate("r1", 0, nil, nil, nil)
	if err != nil {
		t.Fatalf("Impersonate: %v", err)
	}
	if child.AuthStore.Record()["id"] != "r1" || parent.AuthStore.Token() != "" {
		t.Errorf("child record %v, parent token set %t", child.AuthStore.Record(), parent.AuthStore.Token() != "")
	}
	parent.Close()
	if _, err := child.Health().Check(nil, nil, nil); err != nil {
		t.Errorf("the child after its parent's Close: %v", err)
	}
	if _, err := parent.Collection("users").Impersonate("r1", 0, nil, nil, nil); !errors.Is(err, bosbase.ErrClosed) {
		t.Errorf("Impersonate on a closed client: %v", err)
	}
	child = nil
	deadline := time.Now().Add(10 * time.Second)
	for bosbase.LiveClients() > before {
		if time.Now().After(deadline) {
			t.Fatalf("forgotten impersonated client not freed: %d live, want %d", bosbase.LiveClients(), before)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	// A result the core cannot fork from is its invalid_argument, and no client leaks.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"token": 5}`))
	}))
	defer bad.Close()
	c := newClientAt(t, bad.URL)
	if _, err := c.Collection("users").Impersonate("r1", 0, nil, nil, nil); responseError(t, err).Kind != bosbase.KindInvalidArgument {
		t.Errorf("fork of a bad result: %v", err)
	}
}

// rss is the process's resident set size (Linux /proc/self/status VmRSS).
func rss() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			var kb int64
			if _, err := fmt.Sscan(strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:")), &kb); err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmRSS in /proc/self/status")
}

// A 200 MB part from a path is streamed: the process's RSS grows by far less than the
// file while it is sent (issue 12: under 32 MB).
func TestFilePathUploadIsStreamed(t *testing.T) {
	const size = 200 << 20
	var received atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		received.Store(n)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"r1"}`))
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "big.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil { // sparse: no disk or page cache of ours needed
		t.Fatal(err)
	}
	f.Close()
	c := newClientAt(t, srv.URL)
	runtime.GC()
	base, err := rss()
	if err != nil {
		t.Fatalf("reading the RSS: %v", err)
	}
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if r, err := rss(); err == nil && r > peak.Load() {
				peak.Store(r)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	_, err = c.Call("records.create", map[string]any{"collection": "posts"},
		bosbase.CallOptions{Timeout: 2 * time.Minute, Files: []bosbase.File{bosbase.FilePath("attachment", path)}})
	close(stop)
	<-sampled
	if err != nil {
		t.Fatalf("200 MB upload: %v", err)
	}
	if received.Load() < size {
		t.Fatalf("the server received %d bytes, want over %d", received.Load(), size)
	}
	growth := peak.Load() - base
	t.Logf("RSS growth while sending 200 MB from a path: %.1f MB", float64(growth)/(1<<20))
	if growth > 32<<20 {
		t.Errorf("RSS grew by %d MB while sending 200 MB from a path (limit 32 MB)", growth>>20)
	}
}
