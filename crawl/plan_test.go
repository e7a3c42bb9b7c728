package crawl

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

// knobs is the default policy with another refresh budget.
func knobs(floor, cheap int) Policy {
	pol := DefaultPolicy()
	pol.RelistFloor, pol.RelistCheap = floor, cheap
	return pol
}

// planEngine is an engine whose first crawl listed relistEstate at t0;
// its clock reads *now.
func planEngine(pol Policy, now *time.Time) *Engine {
	e := New(context.Background(), &walkLog{}, Options{Refresh: time.Minute, Policy: pol,
		Now: func() time.Time { return *now }})
	e.Start()
	e.Handle(Batch{Gen: e.Gen(false), Events: relistEstate(), Done: true})
	return e
}

// relistEstate is ten prefixes of 100 leases under big/ and one of 3
// under small/, listed at t0.
func relistEstate() []vaultclient.Event {
	ls := func(prefix string, prefixes, ids []string) vaultclient.Event {
		return vaultclient.Event{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: prefix, Prefixes: prefixes, LeaseIDs: ids}}
	}
	var bigs []string
	ev := []vaultclient.Event{ls("", []string{"big/", "small/"}, nil), ls("small/", []string{"small/s/"}, nil),
		ls("small/s/", nil, []string{"small/s/1", "small/s/2", "small/s/3"})}
	for b := range 10 {
		p := fmt.Sprintf("big/b%02d/", b)
		bigs = append(bigs, p)
		var ids []string
		for i := range 100 {
			ids = append(ids, fmt.Sprintf("%s%03d", p, i))
		}
		ev = append(ev, ls(p, nil, ids))
	}
	return append(ev, ls("big/", bigs, nil))
}

// planned lists which of the known prefixes a refresh would list: the
// walk from each root, skipping what the plan skips.
func planned(e *Engine) (listed []string, restListed time.Time) {
	roots, skip, rest := e.relistPlan()
	if roots == nil {
		roots = []string{""}
	}
	var walk func(path string)
	walk = func(path string) {
		listed = append(listed, path)
		for _, n := range e.idx.Node(path).Children() {
			if skip == nil || !skip(n.Path()) {
				walk(n.Path())
			}
		}
	}
	for _, r := range roots {
		walk(r)
	}
	return listed, rest
}

func bigListed(listed []string) (out []string) {
	for _, p := range listed {
		if len(p) > len("big/") && p[:4] == "big/" {
			out = append(out, p)
		}
	}
	return out
}

// A refresh lists the cheap prefixes, what changed lately, the selection's
// subtree when it fits in the budget, and the rest oldest first as far as
// the budget goes (here 150 leases: one big prefix of 100).
func TestRelistPlanSpendsABudgetOnWhatIsLookedAt(t *testing.T) {
	pol := knobs(150, 10)
	for _, tc := range []struct {
		name     string
		select_  string
		hot      string // grew by 500
		churn    string // 500 made, 500 gone
		mount    string // Vault's figures point at it
		later    time.Duration
		wantBig  int    // big prefixes listed
		wantOne  string // one that must be among them
		wantRest bool   // leases left for later (the status bar gives their age)
	}{
		{name: "root selected: one big prefix in rotation", select_: "", wantBig: 1, wantRest: true},
		{name: "a big prefix selected: it, and nothing else fits", select_: "big/b03/", wantBig: 1, wantOne: "big/b03/", wantRest: true},
		{name: "a prefix that grew lately is followed", select_: "", hot: "big/b07/", wantBig: 1, wantOne: "big/b07/", wantRest: true},
		{name: "steady churn is not growth", select_: "", churn: "big/b07/", wantBig: 1, wantRest: true},
		// only the root waits, which holds no leases of its own
		{name: "a mount where Vault made leases no listing found is re-listed whole", select_: "", mount: "big/", wantBig: 10, wantRest: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := t0
			e := planEngine(pol, &now)
			e.SetFocus(tc.select_)
			if tc.hot != "" {
				e.churn.Record(tc.hot, 500, 0, now)
			}
			if tc.churn != "" {
				e.churn.Record(tc.churn, 500, 500, now)
			}
			if tc.mount != "" {
				e.hints.hot = []string{tc.mount}
			}
			now = now.Add(tc.later)
			listed, rest := planned(e)
			for _, must := range []string{"small/", "small/s/"} {
				if !slices.Contains(listed, must) {
					t.Errorf("%q not listed (cheap): %v", must, listed)
				}
			}
			big := bigListed(listed)
			if len(big) != tc.wantBig || (tc.wantOne != "" && !slices.Contains(big, tc.wantOne)) {
				t.Errorf("big prefixes listed %v, want %d including %q", big, tc.wantBig, tc.wantOne)
			}
			if rest.IsZero() == tc.wantRest {
				t.Errorf("restListed %v, want some: %v", rest, tc.wantRest)
			}
		})
	}
}

