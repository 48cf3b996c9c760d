package bosbase_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// BenchmarkAuthWithToken compares one token login through the binding (Go → C → Rust
// core → HTTP) with the same HTTP request made by plain net/http, the way the public
// net/http-based go-sdk makes it: JSON body in, JSON object out, the stored token sent
// as Authorization, with the same User-Agent. Both hit the same dev server in the same
// run, interleaved (alternating which goes first) so that load from other processes on
// the machine hits both equally. It reports each side's median ns per call and prints the
// ratio binding/net_http. BenchmarkAuthWithTokenLocalhost does the same on the server's
// name (production servers are reached by name), both sides resolving it as they do.
func BenchmarkAuthWithToken(b *testing.B) {
	benchAuthWithToken(b, serverURL, "")
}

func BenchmarkAuthWithTokenLocalhost(b *testing.B) {
	benchAuthWithToken(b, strings.Replace(serverURL, "127.0.0.1", "localhost", 1), " localhost")
}

func benchAuthWithToken(b *testing.B, base, label string) {
	c := bosbase.New(base)
	b.Cleanup(c.Close)
	token := freshToken(b)
	mustBind(b, c, "users", userEmail, userPass, token)
	users := c.Collection("users")

	hc := &http.Client{Timeout: 30 * time.Second}
	url := base + "/api/collections/users/auth-with-token"
	body, _ := json.Marshal(map[string]any{"token": token})
	authHeader := "" // what the go-sdk's auth store would hold after the first login
	plainAs := func(userAgent string) error {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Language", "en-US")
		req.Header.Set("User-Agent", userAgent)
		if authHeader != "" {
			req.Header.Set("Authorization", authHeader)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		var out map[string]any
		if err := json.Unmarshal(raw, &out); err != nil {
			return err
		}
		tok, _ := out["token"].(string)
		if tok == "" {
			return fmt.Errorf("no token")
		}
		authHeader = tok
		return nil
	}
	// The same User-Agent as the binding: PocketBase keeps one "auth origin" row per
	// IP + User-Agent and updates it on each login, and rows differ in cost (the one a
	// record's first login made is slower to update), so sharing the row keeps the
	// server's work identical for both sides.
	plain := func() error { return plainAs("bosbase-go/" + bosbase.Version) }
	binding := func() error {
		_, err := users.AuthWithToken(token, nil, nil, nil)
		return err
	}

	// Neither side should own the origin row of the record's first login.
	if err := plainAs("bench-first-login"); err != nil {
		b.Fatalf("first login: %v", err)
	}

	// Warm both paths (connections, server caches) before measuring either.
	for i := 0; i < 50; i++ {
		if err := binding(); err != nil {
			b.Fatalf("binding warm-up: %v", err)
		}
		if err := plain(); err != nil {
			b.Fatalf("net/http warm-up: %v", err)
		}
	}
	// Two schedules: call by call, and blocks of 25 calls per side (closer to an app that
	// calls in a loop). Both draw which side goes first at random for each block.
	for _, block := range []int{1, 25} {
		block := block
		b.Run(fmt.Sprintf("block=%d", block), func(b *testing.B) {
			measure(b, label, block, binding, plain)
		})
	}
}

// measure runs b.N calls of each side in blocks, the sides' order drawn at random for each
// block (a strict rotation lets the server's periodic work, such as PocketBase's log write
// every 200 requests, land on one side), times every call on its own and reports both
// sides' median ns/op and their ratio: medians, because a few calls that meet the server's
// background work say nothing about the binding.
func measure(b *testing.B, label string, block int, binding, plain func() error) {
	b.ReportAllocs()
	b.ResetTimer()
	rng := rand.New(rand.NewSource(1))
	var inBinding, inPlain []time.Duration
	for done := 0; done < b.N; {
		k := block
		if b.N-done < k {
			k = b.N - done
		}
		sides := []struct {
			call func() error
			into *[]time.Duration
		}{{binding, &inBinding}, {plain, &inPlain}}
		if rng.Intn(2) == 1 {
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, side := range sides {
			for i := 0; i < k; i++ {
				start := time.Now()
				if err := side.call(); err != nil {
					b.Fatal(err)
				}
				*side.into = append(*side.into, time.Since(start))
			}
		}
		done += k
	}
	b.StopTimer()
	bindingNs := float64(median(inBinding).Nanoseconds())
	plainNs := float64(median(inPlain).Nanoseconds())
	ratio := bindingNs / plainNs
	b.ReportMetric(bindingNs, "binding-median-ns")
	b.ReportMetric(plainNs, "net_http-median-ns")
	b.ReportMetric(ratio, "ratio")
	if b.N >= 500 { // the sizing runs are too short to mean anything
		verdict := "met"
		if ratio > 1.2 {
			verdict = "MISSED"
		}
		fmt.Printf("go-bench: AuthWithToken%s block=%d, %d calls each, shuffled order: binding median %.0f ns, net/http median %.0f ns, ratio %.3fx (target <= 1.20x: %s)\n",
			label, block, b.N, bindingNs, plainNs, ratio, verdict)
	}
}

func median(d []time.Duration) time.Duration {
	sorted := append([]time.Duration(nil), d...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	return sorted[len(sorted)/2]
}
