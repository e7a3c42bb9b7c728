package vaultclient_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// proxied starts a dev server with a fault-injecting proxy in front and a
// client that talks through the proxy.
func proxied(t *testing.T) (*vaulttest.Env, *faultproxy.Proxy, *vaultclient.Client) {
	t.Helper()
	env := vaulttest.Start(t)
	p, api := env.Proxied(t)
	return env, p, vaultclient.NewFromAPI(api, vaultclient.Config{Concurrency: 4})
}

func count(p *faultproxy.Proxy, method, path string) (all, faults int) {
	for _, r := range p.Requests() {
		if r.Method == method && r.Path == path {
			all++
			if r.Fault {
				faults++
			}
		}
	}
	return all, faults
}

func TestRateLimitIsRetriedHonouringRetryAfter(t *testing.T) {
	env, p, c := proxied(t)
	ctx := ctxT(t)
	must(env.Seed.LeasedKV(ctx, "app", time.Hour, 3)).get(t)
	p.Add(faultproxy.Rule{Method: "LIST", PathPrefix: "sys/leases/lookup/", Count: 2, Fault: faultproxy.Fault{
		Status: http.StatusTooManyRequests, Header: map[string]string{"Retry-After": "1"},
		Body: `{"errors":["request path \"sys/leases/lookup/secret/app/\": rate limit quota exceeded"]}`}})
	start := time.Now()
	l, err := c.List(ctx, "secret/app/")
	if err != nil || len(l.LeaseIDs) != 3 {
		t.Fatalf("List through two 429s: %+v, %v", l, err)
	}
	if all, faults := count(p, "LIST", "sys/leases/lookup/secret/app"); all != 3 || faults != 2 {
		t.Errorf("requests: %d (%d faults), want 3 (2 faults)", all, faults)
	}
	// Two Retry-After: 1 waits: the client waited for them.
	if waited := time.Since(start); waited < 2*time.Second {
		t.Errorf("Retry-After not honoured: done after %v", waited)
	}

	// A 429 on a revoke is retried too: Vault did not act on it.
	p.Reset()
	ids := must(env.Seed.LeasedKV(ctx, "one", time.Hour, 1)).get(t)
	p.Add(faultproxy.Rule{Method: "PUT", PathPrefix: "sys/leases/revoke", Count: 1, Fault: faultproxy.Fault{Status: 429, Body: `{"errors":["rate limit quota exceeded"]}`}})
	if _, err := c.Revoke(ctx, ids[0], true); err != nil {
		t.Fatalf("revoke through a 429: %v", err)
	}
	if _, err := c.Lookup(ctx, ids[0]); !errors.Is(err, vaultclient.ErrInvalidLease) {
		t.Errorf("the lease should be revoked: %v", err)
	}
}

func TestServerErrorsRetryReadsButNeverMutations(t *testing.T) {
	env, p, c := proxied(t)
	ctx := ctxT(t)
	ids := must(env.Seed.LeasedKV(ctx, "app", time.Hour, 2)).get(t)

	p.Add(faultproxy.Rule{Method: "PUT", PathPrefix: "sys/leases/lookup", Count: 2, Fault: faultproxy.Fault{Status: 503, Body: `{"errors":["local node not active"]}`}})
	p.Add(faultproxy.Rule{Method: "PUT", PathPrefix: "sys/leases/renew", Count: 1, Fault: faultproxy.Fault{Status: 500, Body: `{"errors":["internal error"]}`}})
	p.Add(faultproxy.Rule{Method: "PUT", PathPrefix: "sys/leases/revoke", Count: 1, Fault: faultproxy.Fault{Drop: true}})

	if _, err := c.Lookup(ctx, ids[0]); err != nil {
		t.Errorf("a lookup is retried through 503s: %v", err)
	}
	_, err := c.Renew(ctx, ids[0], time.Hour)
	if !errors.Is(err, vaultclient.ErrServer) {
		t.Errorf("a renew answered 500 is reported, not retried: %v", err)
	}
	if all, _ := count(p, "PUT", "sys/leases/renew"); all != 1 {
		t.Errorf("renew was sent %d times, want once", all)
	}
	_, err = c.Revoke(ctx, ids[1], true)
	if !errors.Is(err, vaultclient.ErrUnreachable) {
		t.Errorf("a revoke whose connection dropped is reported, not retried: %v", err)
	}
	if all, _ := count(p, "PUT", "sys/leases/revoke"); all != 1 {
		t.Errorf("revoke was sent %d times, want once", all)
	}
}

