package model

import (
	"slices"
	"testing"
	"time"
)

// sample has one lease of each kind: expired, soon, later, never expiring,
// renewed, a token lease, not renewable ones (one with a non-ASCII id), one
// in a sub-prefix, and one pending lookup.
func sample() *Index {
	x := build([]listing{{"", []string{"auth/", "db/"}, nil}, {"db/", nil, []string{"db/pend"}}},
		info("db/expired", -time.Minute, false),
		info("db/Soon", 2*time.Minute, true),
		info("db/later", 3*time.Hour, true),
		info("db/never", 0, true),
		info("db/sub/fixed", 30*time.Minute, false),
		info("db/ünï", 0, false),
		info("auth/tok/h1", 20*time.Minute, true),
		LeaseInfo{ID: "db/renewed", IssueTime: t0.Add(-30 * time.Minute), ExpireTime: t0.Add(time.Hour), LastRenewal: t0.Add(-time.Minute), Renewable: true},
	)
	return x
}

func TestLeasesSortOrders(t *testing.T) {
	tests := []struct {
		name string
		key  SortKey
		want []string
	}{
		{"soonest expiry: expired first, never after, pending last", BySoonestExpiry,
			[]string{"db/expired", "db/Soon", "auth/tok/h1", "db/sub/fixed", "db/renewed", "db/later", "db/never", "db/ünï", "db/pend"}},
		{"id: alphabetical by full id, across prefixes", ByID,
			[]string{"auth/tok/h1", "db/Soon", "db/expired", "db/later", "db/never", "db/pend", "db/renewed", "db/sub/fixed", "db/ünï"}},
		{"issue time: newest first, ties by id, pending last", ByIssueTime,
			[]string{"db/renewed", "auth/tok/h1", "db/Soon", "db/expired", "db/later", "db/never", "db/sub/fixed", "db/ünï", "db/pend"}},
		{"last renewal: latest first, never renewed by id, pending last", ByLastRenewal,
			[]string{"db/renewed", "auth/tok/h1", "db/Soon", "db/expired", "db/later", "db/never", "db/sub/fixed", "db/ünï", "db/pend"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(sample().Leases("", Query{Recursive: true, Sort: tt.key, Now: t0}))
			if !slices.Equal(got, tt.want) {
				t.Errorf("\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestLeasesFilters(t *testing.T) {
	tests := []struct {
		name string
		path string
		q    Query
		want []string
	}{
		{"direct only by default", "db/", Query{Sort: ByID},
			[]string{"db/Soon", "db/expired", "db/later", "db/never", "db/pend", "db/renewed", "db/ünï"}},
		{"root has no direct leases", "", Query{}, []string{}},
		{"unknown path", "nope/", Query{}, []string{}},
		{"recursive below a prefix", "db/", Query{Recursive: true, Filter: "sub"}, []string{"db/sub/fixed"}},
		{"substring ignores case", "", Query{Recursive: true, Filter: "sOoN", Sort: ByID}, []string{"db/Soon"}},
		{"substring spanning prefix and key", "", Query{Recursive: true, Filter: "B/SUB/F"}, []string{"db/sub/fixed"}},
		{"substring in the prefix keeps all its leases", "", Query{Recursive: true, Filter: "AUTH/"}, []string{"auth/tok/h1"}},
		{"substring that matches nothing", "", Query{Recursive: true, Filter: "zzz"}, []string{}},
		{"substring ignores case beyond ASCII", "", Query{Recursive: true, Filter: "b/ÜN"}, []string{"db/ünï"}},
		{"expiring within includes expired, excludes never and pending", "",
			Query{Recursive: true, ExpiringWithin: time.Hour},
			[]string{"db/expired", "db/Soon", "auth/tok/h1", "db/sub/fixed", "db/renewed"}},
		{"expiring within is inclusive and counts from Now", "",
			Query{Recursive: true, ExpiringWithin: time.Minute, Now: t0.Add(time.Minute)},
			[]string{"db/expired", "db/Soon"}},
		{"renewable only excludes tokens, not renewable and pending", "",
			Query{Recursive: true, RenewableOnly: true},
			[]string{"db/Soon", "db/renewed", "db/later", "db/never"}},
		{"conditions combine", "",
			Query{Recursive: true, RenewableOnly: true, ExpiringWithin: time.Hour, Filter: "RE"},
			[]string{"db/renewed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			if q.Now.IsZero() {
				q.Now = t0
			}
			if got := ids(sample().Leases(tt.path, q)); !slices.Equal(got, tt.want) {
				t.Errorf("\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestLeasesIncludeGoneUntilPurged(t *testing.T) {
	x := sample()
	x.MarkGone("db/later", t0)
	got := x.Leases("db/", Query{Filter: "later", Now: t0})
	if len(got) != 1 || !got[0].Gone() {
		t.Fatalf("a gone lease still shows, flagged: %v", ids(got))
	}
	x.PurgeGone(t0.Add(time.Second))
	if got := x.Leases("db/", Query{Filter: "later", Now: t0}); len(got) != 0 {
		t.Errorf("a purged lease no longer shows: %v", ids(got))
	}
}

func TestLeasesWithZeroNowUsesTheClock(t *testing.T) {
	x := NewIndex()
	x.ApplyLease(LeaseInfo{ID: "s/a", ExpireTime: time.Now().Add(time.Minute)})
	x.ApplyLease(LeaseInfo{ID: "s/b", ExpireTime: time.Now().Add(time.Hour)})
	if got := ids(x.Leases("s/", Query{ExpiringWithin: 10 * time.Minute})); !slices.Equal(got, []string{"s/a"}) {
		t.Errorf("got %v", got)
	}
}

func TestChildrenOrders(t *testing.T) {
	x := build([]listing{
		{"", []string{"c/", "a/", "b/", "d/"}, nil},
		{"a/", nil, []string{"a/1"}},
		{"b/", []string{"b/x/"}, []string{"b/1"}},
		{"b/x/", nil, []string{"b/x/1", "b/x/2"}},
		{"c/", nil, []string{"c/1", "c/2", "c/3"}},
	})
	tests := []struct {
		name string
		path string
		by   ChildSort
		want []string
	}{
		{"by name", "", ByName, []string{"a/", "b/", "c/", "d/"}},
		{"by rolled-up count, ties by name", "", ByCount, []string{"b/", "c/", "a/", "d/"}},
		{"a leaf has none", "a/", ByName, []string{}},
		{"an unknown path has none", "z/", ByCount, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(x.Children(tt.path, tt.by)); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCompareJoined(t *testing.T) {
	tests := []struct {
		a1, a2, b1, b2 string
	}{
		{"a/", "z", "a/b/", "c"},
		{"a/", "b", "a/", "b"},
		{"", "x", "x", ""},
		{"ab", "", "a", "b"},
		{"a/", "bc", "a/b", "c"},
		{"a/", "", "a/", "x"},
		{"b", "", "a", "zzz"},
	}
	sign := func(i int) int { return min(max(i, -1), 1) }
	for _, tt := range tests {
		want := sign(compareStrings(tt.a1+tt.a2, tt.b1+tt.b2))
		if got := sign(compareJoined(tt.a1, tt.a2, tt.b1, tt.b2)); got != want {
			t.Errorf("compareJoined(%q+%q, %q+%q) = %d, want %d", tt.a1, tt.a2, tt.b1, tt.b2, got, want)
		}
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestEachVisitsEveryLiveLeaseOnce(t *testing.T) {
	x := NewIndex()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	x.ApplyListing("", []string{"a/", "b/"}, nil, now)
	x.ApplyListing("a/", []string{"a/x/"}, []string{"a/1", "a/2"}, now)
	x.ApplyListing("a/x/", nil, []string{"a/x/3"}, now)
	x.ApplyListing("b/", nil, []string{"b/4"}, now)
	x.MarkGone("a/2", now)
	for _, tt := range []struct {
		path string
		want []string
	}{
		{"", []string{"a/1", "a/x/3", "b/4"}},
		{"a/", []string{"a/1", "a/x/3"}},
		{"a/x/", []string{"a/x/3"}},
		{"nope/", nil},
	} {
		var got []string
		x.Each(tt.path, func(l *Lease) { got = append(got, l.ID()) })
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Each(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}
