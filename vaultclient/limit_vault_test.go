package vaultclient_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// walkWatchingLimit walks prefix and returns the lowest adaptive limit seen
// while it ran (sampled), and the leases it looked up.
func walkWatchingLimit(t *testing.T, c *vaultclient.Client, prefix string) (lowest, leases int) {
	t.Helper()
	limits, leases := walkSamplingLimit(t, c, prefix)
	return slices.Min(limits), leases
}

// walkSamplingLimit walks prefix and returns the adaptive limit read every
// millisecond while it ran (at least once), and the leases it looked up.
func walkSamplingLimit(t *testing.T, c *vaultclient.Client, prefix string) (limits []int, leases int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The watcher keeps its own samples and hands them over when it
	// stops, so nothing is shared while it runs.
	done := make(chan struct{})
	seen := make(chan []int)
	go func() {
		cur, _ := c.Concurrency()
		got := []int{cur}
		for {
			select {
			case <-done:
				seen <- got
				return
			case <-time.After(time.Millisecond):
				cur, _ := c.Concurrency()
				got = append(got, cur)
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

// isLookup: a lease lookup as the proxy saw it.
func isLookup(r faultproxy.Request) bool { return r.Method == "PUT" && r.Path == "sys/leases/lookup" }

// throughProxy is a client of env's server that talks through p.
func throughProxy(t *testing.T, env *vaulttest.Env, p *faultproxy.Proxy, cfg vaultclient.Config) *vaultclient.Client {
	t.Helper()
	a, err := env.Server.Client()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetAddress(p.URL); err != nil {
		t.Fatal(err)
	}
	return vaultclient.NewFromAPI(a, cfg)
}

// A lease explosion is a churn storm: leases vanish between the LIST that
// names them and their lookup, which answers 400. Against a real Vault
// whose leases are revoked at a steady rate during the crawl, so that
// more than 1% of the lookups answer 400 (counted at the proxy), no answer
// counts as overload, so nothing halves the limit: a 400 is Vault at work,
// not Vault overloaded. (Before, each 400 halved it, and the limit sat
// near 1.)
//
// The limiter also judges latency (a sample much slower than the quickest
// round trip takes a fifth off), and on a loaded 2-core test machine the
// round trips swing whatever Vault does: that judgement may lower the
// limit here, rightly. So the test counts the answers the limiter took
// for overload, which is what the churn used to set off, and logs the
// lowest limit seen. Every lookup waits 100 ms at the proxy, as over a
// network to a remote Vault, which keeps the latency judgement mostly
// quiet.
func TestChurnLeavesTheAdaptiveLimitAtItsCeiling(t *testing.T) {
	env, p, _ := proxied(t)
	ctx := ctxT(t)
	ids := must(env.Seed.LeasedKV(ctx, "churn", time.Hour, 1500)).get(t)
	const ceiling = 16
	c := throughProxy(t, env, p, vaultclient.Config{Concurrency: ceiling})
	p.Add(faultproxy.Rule{Method: "PUT", PathPrefix: "sys/leases/lookup", Count: -1, Fault: faultproxy.Fault{Delay: 100 * time.Millisecond}})
	// The walk looks leases up in the order Vault lists them (sorted): the
	// churn revokes from the other end, leases the walk has listed and
	// not yet looked up.
	slices.Sort(ids)
	slices.Reverse(ids)
	p.Reset()

	churnCtx, stop := context.WithCancel(ctx)
	defer stop()
	// From the crawl's first lookup, so the churn falls inside it.
	revoked := env.Seed.ChurnFrom(churnCtx, func() bool { return p.Count(isLookup) > 0 }, ids, 50*time.Millisecond)
	lowest, found := walkWatchingLimit(t, c, "secret/churn/")
	stop()
	churned := <-revoked
	if churned.Err != nil {
		t.Errorf("churn: %v", churned.Err)
	}
	n := churned.Revoked

	lookups := p.Count(isLookup)
	gone := p.Count(func(r faultproxy.Request) bool { return isLookup(r) && r.Status == 400 })
	t.Logf("%d lookups, %d answered 400 (%.1f%%), %d leases revoked during the walk, %d found", lookups, gone, 100*float64(gone)/float64(max(lookups, 1)), n, found)
	if gone*100 < lookups {
		t.Fatalf("%d of %d lookups answered 400: under 1%%, the churn this test is about did not happen", gone, lookups)
	}
	if found+gone != lookups {
		t.Errorf("%d found and %d gone, of %d lookups", found, gone, lookups)
	}
	t.Logf("the lowest limit seen: %d of %d (latency alone may lower it on a loaded machine)", lowest, ceiling)
	if o := c.Overloads(); o != 0 {
		t.Errorf("with %d of %d lookups answered 400 and no 429, 5xx or dropped connection, the limiter counted %d answers as overload (the limit fell to %d of %d)", gone, lookups, o, lowest, ceiling)
	}
	if bad := p.Count(func(r faultproxy.Request) bool { return r.Status == 429 || r.Status >= 500 }); bad != 0 {
		t.Fatalf("Vault answered %d requests with 429 or 5xx: this test is about churn alone", bad)
	}
}

// A Vault that pauses (a garbage collection of a large heap, a lock every
// lookup waits for: several a second in a churn storm at a million
// leases) is not a queueing one. Through a proxy in front of the real
// server that answers each lookup in 50 ms and stops answering for
// 500 ms of every 700, each pause holds the requests in flight when it
// falls, a quarter of the answers, and the adaptive limit stays at its
// ceiling for most of the walk: a lower limit would not shorten the
// pauses, only leave Vault idle between them. Judged by each sample's
// mean round trip (about 175 ms against a threshold of about 107), the
// limit sank; it is judged by the median (vaultclient.Limiter).
func TestPausesInVaultLeaveTheAdaptiveLimitAtItsCeiling(t *testing.T) {
	const (
		ceiling = 16
		leases  = 1000
	)
	env, p, _ := proxied(t)
	ctx := ctxT(t)
	must(env.Seed.LeasedKV(ctx, "pauses", time.Hour, leases)).get(t)
	c := throughProxy(t, env, p, vaultclient.Config{Concurrency: ceiling})
	pauses := faultproxy.NewPauses(700*time.Millisecond, 500*time.Millisecond)
	p.Add(faultproxy.Rule{Method: "PUT", PathPrefix: "sys/leases/lookup", Count: -1, Fault: faultproxy.Fault{Delay: 50 * time.Millisecond, Pauses: pauses}})

	limits, found := walkSamplingLimit(t, c, "secret/pauses/")
	if found != leases {
		t.Errorf("the walk found %d of %d leases", found, leases)
	}
	// Most pauses must have held the limit's worth, or this test is not
	// about pauses: a walk of 1,000 lookups at 16 in flight meets a dozen.
	if held := pauses.Held(); held < 5*ceiling {
		t.Fatalf("the pauses held %d requests and answers, want at least %d", held, 5*ceiling)
	}
	at := slices.Clone(limits)
	slices.Sort(at)
	median := at[len(at)/2]
	t.Logf("the limit over the walk: median %d, lowest %d (%d readings); the pauses held %d requests and answers", median, at[0], len(at), pauses.Held())
	if median < ceiling {
		t.Errorf("the limit's median over the walk is %d; want the ceiling %d: pauses are not queueing", median, ceiling)
	}
	if o := c.Overloads(); o != 0 {
		t.Errorf("the limiter counted %d answers as overload; the proxy sent none", o)
	}
}

// A Vault that serves K requests at a time and queues the rest (a queue
// at the proxy in front of the real server, each request holding a turn
// for at least 50 ms): its latency grows with the load, and the adaptive
// limit is what keeps that load near what it serves. Measured beside an
// unthrottled crawl (FixedConcurrency) in the same test: the adaptive
// limit settles near K, another client's lookups through the same queue
// wait less than beside the unthrottled crawl, and once the queue goes
// (the same 50 ms per request, any number at a time) the limit climbs
// back to its ceiling.
//
// "Near K" is as the limiter defines queueing: a sample slower than twice
// the quickest answer plus slack, so it lets about 2K requests wait for K
// turns before it backs off (2.1K at 50 ms); the median of the second
// half of the crawl must lie in [K/2, 2.5K], well below the ceiling of 4K.
func TestAdaptiveLimitSettlesNearWhatAQueueingVaultServes(t *testing.T) {
	const (
		k       = 4
		service = 50 * time.Millisecond
		ceiling = 16
		perRun  = 600 // lookups at the proxy per measured crawl
	)
	env, p, _ := proxied(t)
	ctx := ctxT(t)
	ids := must(env.Seed.LeasedKV(ctx, "queue", time.Hour, 300)).get(t)
	q := faultproxy.NewQueue(k, service)
	p.Add(faultproxy.Rule{Method: "PUT", PathPrefix: "sys/leases/lookup", Count: -1, Fault: faultproxy.Fault{Queue: q}})
	other, err := env.Server.Client()
	if err != nil {
		t.Fatal(err)
	}
	if err := other.SetAddress(p.URL); err != nil {
		t.Fatal(err)
	}

	// crawl walks secret/queue/ over and over with c until the proxy has
	// seen n more lookups, while another client looks one lease up again
	// and again, and returns the limit sampled every 10 ms and the other
	// client's round trips.
	crawl := func(c *vaultclient.Client, n int) (limits []int, rtts []time.Duration) {
		t.Helper()
		start := p.Count(isLookup)
		cctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			for cctx.Err() == nil {
				for ev := range c.Walk(cctx, "secret/queue/", vaultclient.WalkOptions{}) {
					if ev.Kind == vaultclient.EventError && cctx.Err() == nil {
						t.Errorf("walk: %v", ev.Err)
					}
				}
			}
		}()
		probes := make(chan time.Duration, 1024)
		go func() {
			defer wg.Done()
			defer close(probes)
			for cctx.Err() == nil {
				t0 := time.Now()
				_, err := other.Logical().WriteWithContext(cctx, "sys/leases/lookup", map[string]any{"lease_id": ids[0]})
				if cctx.Err() != nil {
					return
				}
				if err != nil {
					t.Errorf("the other client's lookup: %v", err)
					return
				}
				probes <- time.Since(t0)
			}
		}()
		deadline := time.Now().Add(3 * time.Minute)
		for p.Count(isLookup)-start < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d lookups in 3 minutes, want %d", p.Count(isLookup)-start, n)
			}
			cur, _ := c.Concurrency()
			limits = append(limits, cur)
			time.Sleep(10 * time.Millisecond)
		}
		stop()
		for d := range probes {
			rtts = append(rtts, d)
		}
		wg.Wait()
		return limits, rtts
	}
	median := func(xs []time.Duration) time.Duration {
		s := slices.Clone(xs)
		slices.Sort(s)
		return s[len(s)/2]
	}

	fixed := throughProxy(t, env, p, vaultclient.Config{Concurrency: ceiling, FixedConcurrency: true})
	_, fixedRTTs := crawl(fixed, perRun)
	adaptive := throughProxy(t, env, p, vaultclient.Config{Concurrency: ceiling})
	limits, adaptiveRTTs := crawl(adaptive, perRun)

	settled := slices.Clone(limits[len(limits)/2:])
	slices.Sort(settled)
	mid := settled[len(settled)/2]
	mf, ma := median(fixedRTTs), median(adaptiveRTTs)
	t.Logf("K=%d: the limit's median over the second half of the crawl %d (range %d-%d); the other client's median lookup %v beside the adaptive crawl, %v beside the unthrottled one (%.2fx; %d and %d lookups)",
		k, mid, settled[0], settled[len(settled)-1], ma, mf, float64(ma)/float64(mf), len(adaptiveRTTs), len(fixedRTTs))
	if mid < k/2 || float64(mid) > 2.5*k {
		t.Errorf("the limit settled at %d (median of the second half); want it near K=%d, in [%d, %d]", mid, k, k/2, int(2.5*k))
	}
	if len(fixedRTTs) == 0 || len(adaptiveRTTs) == 0 {
		t.Fatalf("the other client got %d and %d answers", len(fixedRTTs), len(adaptiveRTTs))
	}
	if ma >= mf {
		t.Errorf("the other client's median lookup took %v beside the adaptive crawl, %v beside the unthrottled one; want it quicker beside the adaptive one", ma, mf)
	}

	// The queue goes: each request still takes its 50 ms, but any number
	// are served at once. The limit climbs back to its ceiling.
	p.Clear()
	p.Add(faultproxy.Rule{Method: "PUT", PathPrefix: "sys/leases/lookup", Count: -1, Fault: faultproxy.Fault{Delay: service}})
	recovered := make(chan struct{})
	go func() {
		defer close(recovered)
		deadline := time.Now().Add(2 * time.Minute)
		for cur, _ := adaptive.Concurrency(); cur < ceiling && time.Now().Before(deadline); cur, _ = adaptive.Concurrency() {
			time.Sleep(10 * time.Millisecond)
		}
	}()
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		<-recovered
		stop()
	}()
	for rctx.Err() == nil {
		for range adaptive.Walk(rctx, "secret/queue/", vaultclient.WalkOptions{}) {
		}
	}
	<-recovered
	if cur, _ := adaptive.Concurrency(); cur != ceiling {
		t.Errorf("two minutes after the queue went the limit is %d, want its ceiling %d", cur, ceiling)
	}
}
