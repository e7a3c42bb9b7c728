package model

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCountsRollUp(t *testing.T) {
	tests := []struct {
		name   string
		x      *Index
		counts map[string]int // path -> Count
		direct map[string]int // path -> Direct
	}{
		{
			name:   "nested listings roll up before any lookup",
			x:      build(nested),
			counts: map[string]int{"": 4, "database/": 3, "database/creds/": 3, "database/creds/ro/": 2, "database/creds/rw/": 1, "secret/": 1},
			direct: map[string]int{"": 0, "database/creds/ro/": 2, "secret/": 1},
		},
		{
			name: "lookups fill leases in without changing counts",
			x: build(nested, info("database/creds/ro/a", time.Hour, true), info("database/creds/rw/c", 0, false),
				info("database/creds/ro/a", 2*time.Hour, true)),
			counts: map[string]int{"": 4, "database/creds/": 3, "database/creds/ro/": 2},
		},
		{
			name:   "lookups without a listing create the path and count",
			x:      build(nil, info("pki/issue/web/x", time.Hour, false), info("pki/issue/web/y", time.Hour, false), info("pki/z", 0, false)),
			counts: map[string]int{"": 3, "pki/": 3, "pki/issue/": 2, "pki/issue/web/": 2},
			direct: map[string]int{"pki/": 1, "pki/issue/": 0, "pki/issue/web/": 2},
		},
		{
			name: "a vanished lease stops counting at every level",
			x: func() *Index {
				x := build(nested)
				x.ApplyListing("database/creds/ro/", nil, []string{"database/creds/ro/b"}, t0)
				return x
			}(),
			counts: map[string]int{"": 3, "database/": 2, "database/creds/ro/": 1},
		},
		{
			name: "a vanished prefix takes its subtree's counts with it",
			x: func() *Index {
				x := build(nested)
				x.ApplyListing("database/creds/", []string{"database/creds/rw/"}, nil, t0)
				return x
			}(),
			counts: map[string]int{"": 2, "database/": 1, "database/creds/": 1, "database/creds/rw/": 1},
		},
		{
			name: "MarkGone stops counting, a lookup brings it back",
			x: func() *Index {
				x := build(nested)
				x.MarkGone("secret/k", t0)
				x.MarkGone("secret/k", t0) // twice is once
				x.MarkGone("database/creds/ro/a", t0)
				x.ApplyLease(info("database/creds/ro/a", time.Hour, true))
				return x
			}(),
			counts: map[string]int{"": 3, "secret/": 0, "database/": 3},
			direct: map[string]int{"secret/": 0, "database/creds/ro/": 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for path, want := range tt.counts {
				if n := tt.x.Node(path); n == nil || n.Count() != want {
					t.Errorf("Node(%q).Count() = %v, want %d", path, n, want)
				}
			}
			for path, want := range tt.direct {
				if n := tt.x.Node(path); n == nil || n.Direct() != want {
					t.Errorf("Node(%q).Direct() = %v, want %d", path, n, want)
				}
			}
			if tt.x.Len() != tt.x.Root().Count() {
				t.Errorf("Len %d != root count %d", tt.x.Len(), tt.x.Root().Count())
			}
		})
	}
}

