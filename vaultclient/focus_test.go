package vaultclient_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// lookedUp is the lease ids the proxy saw looked up, in the order Vault
// answered them.
func lookedUp(p *faultproxy.Proxy) []string {
	var ids []string
	for _, r := range p.Requests() {
		if r.Path != "sys/leases/lookup" || r.Method != "PUT" {
			continue
		}
		var body struct {
			LeaseID string `json:"lease_id"`
		}
		if json.Unmarshal(r.Body, &body) == nil && body.LeaseID != "" {
			ids = append(ids, body.LeaseID)
		}
	}
	return ids
}

// seedThree makes 60 leases under each of secret/<name>/p0/, p1/ and p2/.
func seedThree(ctx context.Context, t *testing.T, env *vaulttest.Env, name string) {
	t.Helper()
	for i := range 3 {
		if _, err := env.Seed.LeasedKV(ctx, fmt.Sprintf("%s/p%d", name, i), time.Hour, 60); err != nil {
			t.Fatal(err)
		}
	}
}

// The lookups of the focused prefix go before the rest, and moving the
// focus mid-crawl re-orders what follows at once (counted at a proxy).
func TestWalkLooksUpTheFocusedPrefixFirst(t *testing.T) {
	env, p, c := proxied(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	seedThree(ctx, t, env, "focus")
	// A little latency per lookup, so the crawl is slow enough to steer.
	p.Add(faultproxy.Rule{PathPrefix: "sys/leases/lookup", Method: "PUT", Count: -1, Fault: faultproxy.Fault{Delay: 5 * time.Millisecond}})

	var focus atomic.Value
	focus.Store("secret/focus/p2/")
	moved := false
	n := 0
	for ev := range c.Walk(ctx, "secret/focus/", vaultclient.WalkOptions{Concurrency: 2, Focus: func() string { return focus.Load().(string) }}) {
		if ev.Kind == vaultclient.EventError {
			t.Fatal(ev.Err)
		}
		if ev.Kind != vaultclient.EventLease {
			continue
		}
		// Halfway through p2, the operator moves to p0.
		if n++; n == 30 && !moved {
			focus.Store("secret/focus/p0/")
			moved = true
		}
	}
	ids := lookedUp(p)
	if len(ids) != 180 {
		t.Fatalf("%d lookups, want 180", len(ids))
	}
	// With 2 workers, a lookup or two may go before the focused prefix is
	// even listed (a worker with no list to do takes what is queued), and
	// a couple already in flight when the focus moved land out of order.
	under := func(from, to int, prefix string) int {
		k := 0
		for _, id := range ids[from:to] {
			if strings.HasPrefix(id, prefix) {
				k++
			}
		}
		return k
	}
	if got := under(0, 28, "secret/focus/p2/"); got < 26 {
		t.Errorf("the first 28 lookups hold %d of the focused p2, want (nearly) all:\n%v", got, ids)
	}
	if got := under(34, 90, "secret/focus/p0/"); got < 54 {
		t.Errorf("after the move, lookups 34-90 hold %d of p0, want (nearly) all 56:\n%v", got, ids)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("%s looked up twice", id)
		}
		seen[id] = true
	}
}

