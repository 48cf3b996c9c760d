package bosbase_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// The memory of a big result: records.getFullList of 20,000 posts (about 7 MB of JSON)
// through the binding against net/http + encoding/json fetching the same pages, each side
// in its own process (this test binary run again with fullListSideEnv set) so each peak
// RSS growth is that side's own, C heap included.

const (
	fullListRecords = 20000
	fullListBatch   = 1000
	fullListSideEnv = "BOSBASE_BENCH_FULLLIST_SIDE"
	fullListAuthEnv = "BOSBASE_BENCH_FULLLIST_TOKEN"
)

// statusKiB reads a field of /proc/self/status in KiB.
func statusKiB(name string) int64 {
	raw, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, name) {
			rest := strings.TrimSpace(strings.TrimPrefix(line, name))
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(rest, "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// TestFullListMemorySide is one measurement, run only as BenchmarkFullListMemory's child:
// it prints "growth_kib items".
func TestFullListMemorySide(t *testing.T) {
	side := os.Getenv(fullListSideEnv)
	if side == "" {
		t.Skip("run by BenchmarkFullListMemory")
	}
	token := os.Getenv(fullListAuthEnv)
	headers := map[string]string{"Authorization": token}
	c := bosbase.New(serverURL)
	defer c.Close()
	hc := &http.Client{Timeout: 60 * time.Second}
	page := func(n, perPage int) []byte {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/collections/posts/records?page=%d&perPage=%d&skipTotal=1", serverURL, n, perPage), nil)
		req.Header.Set("Authorization", token)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("page %d: %v %d", n, err, resp.StatusCode)
		}
		return body
	}
	// Warm both sides (connections, the core's pool) with one small request each.
	if _, err := c.Collection("posts").GetList(1, 1, nil, nil, headers); err != nil {
		t.Fatal(err)
	}
	page(1, 1)
	runtime.GC()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Fatal(err)
	}
	before := statusKiB("VmRSS:")
	var items []any
	switch side {
	case "binding":
		all, err := c.Collection("posts").GetFullList(fullListBatch, nil, nil, headers)
		if err != nil {
			t.Fatal(err)
		}
		items = all
	case "net/http":
		for n := 1; ; n++ {
			var p struct {
				Items []any `json:"items"`
			}
			if err := json.Unmarshal(page(n, fullListBatch), &p); err != nil {
				t.Fatal(err)
			}
			items = append(items, p.Items...)
			if len(p.Items) < fullListBatch {
				break
			}
		}
	default:
		t.Fatalf("unknown side %q", side)
	}
	growth := statusKiB("VmHWM:") - before
	fmt.Printf("RESULT %d %d\n", growth, len(items))
	runtime.KeepAlive(items)
}

// seedPosts creates the posts as the superuser (batches of 1000) unless they exist, and
// returns the superuser's token.
func seedPosts(b *testing.B) string {
	c := bosbase.New(serverURL)
	defer c.Close()
	if _, err := c.Collection("_superusers").AuthWithPassword("admin@example.com", "admin-password", nil, nil, nil); err != nil {
		b.Fatal(err)
	}
	list, err := c.Collection("posts").GetList(1, 1, nil, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	if total, _ := list["totalItems"].(float64); total >= fullListRecords {
		return c.AuthStore.Token()
	}
	batch := map[string]any{"batch": map[string]any{"enabled": true, "maxRequests": 1000, "timeout": 30, "maxBodySize": 0}}
	if _, err := c.Settings().Update(batch, nil, nil, nil); err != nil {
		b.Fatal(err)
	}
	user, err := c.Collection("users").GetFirstListItem("email = 'user@example.com'", nil, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	for chunk := 0; chunk < fullListRecords/1000; chunk++ {
		requests := make([]any, 0, 1000)
		for i := 0; i < 1000; i++ {
			n := chunk*1000 + i
			data := map[string]any{
				"title":  fmt.Sprintf("Post number %d", n),
				"body":   fmt.Sprintf("Body of post %d: %s", n, strings.Repeat("lorem ipsum dolor sit amet ", 3)),
				"author": user["id"],
			}
			requests = append(requests, map[string]any{"action": "create", "collection": "posts", "data": data})
		}
		if _, err := c.Batch().Send(requests, nil, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	return c.AuthStore.Token()
}

// BenchmarkFullListMemory prints the median peak RSS growth of each side over 5 runs
// (sides alternate which goes first) and their ratio. Run it with -benchtime 1x.
func BenchmarkFullListMemory(b *testing.B) {
	token := seedPosts(b)
	sides := []string{"binding", "net/http"}
	growth := map[string][]float64{}
	for round := 0; round < 5; round++ {
		order := sides
		if round%2 == 1 {
			order = []string{sides[1], sides[0]}
		}
		for _, side := range order {
			cmd := exec.Command(os.Args[0], "-test.run", "^TestFullListMemorySide$", "-test.v")
			cmd.Env = append(os.Environ(), "BOSBASE_URL="+serverURL, fullListSideEnv+"="+side, fullListAuthEnv+"="+token)
			out, err := cmd.CombinedOutput()
			if err != nil {
				b.Fatalf("%s: %v\n%s", side, err, out)
			}
			var kib, items int
			for _, line := range strings.Split(string(out), "\n") {
				if strings.HasPrefix(line, "RESULT ") {
					fmt.Sscan(strings.TrimPrefix(line, "RESULT "), &kib, &items)
				}
			}
			if items != fullListRecords {
				b.Fatalf("%s saw %d records\n%s", side, items, out)
			}
			growth[side] = append(growth[side], float64(kib)/1024)
		}
	}
	median := func(v []float64) float64 {
		sort.Float64s(v)
		return v[len(v)/2]
	}
	bind, peer := median(growth["binding"]), median(growth["net/http"])
	fmt.Printf("getFullList of %d posts, peak RSS growth (median of 5, own process each): binding %.1f MiB, net/http + encoding/json %.1f MiB, ratio %.2fx (target <= 1.2x)\n",
		fullListRecords, bind, peer, bind/peer)
	b.ReportMetric(bind/peer, "ratio")
}