func TestWalkGoesOnPastAFailedBranch(t *testing.T) {
	env, p, c := proxied(t)
	ctx := ctxT(t)
	must(env.Seed.LeasedKV(ctx, "good/a", time.Hour, 5)).get(t)
	must(env.Seed.LeasedKV(ctx, "good/b", time.Hour, 6)).get(t)
	must(env.Seed.LeasedKV(ctx, "bad/c", time.Hour, 7)).get(t)
	p.Add(faultproxy.Rule{Method: "LIST", PathPrefix: "sys/leases/lookup/secret/bad/", Count: -1, Fault: faultproxy.Fault{
		Status: 403, Body: `{"errors":["permission denied"]}`}})

	leases, _, errs := walkAll(t, c, "secret/", vaultclient.WalkOptions{})
	if len(leases) != 11 {
		t.Errorf("walk found %d leases, want the 11 of the good branches", len(leases))
	}
	if len(errs) != 1 || !errors.Is(errs[0], vaultclient.ErrPermissionDenied) {
		t.Fatalf("walk errors: %v", errs)
	}
	// Walking the failed branch again, once it is fixed, resumes it.
	p.Clear()
	leases, _, errs = walkAll(t, c, "secret/bad/", vaultclient.WalkOptions{})
	if len(leases) != 7 || len(errs) != 0 {
		t.Errorf("re-walk of the branch: %d leases, errors %v", len(leases), errs)
	}
}

func TestWalkReportsVanishedLeases(t *testing.T) {
	env, p, c := proxied(t)
	ctx := ctxT(t) // the deadline a held lookup waits at most
	ids := must(env.Seed.LeasedKV(ctx, "app", time.Hour, 4)).get(t)
	// Hold every lookup in the proxy until the revoke below is done, so it
	// lands between the LIST and the lookups however slow the machine is.
	release := make(chan struct{})
	p.Add(faultproxy.Rule{Method: "PUT", PathPrefix: "sys/leases/lookup", Count: -1, Fault: faultproxy.Fault{Hold: release}})
	var vanished []string
	var found int
	for ev := range c.Walk(ctx, "secret/app/", vaultclient.WalkOptions{Concurrency: 1}) {
		switch ev.Kind {
		case vaultclient.EventListed:
			if _, err := env.API.Logical().WriteWithContext(ctx, "sys/leases/revoke", map[string]any{"lease_id": ids[0], "sync": true}); err != nil {
				t.Fatal(err)
			}
			close(release)
		case vaultclient.EventVanished:
			vanished = append(vanished, ev.LeaseID)
		case vaultclient.EventLease:
			found++
		case vaultclient.EventError:
			t.Errorf("walk error: %v", ev.Err)
		}
	}
	if len(vanished) != 1 || vanished[0] != ids[0] || found != 3 {
		t.Errorf("vanished %v, found %d; want exactly %s vanished and 3 found", vanished, found, ids[0])
	}
}

func TestWalkStopsWhenCancelled(t *testing.T) {
	env, _, c := proxied(t)
	ctx := ctxT(t)
	must(env.Seed.LeasedKV(ctx, "app", time.Hour, 500)).get(t)
	wctx, cancel := context.WithCancel(ctx)
	n := 0
	for ev := range c.Walk(wctx, "", vaultclient.WalkOptions{Concurrency: 4}) {
		if ev.Kind == vaultclient.EventLease {
			n++
			if n == 10 {
				cancel()
			}
		}
	}
	cancel()
	if n < 10 || n >= 500 {
		t.Errorf("a cancelled walk delivered %d leases; want it to stop soon after 10", n)
	}
}

func TestRateLimitCapsRequestsPerSecond(t *testing.T) {
	env, p, _ := proxied(t)
	ctx := ctxT(t)
	must(env.Seed.LeasedKV(ctx, "app", time.Hour, 30)).get(t)
	a, err := env.Server.Client()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetAddress(p.URL); err != nil {
		t.Fatal(err)
	}
	c := vaultclient.NewFromAPI(a, vaultclient.Config{Concurrency: 8, RateLimit: 20})
	p.Reset()
	start := time.Now()
	n := 0
	for ev := range c.Walk(ctx, "secret/app/", vaultclient.WalkOptions{}) {
		if ev.Kind == vaultclient.EventLease {
			n++
		}
	}
	took := time.Since(start)
	reqs := len(p.Requests())
	// 31 requests at 20/s with a burst of 2 cannot take less than ~1.4 s.
	if n != 30 || reqs != 31 || took < 1200*time.Millisecond {
		t.Errorf("%d leases, %d requests in %v: the rate limit did not hold", n, reqs, took)
	}
}