// Over relistEvery refreshes the rotation lists every prefix, each once,
// oldest first; a prefix new since the plan is always listed.
func TestRelistPlanRotatesThroughTheTree(t *testing.T) {
	now := t0
	e := planEngine(knobs(150, 10), &now)
	seen := map[string]int{}
	for round := range 10 {
		now = now.Add(time.Minute)
		listed, _ := planned(e)
		big := bigListed(listed)
		if len(big) != 1 {
			t.Fatalf("round %d listed %v, want one big prefix", round, big)
		}
		seen[big[0]]++
		var ids []string
		e.idx.Each(big[0], func(l *model.Lease) { ids = append(ids, l.ID()) })
		e.idx.ApplyListing(big[0], nil, ids, now)
	}
	if len(seen) != 10 {
		t.Errorf("%d of the 10 big prefixes listed in 10 refreshes: %v", len(seen), seen)
	}
	// The root and big/ still wait (each costs several budgets), but the
	// age the status bar gives is the leases': the oldest big prefix's.
	if _, rest := planned(e); !rest.Equal(t0.Add(2 * time.Minute)) {
		t.Errorf("the rest of the tree listed at %s, want the second refresh's %s (not a branch's %s)", rest, t0.Add(2*time.Minute), t0)
	}
	_, skip, _ := e.relistPlan()
	if skip != nil && skip("big/new/") {
		t.Error("a prefix new since the plan is skipped")
	}
}

// Each LIST costs Vault a request beyond its subtree (RelistRequest, a
// share of the tree), so the more a request costs the fewer prefixes a
// refresh's budget lists: here 400 leases, the cheap small/ and small/s/
// always, and of the big prefixes of 100 as many as the rest allows.
func TestRelistPlanCountsEachListAsARequest(t *testing.T) {
	pol := knobs(400, 10)
	for _, tc := range []struct {
		share   float64 // of the 1,003 leases, per request
		wantBig int
	}{
		{0, 3},    // 6 + 3×100
		{0.05, 1}, // 2×(3+50) + 150
		{0.1, 0},  // 2×(3+100), and a big prefix costs 200
	} {
		pol.RelistRequest = tc.share
		now := t0
		e := planEngine(pol, &now)
		e.SetFocus("small/s/") // the selection fits whatever a request costs
		now = now.Add(time.Minute)
		listed, _ := planned(e)
		if big := bigListed(listed); len(big) != tc.wantBig {
			t.Errorf("a request at %.0f%% of the tree: big prefixes listed %v, want %d", 100*tc.share, big, tc.wantBig)
		}
	}
}

// A prefix bigger than the budget waits, but not forever: once it has
// waited relistEvery refreshes for each budget it costs, it goes beyond
// the budget, one at a time, oldest first (the whole stale tree at once
// would be the very cost the budget spares).
func TestRelistPlanTakesTheOldestBeyondTheBudgetOnceItWaited(t *testing.T) {
	pol := knobs(0, 10)
	pol.RelistShare = 0.04 // 40 leases: no big prefix fits
	relistEvery := pol.RelistEvery
	for _, tc := range []struct {
		later   time.Duration
		wantBig int
	}{
		{time.Minute, 0},
		// a big prefix costs 103 (a request is 3 of the 1,003 leases),
		// three budgets of 40: due after three times relistEvery
		{time.Duration(relistEvery) * time.Minute, 0},
		{3 * time.Duration(relistEvery) * time.Minute, 1},
		{30 * time.Duration(relistEvery) * time.Minute, 1},
	} {
		now := t0
		e := planEngine(pol, &now)
		now = now.Add(tc.later)
		listed, rest := planned(e)
		big := 0 // prefixes of 100 leases or more: the root, big/ and its ten
		for _, p := range listed {
			if e.idx.Node(p).Count() >= 100 {
				big++
			}
		}
		if big != tc.wantBig {
			t.Errorf("%s later: listed %v, want %d prefixes beyond the budget", tc.later, listed, tc.wantBig)
		}
		if rest.IsZero() {
			t.Errorf("%s later: nothing left for later", tc.later)
		}
	}
}

// A mount Vault's figures point at is listed whole with every prefix
// known under it as a root of its own, so its leaves need not wait for
// its LIST; a listing that names a root again leaves it out, so each
// prefix is listed once, and a prefix new under it is still reached.
// So whether the budget leaves the rest of the tree alone or not.
func TestRelistPlanListsAHintedMountsKnownPrefixesAsRootsOnce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		share float64 // the budget, a share of the tree
		all   bool    // everything else is listed too
	}{
		{"the rest left alone", 0, false},
		{"the rest listed too", 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol := knobs(0, 1)
			pol.RelistShare = tc.share
			now := t0
			e := planEngine(pol, &now)
			e.hints.hot = []string{"big/"}
			now = now.Add(time.Minute)
			roots, skip, _ := e.relistPlan()
			want := []string{"big/"}
			for b := range 10 {
				want = append(want, fmt.Sprintf("big/b%02d/", b))
			}
			for _, r := range want {
				if !slices.Contains(roots, r) {
					t.Errorf("%s is not a root: %v", r, roots)
				}
			}
			if slices.Contains(roots, "") != tc.all {
				t.Errorf("roots %v: the top among them %v, want %v", roots, !tc.all, tc.all)
			}
			if skip("big/new/") {
				t.Error("a prefix new under the mount is skipped")
			}
			listed, _ := planned(e)
			seen := map[string]int{}
			for _, p := range listed {
				if seen[p]++; seen[p] > 1 {
					t.Errorf("%s listed %d times: %v", p, seen[p], listed)
				}
			}
			for _, p := range want {
				if seen[p] != 1 {
					t.Errorf("%s listed %d times, want once", p, seen[p])
				}
			}
			if n := len(listed); tc.all && n != 14 {
				t.Errorf("listed %d prefixes, want all 14 once: %v", n, listed)
			}
		})
	}
}
