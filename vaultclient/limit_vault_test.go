package vaultclient_test

import (
	"context"
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
