package model

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func info(id string, ttl time.Duration, renewable bool) LeaseInfo {
	li := LeaseInfo{ID: id, IssueTime: t0.Add(-time.Hour), Renewable: renewable}
	if ttl != 0 {
		li.ExpireTime = t0.Add(ttl)
	}
	return li
}

func ids(ls []*Lease) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.ID()
	}
	return out
}

func TestCountsRollUpAndFillInBeforeLookups(t *testing.T) {
	x := NewIndex()
	x.ApplyListing("", []string{"database/", "secret/"}, nil, t0)
	x.ApplyListing("database/", []string{"database/creds/"}, nil, t0)
	x.ApplyListing("database/creds/", []string{"database/creds/ro/", "database/creds/rw/"}, nil, t0)
	newIDs, _ := x.ApplyListing("database/creds/ro/", nil, []string{"database/creds/ro/a", "database/creds/ro/b"}, t0)
	x.ApplyListing("database/creds/rw/", nil, []string{"database/creds/rw/c"}, t0)
	x.ApplyListing("secret/", nil, []string{"secret/k"}, t0)

	if len(newIDs) != 2 {
		t.Errorf("new ids %v", newIDs)
	}
	for path, want := range map[string]int{"": 4, "database/": 3, "database/creds/": 3, "database/creds/ro/": 2, "secret/": 1} {
		if got := x.Node(path).Count(); got != want {
			t.Errorf("Count(%q) = %d, want %d", path, got, want)
		}
	}
	if !x.Lease("database/creds/ro/a").Pending() {
		t.Error("a listed lease is pending until looked up")
	}
	x.ApplyLease(info("database/creds/ro/a", time.Hour, true))
	if x.Lease("database/creds/ro/a").Pending() || x.Len() != 4 {
		t.Error("a lookup fills the lease in without changing the count")
	}
}

func TestRelistingTheSameDataNeedsNoLookups(t *testing.T) {
	x := NewIndex()
	x.ApplyListing("", []string{"secret/"}, nil, t0)
	x.ApplyListing("secret/", nil, []string{"secret/a", "secret/b"}, t0)
	newIDs, gone := x.ApplyListing("secret/", nil, []string{"secret/a", "secret/b"}, t0)
	if len(newIDs)+len(gone) != 0 {
		t.Errorf("steady state: new %v, gone %v", newIDs, gone)
	}
	newIDs, gone = x.ApplyListing("secret/", nil, []string{"secret/b", "secret/c"}, t0)
	if !slices.Equal(newIDs, []string{"secret/c"}) || !slices.Equal(gone, []string{"secret/a"}) {
		t.Errorf("change: new %v, gone %v", newIDs, gone)
	}
	if x.Len() != 2 || !x.Lease("secret/a").Gone() {
		t.Errorf("a vanished lease stops counting and is flagged: len %d", x.Len())
	}
	if n := x.PurgeGone(t0.Add(time.Second)); n != 1 || x.Lease("secret/a") != nil {
		t.Errorf("purge dropped %d", n)
	}
}

func TestVanishedPrefixDropsItsSubtree(t *testing.T) {
	x := NewIndex()
	x.ApplyListing("", []string{"a/", "b/"}, nil, t0)
	x.ApplyListing("a/", []string{"a/x/"}, nil, t0)
	x.ApplyListing("a/x/", nil, []string{"a/x/1", "a/x/2"}, t0)
	x.ApplyListing("b/", nil, []string{"b/3"}, t0)
	_, gone := x.ApplyListing("", []string{"b/"}, nil, t0)
	slices.Sort(gone)
	if !slices.Equal(gone, []string{"a/x/1", "a/x/2"}) || x.Node("a/") != nil || x.Node("a/x/") != nil || x.Len() != 1 {
		t.Errorf("gone %v, len %d", gone, x.Len())
	}
}

func TestMarkGoneAndLeaseComingBack(t *testing.T) {
	x := NewIndex()
	x.ApplyLease(info("s/a", time.Hour, true))
	x.MarkGone("s/a", t0)
	x.MarkGone("s/a", t0) // twice is once
	if x.Len() != 0 || x.Node("s/").Count() != 0 {
		t.Errorf("len %d", x.Len())
	}
	x.ApplyLease(info("s/a", time.Hour, true))
	if x.Len() != 1 || x.Lease("s/a").Gone() {
		t.Error("a lookup that finds the lease again revives it")
	}
	if n := x.PurgeGone(t0.Add(time.Hour)); n != 0 || x.Lease("s/a") == nil {
		t.Error("a revived lease must not be purged")
	}
}

