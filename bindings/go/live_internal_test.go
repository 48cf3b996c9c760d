package bosbase

import (
	"strconv"
	"testing"
)

// The overflow policy of a subscription's channel, without a server: put never blocks,
// a full channel loses its oldest value (counted), order is kept.

func intInbox() *inbox[int] {
	return newInbox(func(s string) (int, bool) {
		n, _ := strconv.Atoi(s)
		return n, n < 0 // a negative value is the last delivery
	})
}

func TestInboxDropsTheOldestWhenFull(t *testing.T) {
	in := intInbox()
	const extra = 476
	for i := 0; i < QueueLimit+extra; i++ {
		if in.put(strconv.Itoa(i)) {
			t.Fatal("not the last delivery")
		}
	}
	if in.lost() != extra || len(in.ch) != QueueLimit {
		t.Fatalf("lost %d, buffered %d; want %d, %d", in.lost(), len(in.ch), extra, QueueLimit)
	}
	for want := extra; want < QueueLimit+extra; want++ {
		if got := <-in.ch; got != want {
			t.Fatalf("got %d, want %d (oldest first, newest kept)", got, want)
		}
	}
}

func TestInboxSlowConsumerKeepsOrder(t *testing.T) {
	in := intInbox()
	const total = 20 * QueueLimit
	got := make(chan []int)
	go func() {
		var seen []int
		for v := range in.ch {
			seen = append(seen, v)
		}
		got <- seen
	}()
	for i := 0; i < total; i++ {
		in.put(strconv.Itoa(i))
	}
	in.close()
	seen := <-got
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Fatalf("out of order: %d after %d", seen[i], seen[i-1])
		}
	}
	if uint64(len(seen))+in.lost() != total || seen[len(seen)-1] != total-1 {
		t.Fatalf("received %d + lost %d != %d (last %d)", len(seen), in.lost(), total, seen[len(seen)-1])
	}
}

func TestInboxLastDeliveryClosesAndLaterPutsAreIgnored(t *testing.T) {
	in := intInbox()
	in.put("1")
	if !in.put("-1") {
		t.Fatal("a last delivery must say so")
	}
	in.put("2") // after the close: ignored, no panic
	in.close()  // idempotent
	var vs []int
	for v := range in.ch {
		vs = append(vs, v)
	}
	if len(vs) != 2 || vs[0] != 1 || vs[1] != -1 {
		t.Fatalf("got %v", vs)
	}
}
