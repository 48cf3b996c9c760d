package bosbase_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

const slowCalls = 256

// BenchmarkSlow256 makes 256 calls at once to a loopback server that answers each in
// 200 ms: the binding's plain calls, its ...Ctx calls, and plain net/http, each side in a
// process of its own (this test binary re-run with TestSlowSide) so peak RSS and threads
// are that side's alone. Rounds alternate the order; it prints medians and the ratios to
// net/http (targets: wall <= 1.5x, RSS <= 2x).
func BenchmarkSlow256(b *testing.B) {
	url := delayedServer(b, 200*time.Millisecond)
	sides := []string{"plain", "ctx", "net/http"}
	results := map[string][][3]float64{}
	const rounds = 3
	for round := 0; round < rounds; round++ {
		for i := range sides {
			side := sides[(i+round)%len(sides)]
			cmd := exec.Command(os.Args[0], "-test.run=^TestSlowSide$", "-test.count=1")
			cmd.Env = append(os.Environ(), "BOSBASE_SLOW_SIDE="+side, "BOSBASE_SLOW_URL="+url, "BOSBASE_URL="+url)
			out, err := cmd.Output()
			if err != nil {
				b.Fatalf("%s: %v\n%s", side, err, out)
			}
			var v [3]float64
			for _, line := range strings.Split(string(out), "\n") {
				if strings.HasPrefix(line, "slow-side: ") {
					for j, f := range strings.Fields(strings.TrimPrefix(line, "slow-side: ")) {
						v[j], _ = strconv.ParseFloat(f, 64)
					}
				}
			}
			results[side] = append(results[side], v)
		}
	}
	col := func(side string, i int) float64 {
		var xs []float64
		for _, r := range results[side] {
			xs = append(xs, r[i])
		}
		sort.Float64s(xs)
		return xs[len(xs)/2]
	}
	fmt.Printf("go-bench: %d concurrent calls, server answers in 200 ms, medians of %d runs:\n", slowCalls, rounds)
	fmt.Printf("  %-10s %10s %14s %14s\n", "", "wall ms", "peak threads", "peak RSS MiB")
	for _, side := range sides {
		fmt.Printf("  %-10s %10.0f %14.0f %14.1f\n", side, col(side, 0), col(side, 1), col(side, 2)/1024)
	}
	for _, side := range sides[:2] {
		fmt.Printf("  %s / net/http: wall %.2fx (target <= 1.5x), peak RSS %.2fx (target <= 2x)\n",
			side, col(side, 0)/col("net/http", 0), col(side, 2)/col("net/http", 2))
	}
}

// TestSlowSide is one measurement of BenchmarkSlow256 (it skips unless that benchmark
// started it): 256 calls at once, then `slow-side: wall_ms peak_threads peak_rss_kib`.
func TestSlowSide(t *testing.T) {
	side, url := os.Getenv("BOSBASE_SLOW_SIDE"), os.Getenv("BOSBASE_SLOW_URL")
	if side == "" {
		t.Skip("run by BenchmarkSlow256")
	}
	var call func() error
	switch side {
	case "plain", "ctx":
		c, err := bosbase.NewClient(url, bosbase.ClientOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		call = func() error { _, err := c.Health().Check(nil, nil, nil); return err }
		if side == "ctx" {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			call = func() error { _, err := c.Health().CheckCtx(ctx, nil, nil, nil); return err }
		}
	default:
		hc := &http.Client{Timeout: 30 * time.Second}
		call = func() error {
			resp, err := hc.Get(url + "/api/health")
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			var out map[string]any
			raw, err := io.ReadAll(resp.Body)
			if err == nil {
				err = json.Unmarshal(raw, &out)
			}
			return err
		}
	}
	stopWatch := watchPeak(2*time.Millisecond, func() int64 { return int64(statusField("Threads:")) })
	started := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := 0; i < slowCalls; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if call() != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	wall := time.Since(started)
	peak := stopWatch()
	if failed.Load() > 0 {
		t.Fatalf("%d of %d calls failed", failed.Load(), slowCalls)
	}
	fmt.Printf("slow-side: %.1f %d %d\n", float64(wall.Microseconds())/1000, peak, statusField("VmHWM:"))
}

// statusField reads a number (kB for memory) from /proc/self/status; 0 when absent.
func statusField(name string) int {
	raw, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, name) {
			rest := strings.TrimSpace(strings.TrimPrefix(line, name))
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(rest, "kB")))
			return n
		}
	}
	return 0
}
