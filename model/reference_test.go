package model

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/leaseid"
)

// ref is a deliberately naive model of the index: a map of leases by full
// id and a set of known prefixes, every answer recomputed by brute force.
// TestIndexMatchesReference drives both with random operations and
// compares, which checks the incremental counts, the cached soonest
// expiries, the sorted slices, tombstones and batched inserts together.
type ref struct {
	nodes  map[string]bool
	leases map[string]*refLease
}

type refLease struct {
	pending, gone, renewable bool
	issue, expire, renewed   int64
	goneAt                   int64
}

func newRef() *ref { return &ref{nodes: map[string]bool{"": true}, leases: map[string]*refLease{}} }

func (r *ref) ensure(p string) {
	for ; !r.nodes[p]; p = leaseid.Parent(p) {
		r.nodes[p] = true
	}
}

func (r *ref) listing(prefix string, children, leases []string, now int64) (newIDs, gone []string) {
	r.ensure(prefix)
	for p := range r.nodes {
		if p != "" && p != prefix && leaseid.Parent(p) == prefix && !slices.Contains(children, p) {
			for q := range r.nodes {
				if strings.HasPrefix(q, p) {
					delete(r.nodes, q)
				}
			}
			for id, l := range r.leases {
				if strings.HasPrefix(id, p) {
					if !l.gone {
						gone = append(gone, id)
					}
					delete(r.leases, id)
				}
			}
		}
	}
	for _, c := range children {
		r.nodes[c] = true
	}
	for _, id := range leases {
		l := r.leases[id]
		if l == nil || l.gone {
			r.leases[id] = &refLease{pending: true}
			newIDs = append(newIDs, id)
		}
	}
	for id, l := range r.leases {
		if leaseid.Prefix(id) == prefix && !l.gone && !slices.Contains(leases, id) {
			l.gone, l.pending, l.goneAt = true, false, now
			gone = append(gone, id)
		}
	}
	return newIDs, gone
}

func (r *ref) lease(li LeaseInfo) {
	r.ensure(leaseid.Prefix(li.ID))
	r.leases[li.ID] = &refLease{renewable: li.Renewable, issue: toNanos(li.IssueTime),
		expire: toNanos(li.ExpireTime), renewed: toNanos(li.LastRenewal)}
}

func (r *ref) markGone(id string, at int64) {
	if l := r.leases[id]; l != nil && !l.gone {
		l.gone, l.pending, l.goneAt = true, false, at
	}
}

func (r *ref) purge(cut int64) (n int) {
	for id, l := range r.leases {
		if l.gone && l.goneAt < cut {
			delete(r.leases, id)
			n++
		}
	}
	return n
}

func (r *ref) query(path string, q Query) []string {
	var out []string
	for id, l := range r.leases {
		if !strings.HasPrefix(id, path) || !q.Recursive && leaseid.Prefix(id) != path {
			continue
		}
		if q.Filter != "" && !strings.Contains(strings.ToLower(id), strings.ToLower(q.Filter)) {
			continue
		}
		if q.ExpiringWithin > 0 && (l.expire == 0 || l.expire > toNanos(q.Now.Add(q.ExpiringWithin))) {
			continue
		}
		if q.RenewableOnly && (!l.renewable || l.pending || strings.HasPrefix(id, "auth/")) {
			continue
		}
		out = append(out, id)
	}
	key := func(id string) (rank int, k int64) {
		l := r.leases[id]
		v := map[SortKey]int64{BySoonestExpiry: l.expire, ByIssueTime: -l.issue, ByLastRenewal: -l.renewed}[q.Sort]
		switch {
		case q.Sort == ByID:
			return 0, 0
		case l.pending:
			return 2, 0
		case v == 0:
			return 1, 0
		}
		return 0, v
	}
	slices.SortFunc(out, func(a, b string) int {
		ra, ka := key(a)
		rb, kb := key(b)
		return cmp.Or(cmp.Compare(ra, rb), cmp.Compare(ka, kb), strings.Compare(a, b))
	})
	return out
}