func TestSoonestIsRolledUpAndIgnoresGoneAndPending(t *testing.T) {
	x := NewIndex()
	x.ApplyListing("p/", nil, []string{"p/pending"}, t0)
	x.ApplyLease(info("p/q/a", 2*time.Hour, true))
	x.ApplyLease(info("p/q/b", 10*time.Minute, true))
	x.ApplyLease(info("p/r/c", 0, true))
	if got := x.Node("p/").Soonest(); !got.Equal(t0.Add(10 * time.Minute)) {
		t.Errorf("soonest %v", got)
	}
	x.MarkGone("p/q/b", t0)
	if got := x.Node("").Soonest(); !got.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("after b is gone, soonest %v", got)
	}
	if !x.Node("p/r/").Soonest().IsZero() {
		t.Error("no expiry below means zero")
	}
}

func TestChildrenByNameAndByCount(t *testing.T) {
	x := NewIndex()
	x.ApplyListing("", []string{"a/", "b/", "c/"}, nil, t0)
	x.ApplyListing("a/", nil, []string{"a/1"}, t0)
	x.ApplyListing("b/", nil, []string{"b/1", "b/2", "b/3"}, t0)
	x.ApplyListing("c/", nil, []string{"c/1", "c/2", "c/3"}, t0)
	name := func(ns []*Node) (out []string) {
		for _, n := range ns {
			out = append(out, n.Name())
		}
		return out
	}
	if got := name(x.Children("", ByName)); !slices.Equal(got, []string{"a/", "b/", "c/"}) {
		t.Errorf("by name %v", got)
	}
	if got := name(x.Children("", ByCount)); !slices.Equal(got, []string{"b/", "c/", "a/"}) {
		t.Errorf("by count %v (ties by name)", got)
	}
}

func sample() *Index {
	x := NewIndex()
	x.ApplyListing("", []string{"auth/", "db/"}, nil, t0)
	x.ApplyListing("db/", nil, []string{"db/pend"}, t0)
	for _, li := range []LeaseInfo{
		info("db/expired", -time.Minute, false),
		info("db/soon", 2*time.Minute, true),
		info("db/later", 3*time.Hour, true),
		info("db/never", 0, true),
		info("auth/tok/h1", 20*time.Minute, true),
	} {
		x.ApplyLease(li)
	}
	x.ApplyLease(LeaseInfo{ID: "db/renewed", IssueTime: t0.Add(-30 * time.Minute), ExpireTime: t0.Add(time.Hour), LastRenewal: t0.Add(-time.Minute), Renewable: true})
	return x
}

func TestLeasesSortOrders(t *testing.T) {
	x := sample()
	tests := []struct {
		key  SortKey
		want []string
	}{
		{BySoonestExpiry, []string{"db/expired", "db/soon", "auth/tok/h1", "db/renewed", "db/later", "db/never", "db/pend"}},
		{ByID, []string{"auth/tok/h1", "db/expired", "db/later", "db/never", "db/pend", "db/renewed", "db/soon"}},
		{ByIssueTime, []string{"db/renewed", "auth/tok/h1", "db/expired", "db/later", "db/never", "db/soon", "db/pend"}},
		{ByLastRenewal, []string{"db/renewed", "auth/tok/h1", "db/expired", "db/later", "db/never", "db/soon", "db/pend"}},
	}
	for _, tt := range tests {
		got := ids(x.Leases("", Query{Recursive: true, Sort: tt.key, Now: t0}))
		if !slices.Equal(got, tt.want) {
			t.Errorf("sort %d:\n got %v\nwant %v", tt.key, got, tt.want)
		}
	}
}

