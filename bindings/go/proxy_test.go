package bosbase_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// connectProxy is a loopback HTTP CONNECT proxy that counts the tunnels it opens (to
// loopback targets only) and remembers each CONNECT's Proxy-Authorization.
type connectProxy struct {
	addr    string
	tunnels atomic.Int64
	mu      sync.Mutex
	auths   []string
}

func newConnectProxy(t *testing.T) *connectProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{addr: ln.Addr().String()}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(conn)
		}
	}()
	return p
}

func (p *connectProxy) serve(conn net.Conn) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.auths = append(p.auths, req.Header.Get("Proxy-Authorization"))
	p.mu.Unlock()
	if req.Method != http.MethodConnect || !strings.HasPrefix(req.Host, "127.0.0.1:") {
		_, _ = io.WriteString(conn, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
		return
	}
	server, err := net.Dial("tcp", req.Host)
	if err != nil {
		_, _ = io.WriteString(conn, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	defer server.Close()
	_, _ = io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
	p.tunnels.Add(1)
	go func() { _, _ = io.Copy(server, br); server.Close() }()
	_, _ = io.Copy(conn, server)
}

// The proxy option crosses the C ABI: calls go through the tunnel, "none" goes direct.
func TestProxyOption(t *testing.T) {
	srv := newHeaderServer(t)
	p := newConnectProxy(t)
	c, err := bosbase.NewClient(srv.URL, bosbase.ClientOptions{Proxy: "http://" + p.addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 3; i++ {
		if _, err := c.Send("/x", bosbase.SendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.tunnels.Load(); n != 1 {
		t.Errorf("tunnels opened: %d, want 1 (three calls on one kept-alive tunnel)", n)
	}

	direct, err := bosbase.NewClient(srv.URL, bosbase.ClientOptions{Proxy: "none"})
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	if _, err := direct.Send("/x", bosbase.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := p.tunnels.Load(); n != 1 {
		t.Errorf("\"none\" went through the proxy (%d tunnels)", n)
	}
}

// Credentials reach the proxy only; a refusal is a network error naming the proxy.
func TestProxyCredentialsAndRefusals(t *testing.T) {
	srv := newHeaderServer(t)
	p := newConnectProxy(t)
	c, err := bosbase.NewClient(srv.URL, bosbase.ClientOptions{Proxy: "http://ann:top-secret@" + p.addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Send("/x", bosbase.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	auth := p.auths[0]
	p.mu.Unlock()
	if auth != "Basic YW5uOnRvcC1zZWNyZXQ=" {
		t.Errorf("Proxy-Authorization %q", auth)
	}
	if got := srv.header("Proxy-Authorization"); got != "" {
		t.Errorf("the server saw the proxy credentials: %q", got)
	}

	// The test proxy refuses any target but 127.0.0.1: a named server gets its 403.
	named := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	refused, err := bosbase.NewClient(named, bosbase.ClientOptions{Proxy: "http://ann:top-secret@" + p.addr})
	if err != nil {
		t.Fatal(err)
	}
	defer refused.Close()
	_, err = refused.Send("/x", bosbase.SendOptions{})
	e := responseError(t, err)
	if e.Kind != "network" || !strings.Contains(e.Message, p.addr) || !strings.Contains(e.Message, "403") {
		t.Errorf("refusal: %+v", e)
	}
	assertNoSecrets(t, err, "top-secret", "ann:")

	_, err = bosbase.NewClient(srv.URL, bosbase.ClientOptions{Proxy: "socks5://127.0.0.1:1080"})
	if e := responseError(t, err); e.Kind != "invalid_argument" || !strings.Contains(e.Message, "SOCKS") {
		t.Errorf("socks5: %+v", e)
	}
}
