package vaultclient

import (
	"context"
	"testing"
	"time"
)

func TestLimiterBacksOffAndRecovers(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	l := NewLimiter(16)
	l.now = func() time.Time { return now }
	step := func(rtt time.Duration, overloaded bool) {
		now = now.Add(200 * time.Millisecond)
		if err := l.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		l.Release(rtt, overloaded)
	}
	limit := func() int { c, _ := l.Limit(); return c }

	for range 50 { // a healthy Vault: 1 ms answers
		step(time.Millisecond, false)
	}
	if limit() != 16 {
		t.Fatalf("healthy: limit %d, want the ceiling 16", limit())
	}
	for range 3 { // three 429s
		step(time.Millisecond, true)
	}
	if got := limit(); got != 2 {
		t.Errorf("after three 429s: limit %d, want 16 halved three times = 2", got)
	}
	for range 400 { // healthy again: one more per round trip
		step(time.Millisecond, false)
	}
	if limit() != 16 {
		t.Errorf("recovered: limit %d, want 16", limit())
	}
	for range 5 { // answers slow to 50 ms: Vault is queueing
		step(50*time.Millisecond, false)
	}
	if got := limit(); got >= 8 {
		t.Errorf("queueing: limit %d, want well below 16", got)
	}
	// Slow for good (a slow Vault, not a queueing one): once the old
	// baseline has aged out of both windows, 50 ms is the baseline and
	// the limit climbs back.
	for range 600 {
		step(50*time.Millisecond, false)
	}
	if limit() != 16 {
		t.Errorf("a new baseline: limit %d, want 16", limit())
	}
}

func TestLimiterHoldsRequestsAtTheLimit(t *testing.T) {
	l := NewLimiter(2)
	ctx := context.Background()
	if l.Acquire(ctx) != nil || l.Acquire(ctx) != nil {
		t.Fatal("two requests fit under a limit of 2")
	}
	third := make(chan error, 1)
	go func() { third <- l.Acquire(ctx) }()
	select {
	case <-third:
		t.Fatal("a third request went past the limit")
	case <-time.After(50 * time.Millisecond):
	}
	l.Release(time.Millisecond, false)
	select {
	case err := <-third:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the third request never got the room the first left")
	}
	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if err := l.Acquire(cctx); err == nil {
		t.Error("a cancelled wait acquired")
	}
}