func TestApplyListingReconciles(t *testing.T) {
	base := []listing{{"", []string{"s/"}, nil}, {"s/", []string{"s/x/"}, []string{"s/a", "s/b"}}, {"s/x/", nil, []string{"s/x/1"}}}
	tests := []struct {
		name     string
		before   func(*Index)
		l        listing
		wantNew  []string
		wantGone []string
		wantLen  int
	}{
		{"the same listing again needs no lookups", nil,
			listing{"s/", []string{"s/x/"}, []string{"s/a", "s/b"}}, nil, nil, 3},
		{"the same listing in another order needs no lookups", nil,
			listing{"s/", []string{"s/x/", "s/x/"}, []string{"s/b", "s/a", "s/b"}}, nil, nil, 3},
		{"a new id needs a lookup", nil,
			listing{"s/", []string{"s/x/"}, []string{"s/a", "s/b", "s/c"}}, []string{"s/c"}, nil, 4},
		{"an absent id is gone", nil,
			listing{"s/", []string{"s/x/"}, []string{"s/b"}}, nil, []string{"s/a"}, 2},
		{"an absent child prefix is gone with its leases", nil,
			listing{"s/", nil, []string{"s/a", "s/b"}}, nil, []string{"s/x/1"}, 2},
		{"a new child prefix brings no ids until it is listed", nil,
			listing{"s/", []string{"s/x/", "s/y/"}, []string{"s/a", "s/b"}}, nil, nil, 3},
		{"a gone lease listed again is looked up anew",
			func(x *Index) { x.MarkGone("s/a", t0) },
			listing{"s/", []string{"s/x/"}, []string{"s/a", "s/b"}}, []string{"s/a"}, nil, 3},
		{"a purged lease listed again is new",
			func(x *Index) { x.MarkGone("s/a", t0); x.PurgeGone(t0.Add(time.Second)) },
			listing{"s/", []string{"s/x/"}, []string{"s/a", "s/b"}}, []string{"s/a"}, nil, 3},
		{"entries not directly under the prefix are ignored", nil,
			listing{"s/", []string{"s/x/", "s/x/deeper/", "other/", "s/nosuffix"}, []string{"s/a", "s/b", "s/x/2", "t/c", "s/", "s/sub/"}}, nil, nil, 3},
		{"a prefix without its slash gets one", nil,
			listing{"s", []string{"s/x/"}, []string{"s/a", "s/b", "s/c"}}, []string{"s/c"}, nil, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := build(base)
			if tt.before != nil {
				tt.before(x)
			}
			gotNew, gotGone := x.ApplyListing(tt.l.prefix, tt.l.children, tt.l.leases, t0)
			slices.Sort(gotNew)
			slices.Sort(gotGone)
			if !slices.Equal(gotNew, tt.wantNew) || !slices.Equal(gotGone, tt.wantGone) {
				t.Errorf("new %q, gone %q; want new %q, gone %q", gotNew, gotGone, tt.wantNew, tt.wantGone)
			}
			if x.Len() != tt.wantLen {
				t.Errorf("Len() = %d, want %d", x.Len(), tt.wantLen)
			}
		})
	}
}

func TestLeaseStates(t *testing.T) {
	tests := []struct {
		name                string
		do                  func(*Index)
		id                  string
		exists, pend, isGon bool
	}{
		{"a listed lease is pending", func(x *Index) {}, "database/creds/ro/a", true, true, false},
		{"a lookup ends pending", func(x *Index) { x.ApplyLease(info("database/creds/ro/a", time.Hour, true)) }, "database/creds/ro/a", true, false, false},
		{"a lease absent from a re-listing is gone but kept", func(x *Index) {
			x.ApplyListing("database/creds/ro/", nil, []string{"database/creds/ro/b"}, t0)
		}, "database/creds/ro/a", true, false, true},
		{"a gone lease is purged after a while", func(x *Index) {
			x.MarkGone("database/creds/ro/a", t0)
			x.PurgeGone(t0.Add(time.Second))
		}, "database/creds/ro/a", false, false, false},
		{"a gone lease is kept until then", func(x *Index) {
			x.MarkGone("database/creds/ro/a", t0)
			x.PurgeGone(t0)
		}, "database/creds/ro/a", true, false, true},
		{"a lease that came back is not purged", func(x *Index) {
			x.MarkGone("database/creds/ro/a", t0)
			x.ApplyLease(info("database/creds/ro/a", time.Hour, true))
			x.PurgeGone(t0.Add(time.Hour))
		}, "database/creds/ro/a", true, false, false},
		{"a purged lease comes back by lookup", func(x *Index) {
			x.MarkGone("database/creds/ro/a", t0)
			x.PurgeGone(t0.Add(time.Hour))
			x.ApplyLease(info("database/creds/ro/a", time.Hour, true))
		}, "database/creds/ro/a", true, false, false},
		{"leases of a vanished prefix are no longer found", func(x *Index) {
			x.ApplyListing("database/creds/", []string{"database/creds/rw/"}, nil, t0)
		}, "database/creds/ro/a", false, false, false},
		{"an id ending in a slash is not a lease", func(x *Index) {
			x.ApplyLease(info("database/creds/ro/", time.Hour, true))
		}, "database/creds/ro/", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := build(nested)
			tt.do(x)
			l := x.Lease(tt.id)
			if (l != nil) != tt.exists {
				t.Fatalf("Lease(%q) = %v, want exists=%v", tt.id, l, tt.exists)
			}
			if l != nil && (l.Pending() != tt.pend || l.Gone() != tt.isGon) {
				t.Errorf("pending %v gone %v, want %v %v", l.Pending(), l.Gone(), tt.pend, tt.isGon)
			}
		})
	}
}

