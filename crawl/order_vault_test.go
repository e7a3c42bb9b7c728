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
	for path, n := range map[string]int{"ord/a": 3, "ord/b/c": 4, "ord/b/d": 2} {
		if _, err := env.Seed.LeasedKV(ctx, path, time.Hour, n); err != nil {
			t.Fatal(err)
		}
	}
	p, err := faultproxy.New(env.Server.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	api, err := env.Server.Client()
	if err != nil {
		t.Fatal(err)
	}
	if err := api.SetAddress(p.URL); err != nil {
		t.Fatal(err)
	}
	c := vaultclient.NewFromAPI(api, vaultclient.Config{Concurrency: 1})
	e := crawl.New(ctx, c, crawl.Options{Prefix: "secret/ord/", Refresh: 300 * time.Millisecond, Concurrency: 1})

	type walk struct {
		poll bool
		n    int // leases the index holds at its end
	}
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
	defer func() { stop(); <-done }()
	wait := func(what string, ok func(walk) bool) {
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
