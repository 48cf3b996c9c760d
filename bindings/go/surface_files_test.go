package bosbase_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// The files group: parts from bytes, a path and a reader, sent through the generated
// record methods, then read back through files.getURL.

// fetch GETs url and returns the body.
func fetch(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET file URL: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET file URL: status %d, %v", resp.StatusCode, err)
	}
	return b
}

// fileURL is files.getURL for the record's attachment.
func fileURL(t *testing.T, c *bosbase.Client, rec map[string]any, token string) string {
	t.Helper()
	name, _ := rec["attachment"].(string)
	if name == "" {
		t.Fatalf("record has no attachment: %v", rec)
	}
	u, err := c.Files().GetURL(rec, name, "", false, token, nil, nil, nil)
	if err != nil || !strings.HasPrefix(u, serverURL+"/api/files/") {
		t.Fatalf("GetURL = %q, %v", u, err)
	}
	return u
}

func TestFileUploadsFromBytesPathAndReader(t *testing.T) {
	c, me := signedIn(t, userEmail, userPass)
	posts := c.Collection("posts")

	data := make([]byte, 300_000) // binary, with NUL bytes, bigger than one write
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	rec, err := posts.Create(map[string]any{"title": "with bytes", "author": me}, nil, nil, nil,
		bosbase.FileBytes("attachment", "hello.bin", data))
	if err != nil {
		t.Fatalf("Create with FileBytes: %v", err)
	}
	if name, _ := rec["attachment"].(string); !strings.HasPrefix(name, "hello") || !strings.HasSuffix(name, ".bin") {
		t.Errorf("attachment = %q", rec["attachment"])
	}
	if rec["title"] != "with bytes" || rec["author"] != me {
		t.Errorf("the JSON fields did not travel with the file: %v", rec)
	}
	if got := fetch(t, fileURL(t, c, rec, "")); !bytes.Equal(got, data) {
		t.Errorf("downloaded %d bytes differ from the %d uploaded", len(got), len(data))
	}

	// From a path (streamed by the core), through the asynchronous form.
	path := filepath.Join(t.TempDir(), "notes.txt")
	text := []byte(strings.Repeat("path upload line\n", 1000))
	if err := os.WriteFile(path, text, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec, err = posts.UpdateCtx(ctx, rec["id"].(string), map[string]any{"title": "with a path"}, nil, nil, nil,
		bosbase.FilePath("attachment", path))
	if err != nil {
		t.Fatalf("UpdateCtx with FilePath: %v", err)
	}
	if name, _ := rec["attachment"].(string); !strings.HasPrefix(name, "notes") || rec["title"] != "with a path" {
		t.Errorf("after update: %v", rec)
	}
	if got := fetch(t, fileURL(t, c, rec, "")); !bytes.Equal(got, text) {
		t.Errorf("downloaded path upload differs")
	}

	// From a reader, with an explicit content type, through the generic call.
	v, err := c.Call("records.create", map[string]any{"collection": "posts", "data": map[string]any{"title": "with a reader", "author": me}},
		bosbase.CallOptions{Files: []bosbase.File{{Field: "attachment", Filename: "r.txt", ContentType: "text/plain", Reader: strings.NewReader("from a reader")}}})
	if err != nil {
		t.Fatalf("Call(records.create) with a reader part: %v", err)
	}
	rec2 := v.(map[string]any)
	if got := fetch(t, fileURL(t, c, rec2, "")); string(got) != "from a reader" {
		t.Errorf("reader upload = %q", got)
	}

	// A thumb/download URL is still a URL on the server; files.getToken gives a token.
	tok, err := c.Files().GetToken(nil, nil, nil)
	if err != nil || tok == "" {
		t.Errorf("GetToken = %q, %v", tok, err)
	}
	u, err := c.Files().GetURL(rec2, rec2["attachment"].(string), "", true, tok, nil, nil, nil)
	if err != nil || !strings.Contains(u, "download=") || !strings.Contains(u, "token=") {
		t.Errorf("GetURL(download, token) = %q, %v", u, err)
	} else if got := fetch(t, u); string(got) != "from a reader" {
		t.Errorf("download with token = %q", got)
	}
	if u, err := c.Files().GetURL(map[string]any{}, "", "", false, "", nil, nil, nil); err != nil || u != "" {
		t.Errorf("GetURL of no record = %q, %v; want \"\"", u, err)
	}

	for _, id := range []string{rec["id"].(string), rec2["id"].(string)} {
		if _, err := posts.Delete(id, nil, nil, nil); err != nil {
			t.Errorf("Delete: %v", err)
		}
	}
}

// Bad parts are refused before anything is sent, naming the field, not the content.
func TestFilePartsRefused(t *testing.T) {
	c, me := signedIn(t, userEmail, userPass)
	posts := c.Collection("posts")
	missing := filepath.Join(t.TempDir(), "no-such-file.txt")
	_, err := posts.Create(map[string]any{"title": "missing file", "author": me}, nil, nil, nil, bosbase.FilePath("attachment", missing))
	if e := responseError(t, err); e.Kind != bosbase.KindInvalidArgument || !strings.Contains(e.Message, "attachment") {
		t.Errorf("missing path: kind %q message %q", e.Kind, e.Message)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = posts.CreateCtx(ctx, map[string]any{"title": "missing file", "author": me}, nil, nil, nil, bosbase.FilePath("attachment", missing))
	if e := responseError(t, err); e.Kind != bosbase.KindInvalidArgument {
		t.Errorf("missing path (ctx): kind %q", e.Kind)
	}
	both := bosbase.File{Field: "attachment", Filename: "x", Data: []byte("x"), Path: missing}
	_, err = posts.Create(map[string]any{"title": "two sources", "author": me}, nil, nil, nil, both)
	if e := responseError(t, err); e.Kind != bosbase.KindInvalidArgument {
		t.Errorf("Data and Path: kind %q", e.Kind)
	}
	_, err = posts.Create(map[string]any{"title": "nul"}, nil, nil, nil, bosbase.FileBytes("attach\x00ment", "a", nil))
	if e := responseError(t, err); e.Kind != bosbase.KindInvalidArgument {
		t.Errorf("NUL in field: kind %q", e.Kind)
	}
	// Too large for the field (5 MB): the server's 400, with the field in data.
	_, err = posts.Create(map[string]any{"title": "too big", "author": me}, nil, nil, nil,
		bosbase.FileBytes("attachment", "big.bin", make([]byte, 6<<20)))
	if e := responseError(t, err); e.Kind != "http" || e.Status != 400 {
		t.Errorf("6 MB attachment: kind %q status %d", e.Kind, e.Status)
	} else if data, _ := e.Response["data"].(map[string]any); data["attachment"] == nil {
		t.Errorf("6 MB attachment: response %v", e.Response)
	}
	// A File prints its field and name, never its content.
	f := bosbase.FileBytes("attachment", "secret.txt", []byte("top-secret-content"))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, f); strings.Contains(s, "top-secret-content") || !strings.Contains(s, "secret.txt") {
			t.Errorf("%s of a File = %q", verb, s)
		}
	}
	if n := bosbase.LiveCallHandles(); n != 0 {
		t.Errorf("%d call handles left", n)
	}
}