func TestHeldLeaseShowsVanished(t *testing.T) {
	x := build(nested)
	held := x.Lease("database/creds/ro/a")
	x.ApplyListing("database/", nil, nil, t0) // creds/ vanished
	x.PurgeGone(t0.Add(time.Hour))
	if !held.Gone() || held.ID() != "database/creds/ro/a" {
		t.Errorf("a row holding a lease of a dropped prefix must see it gone: gone=%v id=%q", held.Gone(), held.ID())
	}
}

func TestPurgeGoneReportsAndDropsOnlyOldOnes(t *testing.T) {
	x := build([]listing{{"s/", nil, []string{"s/a", "s/b", "s/c"}}})
	x.MarkGone("s/a", t0)
	x.MarkGone("s/b", t0.Add(time.Minute))
	steps := []struct {
		name    string
		cut     time.Time
		want    int
		present []string
	}{
		{"nothing old enough", t0, 0, []string{"s/a", "s/b", "s/c"}},
		{"the older one", t0.Add(time.Second), 1, []string{"s/b", "s/c"}},
		{"again is nothing", t0.Add(time.Second), 0, []string{"s/b", "s/c"}},
		{"the rest", t0.Add(time.Hour), 1, []string{"s/c"}},
	}
	for _, st := range steps {
		if got := x.PurgeGone(st.cut); got != st.want {
			t.Errorf("%s: PurgeGone = %d, want %d", st.name, got, st.want)
		}
		if got := ids(x.Leases("s/", Query{Sort: ByID, Now: t0})); !slices.Equal(got, st.present) {
			t.Errorf("%s: leases %v, want %v", st.name, got, st.present)
		}
	}
}

func TestPrefixError(t *testing.T) {
	x := build(nested)
	x.SetPrefixError("database/creds/ro/", "permission denied")
	n := x.Node("database/creds/ro/")
	if n.Err() != "permission denied" || n.Count() != 2 {
		t.Errorf("a failed listing keeps the data, flagged: err %q count %d", n.Err(), n.Count())
	}
	x.ApplyListing("database/creds/ro/", nil, []string{"database/creds/ro/a", "database/creds/ro/b"}, t0)
	if n.Err() != "" {
		t.Errorf("a successful listing clears the error, got %q", n.Err())
	}
	x.SetPrefixError("never/listed/", "timeout")
	if n := x.Node("never/listed/"); n == nil || n.Err() != "timeout" || n.Listed() {
		t.Errorf("an error on an unknown prefix creates it, unlisted: %v", n)
	}
}

func TestNodeAccessors(t *testing.T) {
	x := build(nested)
	tests := []struct {
		path, name, parent string
		listed             bool
		children           []string
	}{
		{"", "/", "", true, []string{"database/", "secret/"}},
		{"database/creds/", "creds/", "database/", true, []string{"ro/", "rw/"}},
		{"database/creds/ro/", "ro/", "database/creds/", true, []string{}},
	}
	for _, tt := range tests {
		n := x.Node(tt.path)
		if n == nil {
			t.Fatalf("Node(%q) is nil", tt.path)
		}
		if n.Path() != tt.path || n.Name() != tt.name || n.Listed() != tt.listed || !slices.Equal(names(n.Children()), tt.children) {
			t.Errorf("Node(%q): path %q name %q listed %v children %v", tt.path, n.Path(), n.Name(), n.Listed(), names(n.Children()))
		}
		if tt.path != "" && n.Parent().Path() != tt.parent {
			t.Errorf("Node(%q).Parent() = %q, want %q", tt.path, n.Parent().Path(), tt.parent)
		}
	}
	if x.Root().Parent() != nil || x.Node("nope/") != nil {
		t.Error("the root has no parent, and unknown paths have no node")
	}
	if x.Node("database/").Listed() != true || build(nil, info("a/b/c", 0, false)).Node("a/").Listed() {
		t.Error("Listed is true only for prefixes that were listed")
	}
}

