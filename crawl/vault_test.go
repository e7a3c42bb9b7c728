package crawl_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

// One dev server for the whole file: the machine is small, and every
// subtest only reads, or writes under its own path.
func TestCrawlAgainstARealServer(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	seed := func(path string, n int) []string {
		t.Helper()
		ids, err := env.Seed.LeasedKV(ctx, path, time.Hour, n)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	seed("a", 3)
	seed("b/c", 4)
	seed("b/d", 2)
	c := env.Client(t, "", vaultclient.Config{Concurrency: 4})

	t.Run("Count lists only", func(t *testing.T) {
		for prefix, want := range map[string]int{"secret/": 9, "secret/b/": 6, "secret/b/c/": 4, "nothing/": 0} {
			n, err := crawl.Count(ctx, c, prefix)
			if err != nil || n != want {
				t.Errorf("Count(%q) = %d, %v; want %d", prefix, n, err, want)
			}
		}
	})

	// A token that may list everything but secret/b/: Vault refuses that
	// branch, and Count says so instead of returning a short count. (Vault
	// checks a LIST against the path without its trailing '/', so the deny
	// glob is "secret/b*", not "secret/b/*".)
	tok := env.TokenWithPolicy(t, "all-but-b", `
path "sys/leases/lookup/*" { capabilities = ["list", "sudo"] }
path "sys/leases/lookup" { capabilities = ["update"] }
path "sys/leases/lookup/secret/b*" { capabilities = ["deny"] }`)
	denied := env.Client(t, tok, vaultclient.Config{Concurrency: 4})

	t.Run("Count returns the first failure", func(t *testing.T) {
		if _, err := crawl.Count(ctx, denied, "secret/"); !errors.Is(err, vaultclient.ErrPermissionDenied) {
			t.Errorf("Count over a denied branch: %v, want ErrPermissionDenied", err)
		}
		if n, err := crawl.Count(ctx, denied, "secret/a/"); n != 3 || err != nil {
			t.Errorf("Count of an allowed branch: %d, %v", n, err)
		}
	})

	t.Run("Count stops when cancelled", func(t *testing.T) {
		cctx, ccancel := context.WithCancel(ctx)
		ccancel()
		if _, err := crawl.Count(cctx, c, "secret/"); !errors.Is(err, context.Canceled) {
			t.Errorf("Count with a cancelled context: %v", err)
		}
	})

	t.Run("Apply fills an index from a walk", func(t *testing.T) {
		idx := model.NewIndex()
		var st crawl.Stats
		now := time.Now()
		for ev := range c.Walk(ctx, "secret/", vaultclient.WalkOptions{}) {
			crawl.Apply(idx, ev, now, &st)
		}
		if st.Errors != 0 || st.Leases != 9 || idx.Len() != 9 {
			t.Fatalf("stats %+v, index holds %d; want 9 leases, no errors", st, idx.Len())
		}
		for _, l := range idx.Leases("secret/", model.Query{Recursive: true, Now: now}) {
			if l.Pending() || !l.Renewable() || !l.HasExpiry() {
				t.Errorf("%s was not looked up: pending %v", l.ID(), l.Pending())
			}
		}

		// A refresh lists only and returns just the new ids, as the UI's
		// poll does before it looks them up.
		added := seed("b/c", 2)
		var fresh []string
		for ev := range c.Walk(ctx, "secret/", vaultclient.WalkOptions{ListOnly: true}) {
			fresh = append(fresh, crawl.Apply(idx, ev, now, nil)...)
		}
		slices.Sort(fresh)
		slices.Sort(added)
		if !slices.Equal(fresh, added) || idx.Len() != 11 {
			t.Errorf("fresh after a refresh = %v, want the new %v; index holds %d", fresh, added, idx.Len())
		}
	})

	t.Run("Apply records a denied prefix in words", func(t *testing.T) {
		idx := model.NewIndex()
		st := crawl.Stats{ErrorText: func(err error) string { return vaultclient.KindOf(err).String() }}
		for ev := range denied.Walk(ctx, "secret/", vaultclient.WalkOptions{}) {
			crawl.Apply(idx, ev, time.Now(), &st)
		}
		if st.Errors != 1 || !errors.Is(st.LastErr, vaultclient.ErrPermissionDenied) {
			t.Errorf("stats %+v, want the one denied listing", st)
		}
		if n := idx.Node("secret/b/"); n == nil || n.Err() != "permission denied" {
			t.Errorf("secret/b/ should carry the worded error: %+v", n)
		}
		if n := idx.Node("secret/a/"); n == nil || n.Count() != 3 || n.Err() != "" {
			t.Errorf("the allowed branch should be filled: %+v", n)
		}
	})
}

// The engine, driven by Run against a real Vault, fills its index with
// what Vault holds, every lease looked up; a refresh finds leases made
// since and looks them up too. What the index holds is compared with the
// ids Vault gave the seeder, read by Vault's own client.
func TestEngineRunFollowsARealServer(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	first, err := env.Seed.LeasedKV(ctx, "run/a", time.Hour, 3)
	if err != nil {
		t.Fatal(err)
	}
	c := env.Client(t, "", vaultclient.Config{Concurrency: 4})
	e := crawl.New(ctx, c, crawl.Options{Prefix: "secret/run/", Refresh: 200 * time.Millisecond, Concurrency: 4})

	// What the index holds after each walk, read on Run's goroutine.
	type seen struct {
		poll   bool
		looked []string // leases looked up
	}
	walks := make(chan seen, 64)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		crawl.Run(runCtx, e, func(ev crawl.Event) {
			d, ok := ev.(crawl.Done)
			if !ok {
				return
			}
			var looked []string
			for _, l := range e.Index().Leases("secret/run/", model.Query{Recursive: true, Now: time.Now()}) {
				if !l.Pending() {
					looked = append(looked, l.ID())
				}
			}
			slices.Sort(looked)
			select {
			case walks <- seen{poll: d.Poll, looked: looked}:
			default:
			}
		})
	}()
	defer func() { stop(); <-done }()

	wait := func(what string, ok func(seen) bool) {
		t.Helper()
		for {
			select {
			case s := <-walks:
				if ok(s) {
					return
				}
			case <-ctx.Done():
				t.Fatalf("%s: never", what)
			}
		}
	}
	slices.Sort(first)
	wait("the first crawl looks up what Vault holds", func(s seen) bool { return !s.poll && slices.Equal(s.looked, first) })

	more, err := env.Seed.LeasedKV(ctx, "run/b", time.Hour, 2)
	if err != nil {
		t.Fatal(err)
	}
	all := slices.Concat(first, more)
	slices.Sort(all)
	// A refresh lists them; the lookups of the new ones answer after it
	// ends, so a later refresh's end sees them looked up.
	wait("a refresh finds and looks up the leases made since", func(s seen) bool { return s.poll && slices.Equal(s.looked, all) })
}
