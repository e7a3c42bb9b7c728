package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// An idle leasetop costs Vault one read of its figures per refresh: while
// Vault's figures (the leases each mount made, the leases it holds) stay
// the same, refreshes list nothing, where each used to spend its budget
// of LISTs on the rotation (here a budget of 4 leases: a prefix of 3 per
// refresh). Leases made under a quiet prefix change the figures, and the
// next refresh lists again and shows them; a revocation does too.
// Counted at a proxy in front of a real Vault.
func TestEndToEndAnIdleRefreshListsNothingWhileVaultsFiguresStay(t *testing.T) {
	pol := relistKnobs(4, 1)
	pol.RelistEvery, pol.HintMin = 1000, 1

	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var ids []string
	for _, p := range []string{"idle/a/x", "idle/b/x", "idle/c/x"} {
		got, err := env.Seed.LeasedKV(ctx, p, time.Hour, 3)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got...)
	}
	p, a := env.Proxied(t)
	r := startProgram(t, vaultclient.NewFromAPI(a, vaultclient.Config{}), Options{Prefix: "secret/idle/", Refresh: 500 * time.Millisecond, Policy: pol})
	r.waitFor("9 leases")
	metrics := func(req faultproxy.Request) bool {
		return req.Path == "sys/metrics" && strings.Contains(req.Query, "prometheus")
	}
	lists := func(req faultproxy.Request) bool {
		return req.Method == "LIST" && strings.HasPrefix(req.Path, "sys/leases/lookup/")
	}
	listed := func(prefix string) func(faultproxy.Request) bool {
		return func(req faultproxy.Request) bool {
			return lists(req) && strings.TrimSuffix(req.Path, "/") == "sys/leases/lookup/"+strings.TrimSuffix(prefix, "/")
		}
	}
	// The figures are read first when the crawl's counts are in (the
	// baseline), then at each refresh; by the fourth read two refreshes
	// are over, and Vault's gauges have caught up with the seeding.
	r.waitUntil("four reads of Vault's figures", time.Minute, func(string) bool { return p.Count(metrics) >= 4 })
	p.Reset()
	r.waitUntil("four more refreshes", time.Minute, func(string) bool { return p.Count(metrics) >= 4 })
	if n, reads := p.Count(lists), p.Count(metrics); n != 0 {
		t.Fatalf("%d refreshes of an unchanged Vault sent %d LISTs, want none", reads, n)
	}

	if _, err := env.Seed.ReadLeasedKV(ctx, "idle/c/x", 4); err != nil {
		t.Fatal(err)
	}
	r.waitFor("13 leases")
	if p.Count(listed("secret/idle/c/x/")) == 0 {
		t.Error("the new leases showed without a listing of c/x at the proxy")
	}

	// Quiet again, then a revocation: Vault holds one lease fewer, and
	// the next refresh lists again.
	r.waitUntil("quiet again", time.Minute, func(string) bool {
		p.Reset()
		for start := time.Now(); p.Count(metrics) < 3 && time.Since(start) < time.Minute; {
			time.Sleep(100 * time.Millisecond)
		}
		return p.Count(lists) == 0
	})
	if _, err := env.API.Logical().WriteWithContext(ctx, "sys/leases/revoke", map[string]any{"lease_id": ids[0], "sync": true}); err != nil {
		t.Fatal(err)
	}
	p.Reset()
	r.waitUntil("a LIST after the revocation", time.Minute, func(string) bool { return p.Count(lists) > 0 })
}
