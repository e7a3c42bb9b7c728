package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// gatherTree is an index with prefixes big enough to be read across steps
// (over directInsertMax leases), small ones, nesting, leases that came by
// lookup alone (the set's map), and pending ones.
func gatherTree(rng *rand.Rand) *Index {
	x := NewIndex()
	x.ApplyListing("", []string{"a/", "b/", "c/"}, nil, t0)
	// In a fixed order (the rng's draws follow it), each listing with its
	// children: a listing without them would drop them.
	for _, p := range []struct {
		path     string
		children []string
		n        int
	}{{"a/", []string{"a/x/"}, 3}, {"a/x/", nil, 1500}, {"b/", nil, 40}, {"c/", nil, 700}} {
		var ls []string
		for i := range p.n {
			ls = append(ls, fmt.Sprintf("%sK%05d", p.path, i))
		}
		x.ApplyListing(p.path, p.children, ls, t0)
		for _, id := range ls {
			if rng.IntN(5) > 0 { // a fifth stay pending
				x.ApplyLease(info(id, time.Duration(rng.IntN(7200))*time.Second, rng.IntN(2) == 0))
			}
		}
	}
	for i := range 200 { // by lookup alone: into the big set's map
		x.ApplyLease(info(fmt.Sprintf("a/x/L%04d", i), time.Duration(rng.IntN(7200))*time.Second, true))
	}
	return x
}

// TestGatherInStepsMatchesCollect: gathering in steps of any size gives
// what one Collect gives, for every sort and with a filter or a window.
func TestGatherInStepsMatchesCollect(t *testing.T) {
	x := gatherTree(rand.New(rand.NewPCG(1, 2)))
	queries := []Query{
		{Recursive: true, Sort: BySoonestExpiry, Now: t0},
		{Recursive: true, Sort: ByID, Now: t0},
		{Recursive: true, Sort: ByIssueTime, Now: t0},
		{Recursive: true, Sort: ByLastRenewal, Now: t0},
		{Recursive: true, Sort: ByID, Filter: "k01", Now: t0},
		{Recursive: true, ExpiringWithin: time.Hour, Now: t0},
		{Sort: ByID, Now: t0},
	}
	for _, q := range queries {
		for _, path := range []string{"", "a/", "a/x/", "c/"} {
			want := ids(x.Leases(path, q))
			for _, budget := range []int{1, 7, 100, 600, 5000} {
				g := x.Gather(path, q)
				steps := 0
				for !g.Step(budget) {
					steps++
				}
				if got := ids(g.Sort()); !slices.Equal(got, want) {
					t.Errorf("%q %+v in steps of %d: %d rows, want %d (first differences: %v)", path, q, budget, len(got), len(want), firstDiff(got, want))
				}
				if budget == 1 && path == "" && q.Recursive && q.Filter == "" && steps < 1000 {
					t.Errorf("steps of 1 over the whole tree took %d steps: the budget is not honoured", steps)
				}
			}
		}
	}
}

// TestGatherSurvivesChangesBetweenSteps: the index changing between steps
// (new leases, lookups, vanished and purged ones, which compact a set)
// costs staleness only: no lease twice, ids still in order, and every
// lease that stayed untouched throughout is there.
func TestGatherSurvivesChangesBetweenSteps(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 9))
		x := gatherTree(rng)
		before := map[string]bool{}
		for _, l := range x.Leases("", Query{Recursive: true}) {
			before[l.ID()] = true
		}
		touched := map[string]bool{}
		g := x.Gather("", Query{Recursive: true, Sort: ByID, Now: t0})
		now := t0
		for !g.Step(1 + rng.IntN(300)) {
			now = now.Add(time.Second)
			p := []string{"a/", "a/x/", "b/", "c/"}[rng.IntN(4)]
			switch rng.IntN(3) {
			case 0: // a listing with some leases gone and some new
				n := x.Node(p)
				var ls []string
				for _, l := range n.leases.sorted {
					if l.live() && rng.IntN(3) > 0 {
						ls = append(ls, l.ID())
					} else {
						touched[l.ID()] = true
					}
				}
				for range rng.IntN(50) * rng.IntN(2) { // half the listings bring nothing new: tombstones stay, then compact
					id := fmt.Sprintf("%sN%06d", p, rng.IntN(1e6))
					ls = append(ls, id)
					touched[id] = true
				}
				slices.Sort(ls)
				x.ApplyListing(p, n.childPaths(), slices.Compact(ls), now)
				x.PurgeGone(now.Add(time.Hour)) // purged at once: tombstones, then a compaction
			case 1:
				id := fmt.Sprintf("%sK%05d", p, rng.IntN(40))
				x.ApplyLease(info(id, time.Minute, true))
				touched[id] = true
			case 2:
				id := fmt.Sprintf("%sM%04d", p, rng.IntN(1000))
				x.ApplyLease(info(id, time.Minute, true))
				touched[id] = true
			}
		}
		got := ids(g.Sort())
		if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Fatalf("seed %d: rows out of order or repeated: %v", seed, firstUnsorted(got))
		}
		seen := map[string]bool{}
		for _, id := range got {
			seen[id] = true
		}
		for id := range before {
			if !touched[id] && !seen[id] {
				t.Fatalf("seed %d: untouched lease %s is missing", seed, id)
			}
		}
	}
}

func (n *Node) childPaths() []string {
	var out []string
	for _, c := range n.children {
		out = append(out, c.path)
	}
	return out
}

func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("at %d: %s, want %s", i, got[i], want[i])
		}
	}
	return "one is a prefix of the other"
}

func firstUnsorted(s []string) string {
	for i := 1; i < len(s); i++ {
		if strings.Compare(s[i-1], s[i]) >= 0 {
			return fmt.Sprintf("at %d: %s then %s", i, s[i-1], s[i])
		}
	}
	return ""
}