func TestChildrenSliceIsStable(t *testing.T) {
	x := build(nested)
	held := x.Node("").Children()
	x.ApplyListing("", []string{"auth/", "database/"}, nil, t0)
	if !slices.Equal(names(held), []string{"database/", "secret/"}) {
		t.Errorf("a children slice handed out must not change underneath: %v", names(held))
	}
	if got := names(x.Node("").Children()); !slices.Equal(got, []string{"auth/", "database/"}) {
		t.Errorf("children now %v", got)
	}
}

func TestSoonest(t *testing.T) {
	type step struct {
		do   func(*Index)
		path string
		want time.Duration // from t0; 0 = none
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"rolled up from the deepest lease", []step{
			{func(x *Index) {
				x.ApplyLease(info("p/q/a", 2*time.Hour, true))
				x.ApplyLease(info("p/q/b", 10*time.Minute, true))
				x.ApplyLease(info("p/r/c", 0, true))
			}, "", 10 * time.Minute},
			{nil, "p/q/", 10 * time.Minute},
			{nil, "p/r/", 0},
		}},
		{"pending leases have no expiry yet", []step{
			{func(x *Index) { x.ApplyListing("p/", nil, []string{"p/x"}, t0) }, "p/", 0},
		}},
		{"includes expired leases", []step{
			{func(x *Index) {
				x.ApplyLease(info("p/a", -time.Minute, false))
				x.ApplyLease(info("p/b", time.Minute, true))
			}, "", -time.Minute},
		}},
		{"the soonest going moves it later", []step{
			{func(x *Index) {
				x.ApplyLease(info("p/a", time.Minute, true))
				x.ApplyLease(info("p/q/b", time.Hour, true))
			}, "", time.Minute},
			{func(x *Index) { x.MarkGone("p/a", t0) }, "", time.Hour},
			{func(x *Index) { x.MarkGone("p/q/b", t0) }, "", 0},
		}},
		{"renewing the soonest moves it later", []step{
			{func(x *Index) {
				x.ApplyLease(info("p/a", time.Minute, true))
				x.ApplyLease(info("p/b", time.Hour, true))
			}, "p/", time.Minute},
			{func(x *Index) { x.ApplyLease(info("p/a", 2*time.Hour, true)) }, "p/", time.Hour},
		}},
		{"a sooner lease moves it earlier", []step{
			{func(x *Index) { x.ApplyLease(info("p/q/a", time.Hour, true)) }, "", time.Hour},
			{func(x *Index) { x.ApplyLease(info("p/r/b", time.Second, true)) }, "", time.Second},
		}},
		{"a vanished prefix takes its soonest with it", []step{
			{func(x *Index) {
				x.ApplyLease(info("p/q/a", time.Minute, true))
				x.ApplyLease(info("p/r/b", time.Hour, true))
			}, "", time.Minute},
			{func(x *Index) { x.ApplyListing("p/", []string{"p/r/"}, nil, t0) }, "", time.Hour},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := NewIndex()
			for i, st := range tt.steps {
				if st.do != nil {
					st.do(x)
				}
				got := x.Node(st.path).Soonest()
				if (st.want == 0) != got.IsZero() || st.want != 0 && !got.Equal(t0.Add(st.want)) {
					t.Errorf("step %d: Node(%q).Soonest() = %v, want t0%+v", i, st.path, got, st.want)
				}
			}
		})
	}
}