func TestLeasesFilters(t *testing.T) {
	x := sample()
	tests := []struct {
		name string
		q    Query
		want []string
	}{
		{"direct only", Query{Now: t0}, nil},
		{"substring, any case", Query{Recursive: true, Filter: "SOON", Now: t0}, []string{"db/soon"}},
		{"expiring within 1h includes expired", Query{Recursive: true, ExpiringWithin: time.Hour, Now: t0}, []string{"db/expired", "db/soon", "auth/tok/h1", "db/renewed"}},
		{"renewable only excludes token and pending", Query{Recursive: true, RenewableOnly: true, Now: t0}, []string{"db/soon", "db/renewed", "db/later", "db/never"}},
	}
	for _, tt := range tests {
		got := ids(x.Leases("", tt.q))
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFormatTTL(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second:                   "expired",
		0:                              "expired",
		45 * time.Second:               "45s",
		3*time.Minute + 12*time.Second: "3m12s",
		time.Hour + 4*time.Minute:      "1h04m",
		51*time.Hour + 30*time.Minute:  "2d03h",
	} {
		if got := FormatTTL(d); got != want {
			t.Errorf("FormatTTL(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"30m", 30 * time.Minute, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"2d", 48 * time.Hour, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"3600", time.Hour, ""},
		{" 1h ", time.Hour, ""},
		{"banana", 0, "is not a duration"},
		{"-5m", 0, "negative"},
		{"", 0, "no duration"},
		{"1d-2h", 0, "is not a duration"},
		{"d", 0, "is not a duration"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseDuration(%q) error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30m", "1d12h", "3600", "banana", "-5m", "9999999999999d", "1.5h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v: negative", s, d)
		}
		back, err := ParseDuration(FormatDuration(d))
		if err != nil || back != d.Round(time.Second) && d >= time.Second {
			t.Fatalf("round trip of %q: %v -> %q -> %v, %v", s, d, FormatDuration(d), back, err)
		}
	})
}

func TestUrgency(t *testing.T) {
	th := DefaultThresholds()
	tests := []struct {
		ttl    time.Duration
		expiry bool
		want   Level
	}{
		{0, false, LevelNoExpiry},
		{-time.Second, true, LevelExpired},
		{4 * time.Minute, true, LevelCritical},
		{59 * time.Minute, true, LevelWarning},
		{2 * time.Hour, true, LevelOK},
	}
	for _, tt := range tests {
		if got := Urgency(tt.ttl, tt.expiry, th); got != tt.want {
			t.Errorf("Urgency(%v, %v) = %v, want %v", tt.ttl, tt.expiry, got, tt.want)
		}
	}
}

func TestRenewBlockReason(t *testing.T) {
	x := sample()
	x.ApplyLease(info("pki/issue/web/x", time.Hour, false))
	x.ApplyListing("db/", nil, []string{"db/pend", "db/soon", "db/later", "db/never", "db/expired", "db/renewed", "db/new"}, t0)
	x.MarkGone("db/later", t0)
	tests := map[string]string{
		"db/soon":         "",
		"auth/tok/h1":     "token leases renew through auth/token/renew",
		"db/never":        "no expiry",
		"db/expired":      "expired and waits for revocation",
		"pki/issue/web/x": "issued this lease as not renewable",
		"db/new":          "not been looked up",
		"db/later":        "gone",
	}
	for id, want := range tests {
		got := RenewBlockReason(x.Lease(id), t0)
		if want == "" && got != "" || !strings.Contains(got, want) {
			t.Errorf("RenewBlockReason(%s) = %q, want %q", id, got, want)
		}
	}
}

// build100k makes 100,000 leases across 50 prefixes, as a crawl would.
func build100k() *Index {
	x := NewIndex()
	var roots []string
	for i := range 50 {
		roots = append(roots, fmt.Sprintf("database/creds/role-%02d/", i))
	}
	x.ApplyListing("database/creds/", roots, nil, t0)
	for i, r := range roots {
		idsHere := make([]string, 2000)
		for j := range idsHere {
			idsHere[j] = fmt.Sprintf("%s%024d", r, i*2000+j)
		}
		x.ApplyListing(r, nil, idsHere, t0)
		for j, id := range idsHere {
			x.ApplyLease(info(id, time.Duration(j)*time.Second+time.Minute, true))
		}
	}
	return x
}

func BenchmarkIndex100k(b *testing.B) {
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		x := build100k()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(x.Len()), "B/lease")
		runtime.KeepAlive(x)
	}
}

func BenchmarkLeasesSorted100k(b *testing.B) {
	x := build100k()
	b.ResetTimer()
	for b.Loop() {
		if n := len(x.Leases("", Query{Recursive: true, Now: t0})); n != 100000 {
			b.Fatal(n)
		}
	}
}
