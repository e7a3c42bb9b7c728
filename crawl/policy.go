package crawl

import "time"

// Policy is what a refresh re-lists, and when Vault's figures call for a
// re-listing.
//
// Nothing cheaper than a LIST says whether a prefix changed, and a LIST
// costs Vault a pass over the prefix's whole subtree in its storage: the
// root of a million leases costs what the million do, however few keys it
// returns, and each request costs a little more (RelistRequest). So a
// refresh spends a budget counted in subtree sizes and requests, and its
// walk starts at the prefixes it chose, not at the top: prefixes never
// listed or nearly empty, prefixes growing lately by themselves (where an
// explosion is, followed at every refresh), every mount where Vault's
// telemetry says leases were made that no listing found (growthHints:
// listed whole, which finds new prefixes too), the selection's subtree
// when it fits (new leases there show at once), and then the rest oldest
// first, as much as the budget allows, the oldest beyond it once it has
// waited RelistEvery refreshes per budget it costs. When Vault's figures
// say nothing changed since the last refresh began (growthHints.quiet), a
// refresh lists only what was never listed and the one oldest prefix that
// is due, often nothing: an idle leasetop then costs Vault one read of its
// figures per refresh, not a budget of LISTs. Under RelistFloor leases a
// refresh lists the whole tree.
type Policy struct {
	// RelistFloor is the budget's least, in leases per refresh.
	RelistFloor int
	// RelistShare is the budget's share of the tree per refresh (bench
	// figure 15 measures what the default costs at a million leases).
	RelistShare float64
	// RelistCheap: a prefix holding fewer leases than this (its whole
	// subtree) is listed at every refresh.
	RelistCheap int
	// RelistHot: a prefix whose leases grew by this many a minute or more
	// (net, over ChurnWindow, and not only through a child) is listed at
	// every refresh. Steady churn, as many made as gone, is not growth.
	RelistHot float64
	// RelistEvery bounds, in refresh intervals, how long a prefix that
	// costs no more than the budget goes without a listing; one that
	// costs k budgets waits k times as long.
	RelistEvery int
	// RelistRequest is what one LIST costs Vault beyond its subtree, as a
	// share of the leases Vault holds: Vault keeps a timer per lease, and
	// each request's deadlines cost it a pass over the runtime's timer
	// heap, so at a million leases a request costs about as much as
	// listing 3,000 leases. Counting it makes a refresh list a few
	// prefixes, not a hundred small ones.
	RelistRequest float64

	// HintMin is the least gap between the leases Vault says a mount made
	// and those the listings found, per refresh, worth a re-listing.
	HintMin float64
	// HintEvery: between refreshes the figures are read this often (a
	// 26 KB read), and a refresh starts at once when they show news:
	// growth under a quiet prefix is then found within HintEvery or so of
	// its start, not up to two refresh intervals later. Zero reads them
	// only at refreshes.
	HintEvery time.Duration
}

// DefaultPolicy is the policy of an engine whose Options give none. A
// test that needs a small tree to behave as a big one starts from it and
// passes its own in Options.Policy.
func DefaultPolicy() Policy {
	return Policy{
		RelistFloor:   50_000,
		RelistShare:   0.05,
		RelistCheap:   64,
		RelistHot:     60,
		RelistEvery:   20,
		RelistRequest: 0.003,
		HintMin:       100,
		HintEvery:     5 * time.Second,
	}
}

// ChurnWindow is what growth rates average over: the refresh plan's
// RelistHot, and the tree's growth column.
const ChurnWindow = 5 * time.Minute