func TestLeaseAccessors(t *testing.T) {
	x := NewIndex()
	x.ApplyLease(LeaseInfo{ID: "db/creds/ro/k1", IssueTime: t0.Add(-time.Hour), ExpireTime: t0.Add(90 * time.Second),
		LastRenewal: t0.Add(-time.Minute), Renewable: true})
	x.ApplyLease(LeaseInfo{ID: "auth/approle/login/h1", IssueTime: t0, Renewable: true})
	l, tok := x.Lease("db/creds/ro/k1"), x.Lease("auth/approle/login/h1")
	checks := []struct {
		name      string
		got, want any
	}{
		{"ID", l.ID(), "db/creds/ro/k1"},
		{"Key", l.Key(), "k1"},
		{"Prefix", l.Prefix(), "db/creds/ro/"},
		{"IssueTime", l.IssueTime().Equal(t0.Add(-time.Hour)), true},
		{"ExpireTime", l.ExpireTime().Equal(t0.Add(90 * time.Second)), true},
		{"LastRenewal", l.LastRenewal().Equal(t0.Add(-time.Minute)), true},
		{"Renewable", l.Renewable(), true},
		{"HasExpiry", l.HasExpiry(), true},
		{"TTL is computed from now", l.TTL(t0.Add(30 * time.Second)), time.Minute},
		{"TTL goes negative", l.TTL(t0.Add(2 * time.Minute)), -30 * time.Second},
		{"IsToken", l.IsToken(), false},
		{"token IsToken", tok.IsToken(), true},
		{"no expiry HasExpiry", tok.HasExpiry(), false},
		{"no expiry ExpireTime is zero", tok.ExpireTime().IsZero(), true},
		{"no expiry TTL is zero", tok.TTL(t0), time.Duration(0)},
		{"never renewed LastRenewal is zero", tok.LastRenewal().IsZero(), true},
		{"Prefix", l.Prefix(), "db/creds/ro/"},
		{"Key", l.Key(), "k1"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestTimesOutsideNanosecondRangeAreClamped(t *testing.T) {
	x := NewIndex()
	far := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	x.ApplyLease(LeaseInfo{ID: "s/far", ExpireTime: far, Renewable: true})
	x.ApplyLease(LeaseInfo{ID: "s/epoch", ExpireTime: time.Unix(0, 0), Renewable: true})
	x.ApplyLease(LeaseInfo{ID: "s/old", IssueTime: time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)})
	if l := x.Lease("s/old"); l.IssueTime().Year() != 1677 {
		t.Errorf("an issue time before 1678 is clamped to the earliest, got %v", l.IssueTime())
	}
	if l := x.Lease("s/far"); !l.HasExpiry() || l.TTL(t0) < 200*365*24*time.Hour {
		t.Errorf("a far expiry must stay far, got %v", l.ExpireTime())
	}
	if l := x.Lease("s/epoch"); !l.HasExpiry() {
		t.Error("an expiry at the unix epoch is still an expiry")
	}
	got := ids(x.Leases("", Query{Recursive: true, ExpiringWithin: time.Duration(1<<63 - 1), Now: t0}))
	if !slices.Equal(got, []string{"s/epoch", "s/far"}) {
		t.Errorf("the longest ExpiringWithin must not overflow: %v", got)
	}
}

// TestManyLeasesInOnePrefix drives one prefix past the sizes where its
// lease set batches inserts and compacts tombstones, the way 100,000 token
// leases under auth/token/create/ would.
func TestManyLeasesInOnePrefix(t *testing.T) {
	const n = 5000
	key := func(i int) string { return fmt.Sprintf("auth/token/create/%05d", (i*7919)%n) } // a shuffled order
	tests := []struct {
		name   string
		listed bool // listed first, or known only from lookups
	}{
		{"known from lookups alone", false},
		{"listed, then looked up", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := NewIndex()
			if tt.listed {
				all := make([]string, n)
				for i := range all {
					all[i] = key(i)
				}
				if fresh, _ := x.ApplyListing("auth/token/create/", nil, all, t0); len(fresh) != n {
					t.Fatalf("%d new", len(fresh))
				}
			}
			for i := range n {
				x.ApplyLease(info(key(i), time.Duration(i+1)*time.Second, true))
			}
			if x.Len() != n || !x.Node("auth/token/create/").Soonest().Equal(t0.Add(time.Second)) {
				t.Fatalf("len %d soonest %v", x.Len(), x.Node("auth/token/create/").Soonest())
			}
			for i := range n {
				if i%10 != 0 {
					x.MarkGone(key(i), t0)
				}
			}
			if got := x.PurgeGone(t0.Add(time.Second)); got != n-n/10 {
				t.Errorf("purged %d", got)
			}
			for i := range n {
				if l := x.Lease(key(i)); (l != nil) != (i%10 == 0) {
					t.Fatalf("Lease(%s) = %v after purge", key(i), l)
				}
			}
			got := x.Leases("auth/token/create/", Query{Sort: ByID, Now: t0})
			if len(got) != n/10 || !slices.IsSortedFunc(got, func(a, b *Lease) int { return strings.Compare(a.ID(), b.ID()) }) {
				t.Errorf("%d leases left, sorted %v", len(got), slices.IsSortedFunc(got, func(a, b *Lease) int { return strings.Compare(a.ID(), b.ID()) }))
			}
			if s := &x.Node("auth/token/create/").leases; s.dead > len(s.sorted)/4+32 || cap(s.sorted) > 4*len(s.sorted)+64 {
				t.Errorf("tombstones not compacted: %d dead of %d (cap %d), %d in map", s.dead, len(s.sorted), cap(s.sorted), len(s.extra))
			}
			x.ApplyLease(info(key(1), time.Hour, true))
			if x.Len() != n/10+1 || x.Lease(key(1)) == nil {
				t.Errorf("a purged lease comes back by lookup: len %d", x.Len())
			}
		})
	}
}

func TestKnownCountsLookedUpLeases(t *testing.T) {
	ro := listing{"database/creds/ro/", nil, []string{"database/creds/ro/a", "database/creds/ro/b"}}
	tests := []struct {
		name  string
		do    func(*Index)
		known map[string]int // path -> Known
	}{
		{"listings alone know no TTL", func(*Index) {},
			map[string]int{"": 0, "database/": 0, "database/creds/ro/": 0, "secret/": 0}},
		{"a lookup is known at every level",
			func(x *Index) { x.ApplyLease(info("database/creds/ro/a", time.Hour, true)) },
			map[string]int{"": 1, "database/": 1, "database/creds/": 1, "database/creds/ro/": 1, "database/creds/rw/": 0}},
		{"a lease that never expires is known too",
			func(x *Index) { x.ApplyLease(info("secret/k", 0, false)) },
			map[string]int{"": 1, "secret/": 1}},
		{"a lookup again (a renewal) counts once",
			func(x *Index) {
				x.ApplyLease(info("database/creds/ro/a", time.Hour, true))
				x.ApplyLease(info("database/creds/ro/a", 2*time.Hour, true))
			},
			map[string]int{"": 1, "database/creds/ro/": 1}},
		{"a lookup without a listing is known",
			func(x *Index) { x.ApplyLease(info("pki/issue/web/x", time.Hour, false)) },
			map[string]int{"": 1, "pki/": 1, "pki/issue/web/": 1}},
		{"a known lease that vanishes from its listing is no longer known",
			func(x *Index) {
				x.ApplyLease(info("database/creds/ro/a", time.Hour, true))
				x.ApplyLease(info("database/creds/ro/b", time.Hour, true))
				x.ApplyListing(ro.prefix, nil, []string{"database/creds/ro/b"}, t0)
			},
			map[string]int{"": 1, "database/": 1, "database/creds/ro/": 1}},
		{"a pending lease that vanishes changes nothing known",
			func(x *Index) {
				x.ApplyLease(info("database/creds/ro/b", time.Hour, true))
				x.MarkGone("database/creds/ro/a", t0)
			},
			map[string]int{"": 1, "database/creds/ro/": 1}},
		{"MarkGone twice is once",
			func(x *Index) {
				x.ApplyLease(info("secret/k", time.Hour, true))
				x.MarkGone("secret/k", t0)
				x.MarkGone("secret/k", t0)
			},
			map[string]int{"": 0, "secret/": 0}},
		{"a vanished lease listed again is pending until looked up",
			func(x *Index) {
				x.ApplyLease(info("database/creds/ro/a", time.Hour, true))
				x.ApplyListing(ro.prefix, nil, []string{"database/creds/ro/b"}, t0)
				x.ApplyListing(ro.prefix, nil, ro.leases, t0)
			},
			map[string]int{"": 0, "database/creds/ro/": 0}},
		{"a re-listed lease is known again once looked up",
			func(x *Index) {
				x.ApplyLease(info("database/creds/ro/a", time.Hour, true))
				x.ApplyListing(ro.prefix, nil, nil, t0)
				x.ApplyListing(ro.prefix, nil, ro.leases, t0)
				x.ApplyLease(info("database/creds/ro/a", time.Hour, true))
			},
			map[string]int{"": 1, "database/creds/ro/": 1}},
		{"a purged lease re-listed is pending, then known",
			func(x *Index) {
				x.ApplyLease(info("database/creds/ro/a", time.Hour, true))
				x.MarkGone("database/creds/ro/a", t0)
				x.PurgeGone(t0.Add(time.Second))
				x.ApplyListing(ro.prefix, nil, ro.leases, t0)
				x.ApplyLease(info("database/creds/ro/b", time.Hour, true))
			},
			map[string]int{"": 1, "database/creds/ro/": 1}},
		{"a gone lease a lookup brings back is known",
			func(x *Index) {
				x.ApplyLease(info("secret/k", time.Hour, true))
				x.MarkGone("secret/k", t0)
				x.ApplyLease(info("secret/k", time.Hour, true))
			},
			map[string]int{"": 1, "secret/": 1}},
		{"a vanished prefix takes its known leases with it",
			func(x *Index) {
				x.ApplyLease(info("database/creds/ro/a", time.Hour, true))
				x.ApplyLease(info("database/creds/rw/c", time.Hour, true))
				x.ApplyLease(info("secret/k", time.Hour, true))
				x.ApplyListing("database/creds/", []string{"database/creds/rw/"}, nil, t0)
			},
			map[string]int{"": 2, "database/": 1, "database/creds/": 1, "database/creds/rw/": 1, "secret/": 1}},
		{"a vanished prefix listed again is pending",
			func(x *Index) {
				x.ApplyLease(info("database/creds/ro/a", time.Hour, true))
				x.ApplyListing("database/creds/", []string{"database/creds/rw/"}, nil, t0)
				x.ApplyListing("database/creds/", []string{"database/creds/ro/", "database/creds/rw/"}, nil, t0)
				x.ApplyListing(ro.prefix, nil, ro.leases, t0)
			},
			map[string]int{"": 0, "database/creds/": 0, "database/creds/ro/": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := build(nested)
			tt.do(x)
			for path, want := range tt.known {
				if n := x.Node(path); n == nil || n.Known() != want {
					t.Errorf("Node(%q).Known() = %v, want %d", path, n, want)
				}
			}
			if x.Known() != x.Root().Known() {
				t.Errorf("Known %d != root %d", x.Known(), x.Root().Known())
			}
			// Brute force: the live, looked-up leases below each node.
			for path, n := range x.nodes {
				want := 0
				for _, l := range x.Leases(path, Query{Recursive: true}) {
					if !l.Pending() && !l.Gone() {
						want++
					}
				}
				if n.Known() != want || n.Known() > n.Count() {
					t.Errorf("Node(%q): Known %d, Count %d; %d leases looked up", path, n.Known(), n.Count(), want)
				}
			}
		})
	}
}

func TestFormatCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 412000: "412,000",
		1000000: "1,000,000", -1234567: "-1,234,567"} {
		if got := FormatCount(n); got != want {
			t.Errorf("FormatCount(%d) = %q, want %q", n, got, want)
		}
	}
}
