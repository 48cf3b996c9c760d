package bosbase_test

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// delayedServer answers every request with a small JSON body after delay, on 127.0.0.1;
// it stops when the test ends.
func delayedServer(t testing.TB, delay time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(delay)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"code":200,"message":"API is healthy.","data":{}}`))
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// goThreads counts this process's OS threads that are not the core's workers (named
// bosbase-worker): the threads Go itself runs, cgo calls blocked in C included.
func goThreads(t *testing.T) int {
	t.Helper()
	tasks, err := filepath.Glob("/proc/self/task/*/comm")
	if err != nil || len(tasks) == 0 {
		t.Skip("no /proc/self/task on this system")
	}
	n := 0
	for _, comm := range tasks {
		name, err := os.ReadFile(comm)
		if err == nil && !strings.HasPrefix(string(name), "bosbase-worker") {
			n++
		}
	}
	return n
}

// 256 slow calls without a context, at once: each goroutine waits parked for the core's
// completion instead of holding an OS thread blocked in cgo (which made 256 threads).
func TestSlowPlainCallsDoNotPinAThreadEach(t *testing.T) {
	const calls = 256
	url := delayedServer(t, 300*time.Millisecond)
	c, err := bosbase.NewClient(url, bosbase.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	before := goThreads(t)
	stopWatch := watchPeak(5*time.Millisecond, func() int64 { return int64(goThreads(t)) })
	started := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var err error
			if i%2 == 0 {
				_, err = c.Health().Check(nil, nil, nil) // an operation of the table
			} else {
				_, err = c.Send("/api/health", bosbase.SendOptions{}) // a raw send
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	took := time.Since(started)
	peak := stopWatch()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Blocking cgo calls made one thread per call (+257). Parked goroutines make none; Go
	// may still start a few while the calls are being started (a cgo call that takes a
	// while hands its P to a new thread): 2-15 seen on a loaded machine.
	t.Logf("%d calls: %v; Go threads %d before, peak %d", calls, took, before, peak)
	if grew := peak - int64(before); grew > calls/4 {
		t.Errorf("Go's own OS threads grew by %d during %d slow plain calls (%d before)", grew, calls, before)
	}
	if took > 2*time.Second {
		t.Errorf("%d calls of 300 ms took %v: they queued", calls, took)
	}
}

// watchPeak samples sample() every interval on a goroutine of its own until the returned
// stop is called, which returns the highest value seen.
func watchPeak(interval time.Duration, sample func() int64) (stop func() int64) {
	var peak atomic.Int64
	done := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			if n := sample(); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-done:
				return
			case <-time.After(interval):
			}
		}
	}()
	return func() int64 {
		close(done)
		<-watched
		return peak.Load()
	}
}
