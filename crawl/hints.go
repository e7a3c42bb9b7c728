package crawl

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/leasetop/leasetop/vaultclient"
)

// growthHints finds leases being made under prefixes a refresh left
// alone. Vault counts the leases each mount makes (its telemetry,
// sys/metrics: one small read per refresh); a refresh's listings say how
// many new leases they found. When a mount made clearly more than the
// listings found since the last refresh — more than Policy.HintMin and three
// times its usual gap — this refresh re-lists that mount whole, and the
// churn finds the prefix; from then on it is followed at every refresh
// (Policy.RelistHot). Without telemetry (no read on sys/metrics, a namespace
// view) refreshes go on without hints.
//
// The same figures say when nothing changed at all: no mount made a lease
// and Vault holds as many as it did when the last refresh began (quiet).
// Such a refresh has nothing to find that the last one could have, and
// lists only what is due (relistPlan).
type growthHints struct {
	off   bool               // Vault gave no figures: not asked again
	last  map[string]float64 // creations per mount at the last refresh
	found map[string]int     // new leases the listings found since, per mount
	usual map[string]float64 // the usual gap per refresh (a moving average)
	hot   []string           // mounts this refresh re-lists whole
	min   float64            // the least gap worth a re-listing (Policy.HintMin)
	// quiet: this refresh's figures are the last refresh's, which a walk
	// followed (walked).
	quiet, walked bool
}

// hintTimeout bounds the read of the figures: a refresh never waits long
// for a hint.
const hintTimeout = 5 * time.Second

// update takes a refresh's figures and decides which mounts it re-lists.
func (h *growthHints) update(creations map[string]float64, err error) {
	h.hot = nil
	h.quiet = err == nil && h.walked && unchanged(h.last, creations)
	h.walked = false
	if err != nil {
		// Vault gives this token no figures (no read on sys/metrics, no
		// telemetry): stop asking. A read that failed for now (a timeout,
		// Vault busy or away, leasetop suspended past the read's
		// deadline) leaves this refresh without hints and the next asks
		// again, comparing with the last figures it had.
		var e *vaultclient.Error
		if errors.As(err, &e) && !e.Temporary() {
			h.off = true
		}
		return
	}
	if h.last != nil {
		if h.usual == nil {
			h.usual = map[string]float64{}
		}
		for m, n := range creations {
			if m == vaultclient.NumLeases {
				continue
			}
			gap, ok := h.gap(m, n)
			if !ok {
				continue // Vault restarted
			}
			if h.news(m, gap) {
				h.hot = append(h.hot, m)
			}
			// A busy mount's gap becomes usual within a few refreshes, so
			// its steady traffic does not re-list it whole every time; an
			// explosion, once found, is followed as growing (Policy.RelistHot)
			// and leaves no gap.
			h.usual[m] = 0.8*h.usual[m] + 0.2*gap
		}
		slices.Sort(h.hot)
	}
	h.last, h.found = creations, map[string]int{}
}

// unchanged: both figures have Vault's count of leases, the same, and the
// same creations per mount.
func unchanged(last, now map[string]float64) bool {
	n, ok := now[vaultclient.NumLeases]
	if m, had := last[vaultclient.NumLeases]; !ok || !had || m != n {
		return false
	}
	return maps.Equal(last, now)
}

// gap is how many leases mount m made since the last refresh (its counter
// is now n) that no listing found; not ok when the counter went back.
func (h *growthHints) gap(m string, n float64) (gap float64, ok bool) {
	made := n - h.last[m]
	if made < 0 {
		return 0, false
	}
	return max(made-float64(h.found[m]), 0), true
}

// news reports whether a gap is worth a re-listing.
func (h *growthHints) news(m string, gap float64) bool {
	return gap >= max(h.min, 3*h.usual[m])
}

// probe looks at figures read between refreshes, changing nothing, and
// names a mount whose gap is already news: the refresh should not wait
// for its turn.
func (h *growthHints) probe(creations map[string]float64) string {
	if h.off || h.last == nil {
		return ""
	}
	hot := ""
	for m, n := range creations {
		if m == vaultclient.NumLeases {
			continue
		}
		if gap, ok := h.gap(m, n); ok && h.news(m, gap) && (hot == "" || m < hot) {
			hot = m
		}
	}
	return hot
}

// saw counts new leases a listing found, under the mount it belongs to.
func (h *growthHints) saw(prefix string, created int) {
	if h.found == nil || created <= 0 {
		return
	}
	best := ""
	for m := range h.last {
		if m != vaultclient.NumLeases && len(m) > len(best) && strings.HasPrefix(prefix, m) {
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
