package bosbase_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// Downloads and transfer progress (issue 23, item 3): an upload and a download report
// progress on the calling goroutine, the bytes come back equal, a cap is "too_large",
// and a cancelled download leaves no file.

// transferCollection creates a collection with a `doc` file field (anyone may create and
// view) as the superuser; returns the superuser's client and its name.
func transferCollection(t *testing.T) (*bosbase.Client, string) {
	t.Helper()
	c := newClient(t)
	if _, err := c.Collection("_superusers").AuthWithPassword(adminEmail, adminPass, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("dlgo_%d", time.Now().UnixNano())
	data := map[string]any{"name": name, "type": "base", "listRule": "", "viewRule": "", "createRule": "",
		"fields": []any{map[string]any{"name": "doc", "type": "file", "maxSelect": 1, "maxSize": 100 << 20}}}
	if _, err := c.Call("collections.create", map[string]any{"data": data}, bosbase.CallOptions{}); err != nil {
		t.Fatal(err)
	}
	return c, name
}

// reports records progress and checks it is monotonic and ends with done == total.
type reports struct {
	t     *testing.T
	seen  [][2]int64
	after *bool // set once the call returned: no report may come then
}

func (r *reports) fn(done, total int64) {
	if r.after != nil && *r.after {
		r.t.Errorf("a progress report after the call returned")
	}
	r.seen = append(r.seen, [2]int64{done, total}) // no lock: reports run on the caller's goroutine
}

func (r *reports) check(total int64) {
	r.t.Helper()
	if len(r.seen) < 10 {
		r.t.Fatalf("%d reports", len(r.seen))
	}
	for i := 1; i < len(r.seen); i++ {
		if r.seen[i][0] < r.seen[i-1][0] {
			r.t.Fatalf("not monotonic: %v", r.seen)
		}
	}
	if last := r.seen[len(r.seen)-1]; last[0] != last[1] || (total > 0 && last[1] != total) {
		r.t.Fatalf("last report %v, total %d", last, total)
	}
}

func TestDownloadWithProgress(t *testing.T) {
	c, name := transferCollection(t)
	data := bytes.Repeat([]byte("0123456789abcdef"), 256<<10) // 4 MiB
	up := &reports{t: t}
	rec, err := c.Call("records.create", map[string]any{"collection": name, "data": map[string]any{}},
		bosbase.CallOptions{Files: []bosbase.File{bosbase.FileBytes("doc", "d.bin", data)}, Progress: up.fn})
	if err != nil {
		t.Fatal(err)
	}
	up.check(0)
	record := rec.(map[string]any)
	stored := record["doc"].(string)

	dir := t.TempDir()
	target := filepath.Join(dir, "out.bin")
	returned := false
	down := &reports{t: t, after: &returned}
	res, err := c.Files().Download(record, stored, target, bosbase.DownloadOptions{Progress: down.fn})
	returned = true
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(target)
	if !bytes.Equal(got, data) || res["bytes"] != float64(len(data)) {
		t.Fatalf("downloaded %d bytes, result %v", len(got), res)
	}
	down.check(int64(len(data)))

	_, err = c.Files().Download(record, stored, filepath.Join(dir, "capped.bin"), bosbase.DownloadOptions{MaxBytes: 1000})
	var e *bosbase.ClientResponseError
	if !errors.As(err, &e) || e.Kind != bosbase.KindTooLarge || e.Status != 200 {
		t.Fatalf("capped download: %v", err)
	}
	_, err = c.Files().Download(record, "missing.bin", filepath.Join(dir, "missing.bin"), bosbase.DownloadOptions{})
	if !errors.As(err, &e) || e.Kind != bosbase.KindHTTP || e.Status != 404 {
		t.Fatalf("missing file: %v", err)
	}

	// Cancelled from the context after the first report: Kind "cancelled", no file.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := true
	_, err = c.Files().DownloadCtx(ctx, record, stored, filepath.Join(dir, "cancelled.bin"), bosbase.DownloadOptions{
		Progress: func(done, total int64) {
			if first {
				first = false
				cancel()
			}
		},
	})
	if !errors.As(err, &e) || e.Kind != bosbase.KindCancelled || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled download: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("files left: %v", entries)
	}
}
