package ui

import (
	"context"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
)

// growthHints finds leases being made under prefixes a refresh left
// alone. Vault counts the leases each mount makes (its telemetry,
// sys/metrics: one small read per refresh); a refresh's listings say how
// many new leases they found. When a mount made clearly more than the
// listings found since the last refresh — more than hintMin and three
// times its usual gap — this refresh re-lists that mount whole, and the
// churn finds the prefix; from then on it is followed at every refresh
// (relistHot). Without telemetry (no read on sys/metrics, a namespace
// view) refreshes go on without hints.
type growthHints struct {
	off   bool               // Vault gave no figures: not asked again
	last  map[string]float64 // creations per mount at the last refresh
	found map[string]int     // new leases the listings found since, per mount
	usual map[string]float64 // the usual gap per refresh (a moving average)
	hot   []string           // mounts this refresh re-lists whole
}

// hintMin is the least gap, in leases per refresh, worth a re-listing.
var hintMin = 100.0

// hintTimeout bounds the read of the figures: a refresh never waits long
// for a hint.
const hintTimeout = 5 * time.Second

type hintsMsg struct {
	gen       int
	creations map[string]float64
	err       error
}

// fetch reads the creations, then the refresh starts (onHints).
func (h *growthHints) fetch(r *root) tea.Cmd {
	ctx, be, gen := r.c.ctx, r.c.be, r.crawl.gen
	if be.Namespace() != "" {
		h.off = true // the figures are the root namespace's
	}
	if h.off {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, hintTimeout)
		defer cancel()
		n, err := be.LeaseCreations(ctx)
		return hintsMsg{gen: gen, creations: n, err: err}
	}
}

// update takes a refresh's figures and decides which mounts it re-lists.
func (h *growthHints) update(creations map[string]float64, err error) {
	h.hot = nil
	if err != nil {
		h.off = true
		return
	}
	if h.last != nil {
		if h.usual == nil {
			h.usual = map[string]float64{}
		}
		for m, n := range creations {
			made := n - h.last[m]
			if made < 0 {
				continue // Vault restarted
			}
			gap := max(made-float64(h.found[m]), 0)
			if gap >= max(hintMin, 3*h.usual[m]) {
				h.hot = append(h.hot, m)
			}
			// A busy mount's gap becomes usual within a few refreshes, so
			// its steady traffic does not re-list it whole every time; an
			// explosion, once found, is followed as growing (relistHot)
			// and leaves no gap.
			h.usual[m] = 0.8*h.usual[m] + 0.2*gap
		}
		slices.Sort(h.hot)
	}
	h.last, h.found = creations, map[string]int{}
}

// saw counts new leases a listing found, under the mount it belongs to.
func (h *growthHints) saw(prefix string, created int) {
	if h.found == nil || created <= 0 {
		return
	}
	best := ""
	for m := range h.last {
		if len(m) > len(best) && strings.HasPrefix(prefix, m) {
			best = m
		}
	}
	if best != "" {
		h.found[best] += created
	}
}

// covers reports whether prefix p lies in a mount this refresh re-lists.
func (h *growthHints) covers(p string) bool {
	for _, m := range h.hot {
		if strings.HasPrefix(p, m) {
			return true
		}
	}
	return false
}
