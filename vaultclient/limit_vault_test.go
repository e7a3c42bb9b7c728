package vaultclient_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/vaultclient"
)

// walkWatchingLimit walks prefix and returns the lowest adaptive limit seen
// while it ran (sampled), and the leases it looked up.
func walkWatchingLimit(t *testing.T, c *vaultclient.Client, prefix string) (lowest, leases int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The watcher keeps its own lowest and hands it over when it stops,
	// so nothing is shared while it runs.
	done := make(chan struct{})
	seen := make(chan int)
	go func() {
		_, low := c.Concurrency()
		for {
			select {
			case <-done:
				seen <- low
				return
			case <-time.After(time.Millisecond):
				cur, _ := c.Concurrency()
				low = min(low, cur)
			}
		}
	}()
	for ev := range c.Walk(ctx, prefix, vaultclient.WalkOptions{}) {
		switch ev.Kind {
		case vaultclient.EventLease:
			leases++
		case vaultclient.EventError:
			t.Errorf("walk: %v", ev.Err)
		}
	}
	close(done)
	return <-seen, leases
}

// Through a proxy in front of a real Vault: a 429 storm and then a sudden
// rise in latency lower the adaptive limit; the walk still finds every
// lease; and a healthy Vault brings the limit back to the ceiling.
func TestAdaptiveLimitBacksOffUnderFaultsAndRecovers(t *testing.T) {
	env, p, c := proxied(t) // concurrency 4
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := env.Seed.LeasedKV(ctx, "limit/a", time.Hour, 300); err != nil {
		t.Fatal(err)
	}
	if cur, ceiling := c.Concurrency(); cur != 4 || ceiling != 4 {
		t.Fatalf("a fresh client: limit %d of %d, want 4 of 4", cur, ceiling)
	}

	// Four 429s: fewer than a request's five tries, so none fails.
	p.Add(faultproxy.Rule{Method: "PUT", PathPrefix: "sys/leases/lookup", Count: 4, Fault: faultproxy.Fault{Status: 429, Body: `{"errors":["rate limited"]}`}})
	lowest, n := walkWatchingLimit(t, c, "secret/limit/")
	if n != 300 {
		t.Errorf("the walk under 429s found %d of 300 leases", n)
	}
	if lowest >= 4 {
		t.Errorf("answers of 429: the limit never went below the ceiling")
	}

	// Healthy again: walks bring the limit back to the ceiling (it grows
	// by one a quick sample, and a loaded test machine makes some samples
	// slow: walk until it is back, within a generous deadline).
	p.Clear()
	deadline := time.Now().Add(time.Minute)
	for cur, _ := c.Concurrency(); cur != 4 && time.Now().Before(deadline); cur, _ = c.Concurrency() {
		walkWatchingLimit(t, c, "secret/limit/")
	}
	if cur, _ := c.Concurrency(); cur != 4 {
		t.Errorf("after a minute of healthy walks the limit is %d, want 4", cur)
	}

	// Vault suddenly 40 ms slower on every lookup: queueing, to the limiter.
	p.Add(faultproxy.Rule{Method: "PUT", PathPrefix: "sys/leases/lookup", Count: -1, Fault: faultproxy.Fault{Delay: 40 * time.Millisecond}})
	lowest, n = walkWatchingLimit(t, c, "secret/limit/")
	if n != 300 || lowest >= 4 {
		t.Errorf("a latency rise: %d leases, lowest limit %d; want 300 and below 4", n, lowest)
	}
}

// A LIST takes as long as the keys it returns (at a million leases, 0.2 to
// 0.9 s), so the adaptive limit must not read it as queueing: a tree of
// slow LISTs leaves the limit at the ceiling, and the counts come in at
// full concurrency.
func TestSlowListsLeaveTheAdaptiveLimitAlone(t *testing.T) {
	env, p, c := proxied(t) // concurrency 4
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i := range 8 {
		if _, err := env.Seed.LeasedKV(ctx, fmt.Sprintf("slowlist/p%d", i), time.Hour, 3); err != nil {
			t.Fatal(err)
		}
	}
	// Quick LISTs first, as the small prefixes of a big tree are: before
	// LISTs were left out of the limit's judgement, they set the baseline
	// that the slow ones were then judged against.
	for range c.Walk(ctx, "secret/slowlist/", vaultclient.WalkOptions{ListOnly: true}) {
	}
	p.Add(faultproxy.Rule{Method: "LIST", PathPrefix: "sys/leases/lookup", Count: -1, Fault: faultproxy.Fault{Delay: 200 * time.Millisecond}})
	lowest, listed := 4, 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range c.Walk(ctx, "secret/slowlist/", vaultclient.WalkOptions{ListOnly: true}) {
			switch ev.Kind {
			case vaultclient.EventListed:
				listed++
			case vaultclient.EventError:
				t.Errorf("walk: %v", ev.Err)
			}
		}
	}()
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case <-time.After(time.Millisecond):
		}
		cur, _ := c.Concurrency()
		lowest = min(lowest, cur)
	}
	if listed != 9 {
		t.Errorf("listed %d prefixes, want the parent and its 8", listed)
	}
	if lowest != 4 {
		t.Errorf("slow LISTs brought the limit down to %d; want it left at 4", lowest)
	}
}
