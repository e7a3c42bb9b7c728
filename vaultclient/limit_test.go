package vaultclient

import (
	"context"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/goroutines"
)

func TestLimiterBacksOffAndRecovers(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	l := NewLimiter(16)
	l.now = func() time.Time { return now }
	l.ownBusy = func() float64 { return 0.1 }
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
	// The third waits inside Acquire: seen asleep there, not after some
	// span of time in which a loaded machine might not have run it at all.
	waitAcquiring(t, 1, third)
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
	fourth := make(chan error, 1)
	go func() { fourth <- l.Acquire(cctx) }()
	waitAcquiring(t, 1, fourth)
	cancel()
	select {
	case err := <-fourth:
		if err == nil {
			t.Error("a cancelled wait acquired")
		}
	case <-time.After(time.Minute):
		t.Fatal("a cancelled wait still waits a minute later")
	}
}

// waitAcquiring waits until n goroutines are asleep in Acquire, failing
// at once if one of them answered on got instead.
func waitAcquiring(t *testing.T, n int, got <-chan error) {
	t.Helper()
	waiting := func(g goroutines.G) bool { return g.Parked() && g.In("vaultclient.(*Limiter).Acquire(") }
	for deadline := time.Now().Add(time.Minute); goroutines.Count(waiting) < n; time.Sleep(time.Millisecond) {
		select {
		case err := <-got:
			t.Fatalf("a request went past the limit (%v)", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %d requests to wait in Acquire", n)
		}
	}
}

// The answers of one sample (sampleSpan) are judged by their mean: a slow
// answer among quick ones is noise, and the limit grows by one a sample,
// not one an answer.
func TestLimiterJudgesASampleByItsMean(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	l := NewLimiter(16)
	l.now = func() time.Time { return now }
	l.ownBusy = func() float64 { return 0.1 }
	release := func(rtts ...time.Duration) {
		for _, rtt := range rtts {
			if err := l.Acquire(context.Background()); err != nil {
				t.Fatal(err)
			}
			l.Release(rtt, false)
		}
	}
	limit := func() int { c, _ := l.Limit(); return c }
	ms := time.Millisecond

	release(ms) // the baseline
	now = now.Add(sampleSpan)
	// Three samples queueing: 16 → 12.8 → 10.2 → 8.2 (a sample is judged
	// at the first answer after it).
	for range 3 {
		release(20*ms, 20*ms)
		now = now.Add(sampleSpan)
	}
	release(ms)
	if got := limit(); got != 8 {
		t.Fatalf("after three slow samples: limit %d, want 8", got)
	}
	// One 30 ms pause among forty 1 ms answers: a mean of under 2 ms.
	quick := make([]time.Duration, 40)
	for i := range quick {
		quick[i] = ms
	}
	release(append(quick, 30*ms)...)
	now = now.Add(sampleSpan)
	release(ms) // closes the sample
	if got := limit(); got != 9 {
		t.Errorf("after a quick sample with one pause in it: limit %d, want 9 (one more, not one an answer)", got)
	}
}

// A slow sample whose slowness is this process's own (its processor busy:
// the UI at work on its one core) leaves the limit where it is; the same
// sample from a process at rest is Vault queueing.
func TestLimiterLeavesSlownessOfItsOwnToItself(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		busy float64 // the share of our processors we kept busy
		want int
	}{
		{"Vault queueing", 0.2, 12},
		{"not known", -1, 12},
		{"ours: our processor busy", 1, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
			l := NewLimiter(16)
			l.now = func() time.Time { return now }
			l.ownBusy = func() float64 { return tc.busy }
			release := func(rtts ...time.Duration) {
				for _, rtt := range rtts {
					if err := l.Acquire(context.Background()); err != nil {
						t.Fatal(err)
					}
					l.Release(rtt, false)
				}
			}
			release(ms) // the baseline
			now = now.Add(sampleSpan)
			release(80*ms, 80*ms) // judged at the next answer
			now = now.Add(sampleSpan)
			release(ms)
			if got, _ := l.Limit(); got != tc.want {
				t.Errorf("limit %d, want %d", got, tc.want)
			}
		})
	}
}
