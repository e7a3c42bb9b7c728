package crawl

import (
	"slices"
	"strings"
	"time"

	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

// relistPlan decides, before a refresh, what it lists (see Policy). A
// LIST costs Vault a pass over the prefix's whole subtree in its storage
// (a branch over a million leases costs what the million do), so each
// prefix is counted at its subtree's size, and the walk starts at the
// prefixes chosen (roots) rather than at the top: a quiet leaf is listed
// without its ancestors. A subtree listed whole because Vault's figures
// point at it has every prefix known under it as a root of its own (see
// below), and skip leaves out every root a listing names again, so each
// prefix is listed once. skip runs on the walk's goroutines, so it reads
// only what is computed here. restListed is the oldest listing among the
// prefixes left alone that hold leases of their own (zero when none
// does); nil roots and skip mean the whole tree, empty roots nothing.
func (e *Engine) relistPlan() (roots []string, skip func(string) bool, restListed time.Time) {
	pol, idx := e.pol, e.idx
	// The refresh's walk follows the figures just read: the next refresh
	// may compare its own with them.
	e.hints.walked = true
	// Nothing changed in Vault since the last refresh began, and that
	// refresh's listings all answered: nothing to find but what is due.
	quiet := e.hints.quiet && e.poll.stats.Errors == 0
	if e.opt.Refresh <= 0 {
		return nil, nil, time.Time{}
	}
	start := idx.Node(e.opt.Prefix)
	if start == nil {
		return nil, nil, time.Time{}
	}
	if idx.Len() <= pol.RelistFloor {
		return nil, nil, time.Time{} // the whole tree costs little
	}
	focus, now := e.Focus(), e.now()
	budget := max(pol.RelistFloor, int(pol.RelistShare*float64(idx.Len())))
	req := int(pol.RelistRequest * float64(idx.Len()))
	stale := time.Duration(pol.RelistEvery) * e.opt.Refresh

	list := map[string]bool{} // listed alone
	var whole []string        // listed with everything under them
	spent := 0
	cost := func(n *model.Node) int { return n.Count() + req }
	take := func(n *model.Node) {
		if !list[n.Path()] {
			list[n.Path()] = true
			spent += cost(n)
		}
	}
	growing := func(n *model.Node) bool { return e.churn.Growth(n.Path(), now, ChurnWindow) >= pol.RelistHot }
	var rest []*model.Node
	var visit func(n *model.Node)
	visit = func(n *model.Node) {
		p := n.Path()
		switch {
		case !n.Listed() || n.ListedAt().IsZero():
			take(n)
		case quiet:
			rest = append(rest, n)
		case n.Count() < pol.RelistCheap,
			// growing, itself rather than through a child (its ancestors
			// grow too, and each costs its whole subtree)
			growing(n) && !slices.ContainsFunc(n.Children(), growing):
			take(n)
		case e.hints.covers(p): // Vault made leases there that no listing found
			if !e.hints.covers(leaseid.Parent(p)) || p == start.Path() {
				whole = append(whole, p)
				spent += cost(n)
			}
		default:
			rest = append(rest, n)
		}
		for _, ch := range n.Children() {
			visit(ch)
		}
	}
	visit(start)
	hinted := whole // listed whole for Vault's figures; the focus follows
	if f := idx.Node(focus); !quiet && f != nil && cost(f) <= budget {
		whole = append(whole, focus) // new leases under the selection show at once
		spent += cost(f)
	}
	under := func(p string) bool {
		for _, w := range whole {
			if strings.HasPrefix(p, w) {
				return true
			}
		}
		return false
	}
	// The rest, oldest first, while the budget lasts; the oldest due goes
	// even beyond it (a prefix bigger than the budget would wait forever
	// otherwise): due once it has waited RelistEvery refreshes for each
	// budget it costs, so that the branches over the whole tree (at a
	// million leases a LIST of the root costs Vault 0.6 s) come round
	// as rarely as their cost is large. The first crawl listed
	// everything at once: taking it in turns spreads that out for good,
	// where listing all that is stale would list the whole tree again
	// every RelistEvery refreshes.
	slices.SortFunc(rest, func(a, b *model.Node) int { return a.ListedAt().Compare(b.ListedAt()) })
	tookRest, leftAlone := false, false
	for _, n := range rest {
		if list[n.Path()] || under(n.Path()) {
			continue
		}
		due := stale * time.Duration(max(1, (cost(n)+budget-1)/max(budget, 1)))
		if !quiet && spent+cost(n) <= budget || !tookRest && now.Sub(n.ListedAt()) >= due {
			take(n)
			tookRest = true
			continue
		}
		leftAlone = true
		// The age the status bar gives is the leases': a branch's own
		// listing only names its children, and the branches over the
		// whole tree come round rarely (above).
		if at := n.ListedAt(); n.Direct() > 0 && (restListed.IsZero() || at.Before(restListed)) {
			restListed = at
		}
	}
	// Vault's figures name a mount, not the prefix where the leases were
	// made. Walked down from the mount, a leaf that began to grow waited
	// for the LISTs of the mount and of each branch above it, each a pass
	// over its whole subtree in Vault's storage (over half a second at a
	// million leases, more while the first crawl's lookups run). So every
	// prefix known under such a subtree is a root of its own, and
	// refreshOrder lists the leaves before the branches: the branches are
	// still listed, once, for the prefixes new under them, which no root
	// names and which only their listings reach.
	known := map[string]bool{}
	var add func(n *model.Node)
	add = func(n *model.Node) {
		known[n.Path()] = true
		for _, ch := range n.Children() {
			add(ch)
		}
	}
	for _, w := range hinted {
		add(idx.Node(w))
	}
	if !leftAlone && len(known) == 0 {
		return nil, nil, time.Time{}
	}
	listed := func(p string) bool { return list[p] || under(p) }
	skipped := map[string]bool{}
	for _, n := range rest {
		if !listed(n.Path()) {
			skipped[n.Path()] = true
		}
	}
	// A walk reaches a prefix through its parent when the parent is
	// listed too; the others are roots of their own.
	for p := range list {
		if !under(p) && (p == start.Path() || !listed(leaseid.Parent(p))) {
			roots = append(roots, p)
		}
	}
	for _, w := range whole {
		if w == start.Path() || !listed(leaseid.Parent(w)) {
			roots = append(roots, w)
		}
	}
	if !leftAlone {
		roots = append(roots, start.Path()) // the rest reached from the top
	}
	for p := range known {
		roots = append(roots, p)
	}
	if len(roots) == 0 && quiet {
		return []string{}, func(string) bool { return true }, restListed
	}
	if len(roots) == 0 {
		roots = []string{start.Path()} // its known children skipped
	}
	slices.Sort(roots)
	roots = slices.Compact(roots)
	// A root is listed as one: reached again through its parent's
	// listing, it is left out there.
	root := make(map[string]bool, len(roots))
	for _, r := range roots {
		root[r] = true
	}
	return roots, func(p string) bool { return skipped[p] || root[p] }, restListed
}

// refreshOrder is the order a refresh lists prefixes in: those it has
// never seen first, then the leaves (prefixes holding leases of their
// own) before the branches, then the smallest first. A refresh that lists
// a mount whole because Vault's figures say leases are being made there
// does not know under which prefix: new prefixes are where an explosion
// usually starts, leases are made in leaves, while a known branch's LIST
// only finds the prefixes new under it and costs Vault a pass over its
// whole subtree; growth shows soonest, as a share, where there was
// little, while the mount's largest prefixes (a hundred thousand keys
// each, at a million) take most of the refresh's time; listed in Vault's
// order, a quiet prefix that began to grow waited for all of them. It
// reads sizes taken here, on the engine's goroutine, since the walk's
// goroutines must not read the index.
func (e *Engine) refreshOrder() func([]string) {
	size := map[string]int{}
	leaf := map[string]bool{}
	var visit func(n *model.Node)
	visit = func(n *model.Node) {
		size[n.Path()] = n.Count()
		leaf[n.Path()] = n.Direct() > 0
		for _, ch := range n.Children() {
			visit(ch)
		}
	}
	if start := e.idx.Node(e.opt.Prefix); start != nil {
		visit(start)
	}
	return func(ps []string) {
		slices.SortStableFunc(ps, func(a, b string) int {
			na, knownA := size[a]
			nb, knownB := size[b]
			switch {
			case knownA != knownB:
				if !knownA {
					return -1
				}
				return 1
			case leaf[a] != leaf[b]:
				if leaf[a] {
					return -1
				}
				return 1
			case na != nb:
				return na - nb
			}
			return strings.Compare(a, b)
		})
	}
}

// nothingToList is the walk of a refresh that lists nothing: over at once.
func nothingToList() <-chan vaultclient.Event {
	ch := make(chan vaultclient.Event)
	close(ch)
	return ch
}
