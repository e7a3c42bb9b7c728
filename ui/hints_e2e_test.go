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

// Leases made under a prefix that refreshes leave alone are found from
// Vault's own telemetry (sys/metrics, read at each refresh), not by
// waiting for the prefix's turn: here no turn ever comes (relistEvery is
// a thousand refreshes, the budget nothing), and the new leases still
// show, counted at a proxy in front of a real Vault.
func TestEndToEndVaultsFiguresFindGrowthUnderAQuietPrefix(t *testing.T) {
	pol := relistKnobs(0, 1)
	pol.RelistEvery, pol.HintMin = 1000, 1

	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, p := range []string{"hint/a/x", "hint/b/x", "hint/c/x"} {
		if _, err := env.Seed.LeasedKV(ctx, p, time.Hour, 3); err != nil {
			t.Fatal(err)
		}
	}
	p, a := env.Proxied(t)
	r := startProgram(t, vaultclient.NewFromAPI(a, vaultclient.Config{}), Options{Prefix: "secret/hint/", Refresh: 500 * time.Millisecond, Policy: pol})
	r.waitFor("9 leases")
	metrics := func(req faultproxy.Request) bool {
		return req.Path == "sys/metrics" && strings.Contains(req.Query, "prometheus")
	}
	listed := func(prefix string) func(faultproxy.Request) bool {
		return func(req faultproxy.Request) bool {
			return req.Method == "LIST" && strings.TrimSuffix(req.Path, "/") == "sys/leases/lookup/"+strings.TrimSuffix(prefix, "/")
		}
	}
	// Two refreshes read the figures (the first sets the baseline) and
	// leave the quiet prefixes alone.
	p.Reset()
	r.waitUntil("two refreshes", time.Minute, func(string) bool { return p.Count(metrics) >= 3 })
	if n := p.Count(listed("secret/hint/c/x/")); n != 0 {
		t.Fatalf("refreshes listed the quiet c/x %d times before anything happened there", n)
	}

	if _, err := env.Seed.ReadLeasedKV(ctx, "hint/c/x", 4); err != nil {
		t.Fatal(err)
	}
	r.waitFor("13 leases")
	if p.Count(listed("secret/hint/c/x/")) == 0 {
		t.Error("the new leases showed without a listing of c/x at the proxy")
	}
}

// Between refreshes the figures are read every hintEvery, and a mount
// with news starts a refresh at once: with a refresh interval of ten
// minutes (no regular refresh comes while the test waits), new leases
// under a quiet prefix still show, the status bar names the growth with
// them, and the refresh that found them listed that prefix (counted at a
// proxy).
func TestEndToEndGrowthStartsARefreshBetweenRefreshes(t *testing.T) {
	pol := relistKnobs(0, 1)
	// A refresh schedules its reads of the figures up front, one timer
	// each: a read a second keeps them to 600 a refresh.
	pol.RelistEvery, pol.HintMin, pol.HintEvery = 1000, 1, time.Second

	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, p := range []string{"probe/a/x", "probe/b/x"} {
		if _, err := env.Seed.LeasedKV(ctx, p, time.Hour, 3); err != nil {
			t.Fatal(err)
		}
	}
	p, a := env.Proxied(t)
	r := startProgram(t, vaultclient.NewFromAPI(a, vaultclient.Config{}), Options{Prefix: "secret/probe/", Refresh: 10 * time.Minute, Policy: pol})
	r.waitFor("6 leases")
	metrics := func(req faultproxy.Request) bool { return req.Path == "sys/metrics" }
	p.Reset()
	r.waitUntil("the baseline and one more read of the figures", time.Minute, func(string) bool { return p.Count(metrics) >= 2 })

	if _, err := env.Seed.ReadLeasedKV(ctx, "probe/b/x", 4); err != nil {
		t.Fatal(err)
	}
	// The leases show and the status bar names where they grew, on the
	// same screen (the probe's refresh sets no status message of its own
	// that would hide the growth; it stays named for nowWindow).
	r.waitUntil("the new leases with their growth named", time.Minute, func(s string) bool {
		return strings.Contains(s, "10 leases") && strings.Contains(s, "fastest growth: secret/probe/b/x/")
	})
	listedB := func(req faultproxy.Request) bool {
		return req.Method == "LIST" && strings.TrimSuffix(req.Path, "/") == "sys/leases/lookup/secret/probe/b/x"
	}
	if p.Count(listedB) == 0 {
		t.Error("the new leases showed without a listing of b/x at the proxy")
	}
}
