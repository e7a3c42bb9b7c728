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
	"github.com/leasetop/leasetop/internal/goroutines"
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
	// The first 28 lookups go through; the next ones wait at the proxy, so
	// the focus moves at a known point of the crawl however slow the
	// machine is.
	hold := make(chan struct{})
	p.Add(faultproxy.Rule{PathPrefix: "sys/leases/lookup", Method: "PUT", Count: 28})
	p.Add(faultproxy.Rule{PathPrefix: "sys/leases/lookup", Method: "PUT", Count: -1, Fault: faultproxy.Fault{Hold: hold}})

	var focus atomic.Value
	focus.Store("secret/focus/p2/")
	walked := drainWalk(t, c.Walk(ctx, "secret/focus/", vaultclient.WalkOptions{Concurrency: 2, Focus: func() string { return focus.Load().(string) }}))
	waitLookups(t, p, 29)
	focus.Store("secret/focus/p0/") // the operator moves to p0, halfway through p2
	moveAt := len(lookedUp(p))      // sent so far, the held ones included
	close(hold)
	<-walked

	ids := lookedUp(p)
	if len(ids) != 180 {
		t.Fatalf("%d lookups, want 180", len(ids))
	}
	under := func(ids []string, prefix string) int {
		k := 0
		for _, id := range ids {
			if strings.HasPrefix(id, prefix) {
				k++
			}
		}
		return k
	}
	// Lookups wait for the whole listing, so the focused prefix goes
	// first from the very first lookup.
	if got := under(ids[:moveAt], "secret/focus/p2/"); got != moveAt {
		t.Errorf("the %d lookups before the move hold %d of the focused p2, want all:\n%v", moveAt, got, ids)
	}
	// After the move, p0's 60 come next. The adaptive limit may leave one
	// worker with room while the other's lookup is held: that one may
	// have picked a p2 id just before the move and sent it just after.
	if got := under(ids[moveAt:moveAt+60], "secret/focus/p0/"); got < 59 {
		t.Errorf("the 60 lookups after the move hold %d of p0, want at least 59:\n%v", got, ids)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("%s looked up twice", id)
		}
		seen[id] = true
	}
}

// drainWalk reads a walk's events to the end in the background (the walk
// waits for a reader once its buffer is full) and closes the channel it
// returns when the walk is over.
func drainWalk(t *testing.T, events <-chan vaultclient.Event) <-chan struct{} {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range events {
			if ev.Kind == vaultclient.EventError {
				t.Error(ev.Err)
			}
		}
	}()
	return done
}

// waitLookups waits until the proxy has seen n lookups.
func waitLookups(t *testing.T, p *faultproxy.Proxy, n int) {
	t.Helper()
	isLookup := func(r faultproxy.Request) bool { return r.Path == "sys/leases/lookup" && r.Method == "PUT" }
	for deadline := time.Now().Add(time.Minute); p.Count(isLookup) < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %d lookups at the proxy, saw %d", n, p.Count(isLookup))
		}
	}
}

// parkedWorkers is how many of this process's walk workers wait for a
// task (asleep in the walker's next, nothing to do yet).
func parkedWorkers() int {
	return goroutines.Count(func(g goroutines.G) bool {
		return g.State == "sync.Cond.Wait" && g.In("vaultclient.(*walker).next(")
	})
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
	// Every other LIST answered, the slow one held: 60 ids queued. Wait
	// until the three other workers have gone idle (asleep waiting for a
	// task), not for some span of time: a walk that looked ids up beside a
	// LIST would have sent lookups to the proxy instead.
	answered := func(r faultproxy.Request) bool { return isList(r) && r.Status != 0 }
	for deadline := time.Now().Add(time.Minute); p.Count(answered) < 4 || parkedWorkers() < 3; time.Sleep(10 * time.Millisecond) {
		if n := p.Count(isLookup); n > 0 {
			t.Fatalf("%d lookups started while a LIST was in flight", n)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the listing did not reach the held prefix with three workers idle (%d parked): %+v", parkedWorkers(), p.Requests())
		}
	}
	if n := p.Count(isLookup); n > 0 {
		t.Fatalf("%d lookups started while a LIST was in flight", n)
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
	// The 21st lookup waits at the proxy, holding the one room: the focus
	// moves while the other fifteen workers wait for it.
	hold := make(chan struct{})
	p.Add(faultproxy.Rule{PathPrefix: "sys/leases/lookup", Method: "PUT", Count: 20})
	p.Add(faultproxy.Rule{PathPrefix: "sys/leases/lookup", Method: "PUT", Count: -1, Fault: faultproxy.Fault{Hold: hold}})

	var focus atomic.Value
	focus.Store("secret/pick/p2/")
	walked := drainWalk(t, c.Walk(ctx, "secret/pick/", vaultclient.WalkOptions{Concurrency: 16, Focus: func() string { return focus.Load().(string) }}))
	waitLookups(t, p, 21)
	focus.Store("secret/pick/p0/")
	close(hold)
	<-walked

	ids := lookedUp(p)
	if len(ids) != 180 {
		t.Fatalf("%d lookups, want 180", len(ids))
	}
	if got := ids[:21]; !allUnder(got, "secret/pick/p2/") {
		t.Errorf("the 21 lookups before the move were not all of the focused p2:\n%v", got)
	}
	// After the move, p0's 60 come next.
	if got := ids[21:81]; !allUnder(got, "secret/pick/p0/") {
		t.Errorf("the 60 lookups after the move were not all of the new focus:\n%v", got)
	}
}

func allUnder(ids []string, prefix string) bool {
	for _, id := range ids {
		if !strings.HasPrefix(id, prefix) {
			return false
		}
	}
	return true
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