func TestIndexMatchesReference(t *testing.T) {
	prefixes := []string{"", "a/", "a/b/", "a/c/", "a/b/d/", "auth/", "auth/t/", "z/"}
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		// Some seeds use many keys, to push lease sets past the sizes
		// where they switch to batched inserts and compact tombstones.
		nkeys := 6
		if seed%4 == 0 {
			nkeys = 1500
		}
		key := func() string { return fmt.Sprintf("K%04d", rng.IntN(nkeys)) }
		at := func() time.Time { return t0.Add(time.Duration(rng.IntN(20)-5) * time.Minute) }
		x, r := NewIndex(), newRef()
		now := t0
		for step := range 400 {
			now = now.Add(time.Duration(rng.IntN(3)) * time.Second)
			op := ""
			switch rng.IntN(10) {
			case 0, 1, 2:
				p := prefixes[rng.IntN(len(prefixes))]
				var children, leases []string
				for _, c := range prefixes {
					if c != "" && leaseid.Parent(c) == p && rng.IntN(5) > 0 {
						children = append(children, c)
					}
				}
				for range rng.IntN(min(nkeys, 300) + 1) {
					leases = append(leases, p+key())
				}
				if rng.IntN(4) == 0 {
					leases = append(leases, p+"x/y", "elsewhere/q") // not directly under p: ignored
				}
				rng.Shuffle(len(leases), func(i, j int) { leases[i], leases[j] = leases[j], leases[i] })
				op = fmt.Sprintf("ApplyListing(%q, %d children, %d leases)", p, len(children), len(leases))
				gotNew, gotGone := x.ApplyListing(p, children, leases, now)
				var clean []string
				for _, id := range leases {
					if leaseid.Prefix(id) == p && !slices.Contains(clean, id) {
						clean = append(clean, id)
					}
				}
				wantNew, wantGone := r.listing(p, children, clean, toNanos(now))
				sameSet(t, op+" new", gotNew, wantNew)
				sameSet(t, op+" gone", gotGone, wantGone)
			case 3, 4, 5:
				li := LeaseInfo{ID: prefixes[1+rng.IntN(len(prefixes)-1)] + key(), IssueTime: at(), Renewable: rng.IntN(2) == 0}
				if rng.IntN(4) > 0 {
					li.ExpireTime = at()
				}
				if rng.IntN(2) == 0 {
					li.LastRenewal = at()
				}
				op = "ApplyLease(" + li.ID + ")"
				x.ApplyLease(li)
				r.lease(li)
			case 6, 7:
				id := prefixes[rng.IntN(len(prefixes))] + key()
				op = "MarkGone(" + id + ")"
				x.MarkGone(id, now)
				r.markGone(id, toNanos(now))
			case 8:
				cut := now.Add(-time.Duration(rng.IntN(10)) * time.Second)
				op = "PurgeGone"
				if got, want := x.PurgeGone(cut), r.purge(toNanos(cut)); got != want {
					t.Fatalf("seed %d step %d %s: purged %d, want %d", seed, step, op, got, want)
				}
			case 9:
				op = "query only"
			}
			if nkeys < 100 || step%20 == 0 || step == 399 {
				compare(t, fmt.Sprintf("seed %d step %d %s", seed, step, op), x, r, rng, now)
			}
			if t.Failed() {
				return
			}
		}
	}
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	got, want = slices.Clone(got), slices.Clone(want)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func compare(t *testing.T, where string, x *Index, r *ref, rng *rand.Rand, now time.Time) {
	t.Helper()
	if len(x.nodes) != len(r.nodes) {
		t.Errorf("%s: %d nodes, want %d", where, len(x.nodes), len(r.nodes))
	}
	for p := range r.nodes {
		n := x.Node(p)
		if n == nil {
			t.Errorf("%s: no node %q", where, p)
			continue
		}
		count, direct, known, soonest := 0, 0, 0, int64(0)
		for id, l := range r.leases {
			if l.gone || !strings.HasPrefix(id, p) {
				continue
			}
			count++
			if !l.pending {
				known++
			}
			if leaseid.Prefix(id) == p {
				direct++
			}
			if l.expire != 0 && (soonest == 0 || l.expire < soonest) {
				soonest = l.expire
			}
		}
		if n.Count() != count || n.Direct() != direct || n.Known() != known || toNanos(n.Soonest()) != soonest {
			t.Errorf("%s: node %q count %d direct %d known %d soonest %v; want %d %d %d %v",
				where, p, n.Count(), n.Direct(), n.Known(), n.Soonest(), count, direct, known, fromNanos(soonest))
		}
	}
	for id, rl := range r.leases {
		l := x.Lease(id)
		if l == nil || l.Pending() != rl.pending || l.Gone() != rl.gone || toNanos(l.ExpireTime()) != rl.expire {
			t.Errorf("%s: Lease(%q) = %+v, want %+v", where, id, l, rl)
		}
	}
	q := Query{
		Recursive: rng.IntN(3) > 0,
		Sort:      SortKey(rng.IntN(4)),
		Now:       now,
	}
	switch rng.IntN(4) {
	case 0:
		q.Filter = []string{"k00", "B/K", "AUTH", "/"}[rng.IntN(4)]
	case 1:
		q.ExpiringWithin = time.Duration(rng.IntN(10)) * time.Minute
	case 2:
		q.RenewableOnly = true
	}
	path := []string{"", "a/", "a/b/", "auth/"}[rng.IntN(4)]
	if !r.nodes[path] {
		return
	}
	if got, want := ids(x.Leases(path, q)), r.query(path, q); !slices.Equal(got, want) && len(got)+len(want) > 0 {
		t.Errorf("%s: Leases(%q, %+v)\n got %v\nwant %v", where, path, q, got, want)
	}
}
