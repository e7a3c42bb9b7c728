package crawl_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// A refresh lists the prefixes it has never seen first, then the smallest
// first, so growth under a new or a small quiet prefix is found before the
// mount's largest prefixes are listed. The order is read at a proxy in
// front of a real Vault, one request in flight at a time; Vault's own
// order (a plain loop over its keys) would be a/, b/, b/c/, b/d/, z/.
func TestARefreshListsNewAndSmallPrefixesFirst(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, c := seededBehindProxy(t, ctx, env, map[string]int{"ord/a": 3, "ord/b/c": 4, "ord/b/d": 2})
	e := crawl.New(ctx, c, crawl.Options{Prefix: "secret/ord/", Refresh: 300 * time.Millisecond, Concurrency: 1})

	wait := runWatchingWalks(t, ctx, e)
	wait("the first crawl", func(w walk) bool { return !w.poll && w.n == 9 })
	if _, err := env.Seed.LeasedKV(ctx, "ord/z", time.Hour, 5); err != nil {
		t.Fatal(err)
	}
	wait("a refresh finds ord/z/", func(w walk) bool { return w.poll && w.n == 14 })

	// The LISTs of the refresh that first listed ord/z/: from the LIST of
	// the walk's root before it to the last LIST after it.
	// (The api package sends a LIST without the prefix's trailing '/'.)
	const root = "sys/leases/lookup/secret/ord"
	var lists []string
	for _, r := range p.Requests() {
		if !strings.HasPrefix(r.Path, root) || !(r.Method == "LIST" || strings.Contains(r.Query, "list=true")) {
			continue
		}
		if p := strings.TrimSuffix(r.Path, "/"); p == root {
			if slices.Contains(lists, "z") {
				break
			}
			lists = nil
			continue
		}
		lists = append(lists, strings.TrimSuffix(strings.TrimPrefix(r.Path, root+"/"), "/"))
	}
	want := []string{"z", "a", "b", "b/d", "b/c"}
	if !slices.Equal(lists, want) {
		t.Fatalf("the refresh listed %v; want %v (new first, then smallest first)", lists, want)
	}
}

// A refresh that lists a mount whole because Vault's figures say leases
// were made there lists the prefixes it already knows under the mount as
// roots of their own, leaves first and smallest first, before the
// mount's and its branch's LISTs (each a pass over the whole subtree in
// Vault's storage): growth under a quiet leaf does not wait for them. The
// branch's listing still finds a prefix that is new under it, in the same
// refresh, and no prefix is listed twice. Read at a proxy in front of a
// real Vault, one request in flight at a time; the mount's listing first
// would be the walk from the mount down, as Vault names its keys.
func TestAHintedRefreshListsKnownLeavesBeforeTheMountAndItsBranches(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	p, c := seededBehindProxy(t, ctx, env, map[string]int{"big/p0": 2, "big/p1": 3, "big/p2": 4, "solo": 5})
	// A small tree behaving as a big one: no budget, nothing cheap, no
	// turn for what is left alone; any lease Vault made that no listing
	// found is news.
	pol := crawl.DefaultPolicy()
	pol.RelistFloor, pol.RelistShare, pol.RelistCheap, pol.RelistEvery, pol.HintMin = 0, 0, 1, 1000, 1
	e := crawl.New(ctx, c, crawl.Options{Prefix: "", Refresh: 300 * time.Millisecond, Concurrency: 1, Policy: pol})

	wait := runWatchingWalks(t, ctx, e)
	figures := func(r faultproxy.Request) bool { return r.Path == "sys/metrics" }
	// Vault holds the 14 leases and the test client's token's.
	all := len(env.AllLeaseIDs(t))
	wait("the first crawl", func(w walk) bool { return !w.poll && w.n == all })
	// The baseline of Vault's figures and a refresh that compared with it.
	// The next refresh reads them a refresh interval after this one ended:
	// that read waits at the proxy while the leases are made, so that one
	// refresh compares them all: four more under the quiet leaf big/p1/,
	// three under a prefix no listing has seen.
	wait("a refresh after the baseline", func(w walk) bool { return w.poll && p.Count(figures) >= 2 })
	hold := make(chan struct{})
	p.Add(faultproxy.Rule{PathPrefix: "sys/metrics", Count: -1, Fault: faultproxy.Fault{Hold: hold}})
	held := func(r faultproxy.Request) bool { return figures(r) && r.Status == 0 }
	for p.Count(held) == 0 {
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			close(hold)
			t.Fatal("no refresh read Vault's figures")
		}
	}
	_, err := env.Seed.ReadLeasedKV(ctx, "big/p1", 4)
	if err == nil {
		_, err = env.Seed.LeasedKV(ctx, "big/pnew", time.Hour, 3)
	}
	close(hold)
	p.Clear()
	if err != nil {
		t.Fatal(err)
	}
	wait("a refresh finds the new leases", func(w walk) bool { return w.poll && w.n == all+7 })

	// The LISTs of the refresh that found big/pnew/: from the read of the
	// figures that began it to the next.
	// (The api package sends a LIST without the prefix's trailing '/'.)
	const lookup = "sys/leases/lookup/"
	var lists []string
	for _, r := range p.Requests() {
		if figures(r) {
			if slices.Contains(lists, "secret/big/pnew") {
				break
			}
			lists = nil
			continue
		}
		if r.Method == "LIST" && strings.HasPrefix(r.Path+"/", lookup) {
			lists = append(lists, strings.TrimSuffix(strings.TrimPrefix(r.Path+"/", lookup), "/"))
		}
	}
	want := []string{"secret/big/p0", "secret/big/p1", "secret/big/p2", "secret/solo", "secret/big", "secret/big/pnew", "secret"}
	if !slices.Equal(lists, want) {
		t.Fatalf("the refresh listed %v; want %v (the known leaves smallest first, then the branch with what is new under it, then the mount; each once)", lists, want)
	}
}

// walk is what a walk's end says: a refresh's (poll) or the first
// crawl's, and the leases the index held then.
type walk struct {
	poll bool
	n    int
}

// runWatchingWalks runs e until the test ends and returns a wait that
// reads the walks' ends until ok takes one, failing the test with what
// when ctx ends first.
func runWatchingWalks(t *testing.T, ctx context.Context, e *crawl.Engine) (wait func(what string, ok func(walk) bool)) {
	walks := make(chan walk, 64)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		crawl.Run(runCtx, e, func(ev crawl.Event) {
			if d, ok := ev.(crawl.Done); ok {
				select {
				case walks <- walk{poll: d.Poll, n: e.Index().Len()}:
				default:
				}
			}
		})
	}()
	t.Cleanup(func() { stop(); <-done })
	return func(what string, ok func(walk) bool) {
		t.Helper()
		for {
			select {
			case w := <-walks:
				if ok(w) {
					return
				}
			case <-ctx.Done():
				t.Fatalf("%s: never", what)
			}
		}
	}
}

// seededBehindProxy seeds leased-KV leases (path: count) and returns a
// proxy in front of env's Vault and a client through it with one request
// in flight at a time, so the order of its requests at the proxy is the
// order the engine chose.
func seededBehindProxy(t *testing.T, ctx context.Context, env *vaulttest.Env, seed map[string]int) (*faultproxy.Proxy, *vaultclient.Client) {
	t.Helper()
	for path, n := range seed {
		if _, err := env.Seed.LeasedKV(ctx, path, time.Hour, n); err != nil {
			t.Fatal(err)
		}
	}
	p, api := env.Proxied(t)
	return p, vaultclient.NewFromAPI(api, vaultclient.Config{Concurrency: 1})
}
