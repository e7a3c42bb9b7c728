package model

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

// leaseIDs100k returns the listings of a crawl of 100,000 leases: 50
// roles under database/creds/ with 2,000 leases each, keyed like Vault
// (24 random letters and digits), each listing sorted as Vault sorts it.
func leaseIDs100k() (roles []string, ids [][]string) {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 50 {
		role := fmt.Sprintf("database/creds/role-%02d/", i)
		roles = append(roles, role)
		keys := make([]string, 2000)
		for j := range keys {
			b := make([]byte, 24)
			for k := range b {
				b[k] = alphabet[rng.IntN(len(alphabet))]
			}
			keys[j] = role + string(b)
		}
		slices.Sort(keys)
		ids = append(ids, keys)
	}
	return roles, ids
}

// build100k crawls the fixture into a new index as the UI does: each
// listing, then a lookup of every lease it returned.
func build100k(roles []string, ids [][]string) *Index {
	x := NewIndex()
	x.ApplyListing("", []string{"database/"}, nil, t0)
	x.ApplyListing("database/", []string{"database/creds/"}, nil, t0)
	x.ApplyListing("database/creds/", roles, nil, t0)
	for i, role := range roles {
		fresh, _ := x.ApplyListing(role, nil, ids[i], t0)
		for j, id := range fresh {
			x.ApplyLease(LeaseInfo{ID: id, IssueTime: t0.Add(-time.Hour), ExpireTime: t0.Add(time.Duration(j%7200) * time.Second),
				Renewable: true, TTL: time.Duration(j%7200) * time.Second})
		}
	}
	return x
}

// BenchmarkIndex100k builds the 100,000-lease index and reports the heap
// it keeps per lease (B/lease): the heap after the build minus the heap
// before it, both with the fixture's listings alive, so they cancel out
// (the index copies the keys it keeps, so it shares nothing with them).
func BenchmarkIndex100k(b *testing.B) {
	roles, ids := leaseIDs100k()
	for b.Loop() {
		b.StopTimer()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		x := build100k(roles, ids)
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		if x.Len() != 100000 {
			b.Fatalf("%d leases", x.Len())
		}
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(x.Len()), "B/lease")
		runtime.KeepAlive(x)
		b.StartTimer()
	}
	runtime.KeepAlive(ids)
}

// BenchmarkLeasesSorted100k is the table query over everything, soonest
// expiry first: what the UI runs when data or the query change.
func BenchmarkLeasesSorted100k(b *testing.B) {
	x := build100k(leaseIDs100k())
	for b.Loop() {
		if n := len(x.Leases("", Query{Recursive: true, Now: t0})); n != 100000 {
			b.Fatal(n)
		}
	}
}

// BenchmarkLeasesFiltered100k is the same with a typed id filter.
func BenchmarkLeasesFiltered100k(b *testing.B) {
	x := build100k(leaseIDs100k())
	for b.Loop() {
		x.Leases("", Query{Recursive: true, Filter: "ROLE-07/a", Now: t0})
	}
}

// BenchmarkRelist100k is a steady-state poll: every listing again, no
// changes, so no lookups and no allocations.
func BenchmarkRelist100k(b *testing.B) {
	roles, ids := leaseIDs100k()
	x := build100k(roles, ids)
	b.ReportAllocs()
	for b.Loop() {
		x.ApplyListing("database/creds/", roles, nil, t0)
		for i, role := range roles {
			if fresh, gone := x.ApplyListing(role, nil, ids[i], t0); len(fresh)+len(gone) != 0 {
				b.Fatal("a steady-state poll changed something")
			}
		}
	}
}

// BenchmarkTick is what the UI does every second over a settled 100,000
// lease index: purge check, total, the soonest expiry of every role.
func BenchmarkTick(b *testing.B) {
	roles, ids := leaseIDs100k()
	x := build100k(roles, ids)
	b.ReportAllocs()
	for b.Loop() {
		x.PurgeGone(t0)
		_ = x.Len()
		for _, c := range x.Node("database/creds/").Children() {
			_ = c.Soonest()
		}
	}
}