// Counts at LIST speed: no lookup starts while a LIST is in flight, even
// with workers idle and ids queued (a LIST held at the proxy), and the
// walk looks every lease up once the listing is done.
func TestWalkLooksNothingUpWhileAListRuns(t *testing.T) {
	env, p, c := proxied(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, path := range []string{"order/p0", "order/p1", "order/p2", "order/slow"} {
		if _, err := env.Seed.LeasedKV(ctx, path, time.Hour, 20); err != nil {
			t.Fatal(err)
		}
	}
	hold := make(chan struct{})
	p.Add(faultproxy.Rule{PathPrefix: "sys/leases/lookup/secret/order/slow", Count: -1, Fault: faultproxy.Fault{Hold: hold}})
	isList := func(r faultproxy.Request) bool {
		return strings.HasPrefix(r.Path, "sys/leases/lookup/") && (r.Method == "LIST" || strings.Contains(r.Query, "list=true"))
	}
	isLookup := func(r faultproxy.Request) bool { return r.Path == "sys/leases/lookup" && r.Method == "PUT" }

	events := c.Walk(ctx, "secret/order/", vaultclient.WalkOptions{Concurrency: 4})
	// Every other LIST answered, the slow one held: 60 ids queued, three
	// workers idle.
	deadline := time.Now().Add(30 * time.Second)
	for p.Count(func(r faultproxy.Request) bool { return isList(r) && r.Status != 0 }) < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("the listing did not reach the held prefix: %+v", p.Requests())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for range 30 { // idle workers would start a lookup within a millisecond
		if n := p.Count(isLookup); n > 0 {
			t.Fatalf("%d lookups started while a LIST was in flight", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(hold)
	leases := 0
	for ev := range events {
		if ev.Kind == vaultclient.EventError {
			t.Fatal(ev.Err)
		}
		if ev.Kind == vaultclient.EventLease {
			leases++
		}
	}
	if leases != 80 || p.Count(isLookup) != 80 {
		t.Errorf("looked up %d leases (%d at the proxy), want all 80", leases, p.Count(isLookup))
	}
}

// A worker picks its lease id when its request may go, not before waiting
// for room under the limit: with sixteen workers and room for one request
// (the client's ceiling), moving the focus re-orders every lookup after
// the one in flight. Workers that picked first held sixteen ids of the
// old focus, which went out among the new one's.
func TestWalkPicksEachLookupWhenItMayGo(t *testing.T) {
	env, p, _ := proxied(t)
	api, err := env.Server.Client()
	if err != nil {
		t.Fatal(err)
	}
	if err := api.SetAddress(p.URL); err != nil {
		t.Fatal(err)
	}
	c := vaultclient.NewFromAPI(api, vaultclient.Config{Concurrency: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	seedThree(ctx, t, env, "pick")
	p.Add(faultproxy.Rule{PathPrefix: "sys/leases/lookup", Method: "PUT", Count: -1, Fault: faultproxy.Fault{Delay: 3 * time.Millisecond}})

	var focus atomic.Value
	focus.Store("secret/pick/p2/")
	moveAt := -1
	n := 0
	for ev := range c.Walk(ctx, "secret/pick/", vaultclient.WalkOptions{Concurrency: 16, Focus: func() string { return focus.Load().(string) }}) {
		if ev.Kind == vaultclient.EventError {
			t.Fatal(ev.Err)
		}
		if ev.Kind == vaultclient.EventLease {
			if n++; n == 20 {
				focus.Store("secret/pick/p0/")
				moveAt = len(lookedUp(p)) // sent so far, the one in flight included
			}
		}
	}
	ids := lookedUp(p)
	if len(ids) != 180 || moveAt < 0 {
		t.Fatalf("%d lookups, focus moved after %d; want 180, moved", len(ids), moveAt)
	}
	// After the move, p0's 60 come next; one worker may have picked just
	// before the focus moved and sent just after.
	stale := 0
	for _, id := range ids[moveAt : moveAt+60] {
		if !strings.HasPrefix(id, "secret/pick/p0/") {
			stale++
		}
	}
	if stale > 1 {
		t.Errorf("%d of the 60 lookups after the move were not of the new focus, want at most 1:\n%v", stale, ids[moveAt:moveAt+60])
	}
}

// A walk lists a level's children in the order Vault names them, depth
// first (one worker, LISTs in the order the proxy saw them): the tree's
// counts fill in from the top, and the walk ends on the last-named
// prefix, not the first, as a plain loop over the keys would.
func TestWalkListsChildrenInTheOrderVaultNamesThem(t *testing.T) {
	env, p, c := proxied(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, path := range []string{"named/a/x", "named/a/y", "named/b", "named/c"} {
		if _, err := env.Seed.LeasedKV(ctx, path, time.Hour, 2); err != nil {
			t.Fatal(err)
		}
	}
	for ev := range c.Walk(ctx, "secret/named/", vaultclient.WalkOptions{Concurrency: 1, ListOnly: true}) {
		if ev.Kind == vaultclient.EventError {
			t.Fatal(ev.Err)
		}
	}
	var listed []string
	for _, r := range p.Requests() {
		if strings.HasPrefix(r.Path, "sys/leases/lookup/") && (r.Method == "LIST" || strings.Contains(r.Query, "list=true")) {
			listed = append(listed, strings.TrimPrefix(r.Path, "sys/leases/lookup/secret/named"))
		}
	}
	want := []string{"", "/a", "/a/x", "/a/y", "/b", "/c"}
	if strings.Join(listed, " ") != strings.Join(want, " ") {
		t.Errorf("listed %q, want %q", listed, want)
	}
}
