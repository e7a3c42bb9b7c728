package ui

import (
	"slices"
	"strings"
	"time"

	"github.com/leasetop/leasetop/model"
)

// What a refresh re-lists. Vault's LIST costs it in proportion to the keys
// it returns, and nothing cheaper says whether a prefix changed: re-listing
// a million leases every 15 s cost Vault 13% of a core. So a refresh lists
// every prefix that is cheap to list (they reveal new prefixes, the way an
// explosion from a new role starts), every prefix growing lately (where
// an explosion is, followed at every refresh), every mount where Vault's
// telemetry says leases were made that no listing found (growthHints),
// the selection's
// subtree (new leases there show at once) when it fits in the budget, and
// then the rest oldest first, as much as the budget allows: at most a
// share of the tree per refresh, and nothing left unlisted for longer than
// relistEvery refreshes. Under relistFloor leases the budget covers the
// whole tree, as it always did.
var (
	// relistFloor is the budget's least, in leases per refresh.
	relistFloor = 50_000
	// relistShare is the budget's share of the tree per refresh: at a
	// million leases 50,000, which costs Vault about 1.5% of a core at
	// the default 15 s (bench figure 15).
	relistShare = 0.05
	// relistCheap: a prefix holding fewer leases than this (directly) is
	// listed at every refresh.
	relistCheap = 64
	// relistHot: a prefix whose leases grew by this many a minute or more
	// (net, over the churn window) is listed at every refresh. Steady
	// churn, as many made as gone, is not growth.
	relistHot = 60.0
)

// relistEvery bounds, in refresh intervals, how long any prefix goes
// without a listing (a variable for tests).
var relistEvery = 20

// relistPlan decides, before a refresh, what it lists (see above). skip
// runs on the walk's goroutines, so it reads only what is computed here.
// restListed is the oldest listing among the prefixes left alone, zero
// when the refresh lists everything.
func (r *root) relistPlan() (skip func(string) bool, restListed time.Time) {
	c := r.c
	if c.opt.Refresh <= 0 {
		return nil, time.Time{}
	}
	start := c.idx.Node(c.opt.Prefix)
	if start == nil {
		return nil, time.Time{}
	}
	focus, now := c.prefix, c.now()
	budget := max(relistFloor, int(relistShare*float64(c.idx.Len())))
	stale := time.Duration(relistEvery) * c.opt.Refresh

	list := map[string]bool{}
	spent := 0
	take := func(n *model.Node) {
		for ; n != nil && !list[n.Path()]; n = n.Parent() {
			list[n.Path()] = true
			spent += n.Direct()
		}
	}
	var rest []*model.Node
	var visit func(n *model.Node)
	visit = func(n *model.Node) {
		p := n.Path()
		switch {
		case !n.Listed() || n.ListedAt().IsZero(),
			n.Direct() < relistCheap,
			strings.HasPrefix(focus, p): // on the way to the selection
			take(n)
		case r.hints.covers(p), // Vault made leases there that no listing found
			c.churn.Growth(p, now, churnWindow) >= relistHot: // growing
			take(n)
		default:
			rest = append(rest, n)
		}
		for _, ch := range n.Children() {
			visit(ch)
		}
	}
	visit(start)
	if f := c.idx.Node(focus); f != nil && f.Count() <= budget {
		var all func(n *model.Node)
		all = func(n *model.Node) {
			take(n)
			for _, ch := range n.Children() {
				all(ch)
			}
		}
		all(f)
	}
	// The rest, oldest first, while the budget lasts; the oldest goes
	// even beyond it once it has waited relistEvery refreshes (a prefix
	// bigger than the budget would wait forever otherwise). The first
	// crawl listed everything at once: taking it in turns spreads that
	// out for good, where listing all that is stale would list the whole
	// tree again every relistEvery refreshes.
	slices.SortFunc(rest, func(a, b *model.Node) int { return a.ListedAt().Compare(b.ListedAt()) })
	tookRest := false
	for _, n := range rest {
		if list[n.Path()] {
			continue
		}
		if spent+n.Direct() <= budget || !tookRest && now.Sub(n.ListedAt()) >= stale {
			take(n)
			tookRest = true
			continue
		}
		if at := n.ListedAt(); restListed.IsZero() || at.Before(restListed) {
			restListed = at
		}
	}
	if restListed.IsZero() {
		return nil, time.Time{}
	}
	// Skip only what is known and left alone: a prefix new since the plan
	// is listed.
	skipped := map[string]bool{}
	for _, n := range rest {
		if !list[n.Path()] {
			skipped[n.Path()] = true
		}
	}
	return func(p string) bool { return skipped[p] }, restListed
}
