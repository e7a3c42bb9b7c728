// Package churn counts, per prefix, the leases that appear and vanish
// between successive listings: the lease-explosion detector. Each prefix
// keeps a short ring of per-interval counts for itself and for its whole
// subtree, so a rate, a sparkline and the fastest-growing prefix cost
// O(buckets), not a pass over the leases.
package churn

import (
	"strings"
	"time"

	"github.com/leasetop/leasetop/leaseid"
)

// Tracker holds the counts. It is not safe for concurrent use: the UI's
// Update (or one script goroutine) owns it.
type Tracker struct {
	bucket time.Duration
	keep   int
	series map[string]*series
	first  time.Time // the first record: rates count from here
}

// series is one prefix's ring of buckets; slot i holds bucket number
// base+i (mod keep).
type series struct {
	at            []int64 // the bucket number each slot holds
	created, gone []int32 // the whole subtree
	ownCreated    []int32 // leases directly under the prefix

	// Every lease created and gone under the subtree since the first
	// record, never reset: what a Prometheus counter publishes, since the
	// ring forgets and a counter must not go down.
	totalCreated, totalGone int64
	// The same for the leases directly under the prefix.
	ownTotalCreated, ownTotalGone int64
}

// New keeps keep buckets of the given size per prefix.
func New(bucket time.Duration, keep int) *Tracker {
	return &Tracker{bucket: bucket, keep: keep, series: map[string]*series{}}
}

// Active reports whether anything was ever recorded.
func (t *Tracker) Active() bool { return !t.first.IsZero() }

// Record counts created and gone leases directly under prefix at at, in
// the prefix and in every ancestor.
func (t *Tracker) Record(prefix string, created, gone int, at time.Time) {
	if created == 0 && gone == 0 {
		return
	}
	if t.first.IsZero() || at.Before(t.first) {
		t.first = at
	}
	b := at.UnixNano() / int64(t.bucket)
	own := true
	for p := prefix; ; p = leaseid.Parent(p) {
		s := t.series[p]
		if s == nil {
			s = &series{at: make([]int64, t.keep), created: make([]int32, t.keep), gone: make([]int32, t.keep), ownCreated: make([]int32, t.keep)}
			for i := range s.at {
				s.at[i] = -1
			}
			t.series[p] = s
		}
		i := int(b % int64(t.keep))
		if s.at[i] != b {
			s.at[i], s.created[i], s.gone[i], s.ownCreated[i] = b, 0, 0, 0
		}
		s.created[i] += int32(created)
		s.gone[i] += int32(gone)
		s.totalCreated += int64(created)
		s.totalGone += int64(gone)
		if own {
			s.ownCreated[i] += int32(created)
			s.ownTotalCreated += int64(created)
			s.ownTotalGone += int64(gone)
			own = false
		}
		if p == "" {
			return
		}
	}
}

// Totals is every lease created and gone under prefix (its whole subtree)
// since the tracker began, beyond the buckets it keeps: monotonic, so a
// scrape can publish them as counters.
func (t *Tracker) Totals(prefix string) (created, gone int64) {
	if s := t.series[prefix]; s != nil {
		return s.totalCreated, s.totalGone
	}
	return 0, 0
}

// OwnTotals is like Totals for the leases directly under prefix, its
// child prefixes left out.
func (t *Tracker) OwnTotals(prefix string) (created, gone int64) {
	if s := t.series[prefix]; s != nil {
		return s.ownTotalCreated, s.ownTotalGone
	}
	return 0, 0
}

// Rate is the leases created and gone per minute under prefix over the
// window before now (or since the first record, when that is shorter).
func (t *Tracker) Rate(prefix string, now time.Time, window time.Duration) (created, gone float64) {
	s := t.series[prefix]
	if s == nil {
		return 0, 0
	}
	c, g, _, minutes := t.sum(s, now, window)
	return float64(c) / minutes, float64(g) / minutes
}

// sum adds up the buckets of the window that ends with now's bucket
// (window rounded to whole buckets, at most what is kept), over the time
// they cover since the first record, and at least a minute: a first poll
// is not a burst of infinity.
func (t *Tracker) sum(s *series, now time.Time, window time.Duration) (created, gone, own int64, minutes float64) {
	k := int64(max(min(window/t.bucket, time.Duration(t.keep)), 1))
	nowB := now.UnixNano() / int64(t.bucket)
	fromB := nowB - k + 1
	for i, b := range s.at {
		if b >= fromB && b <= nowB {
			created += int64(s.created[i])
			gone += int64(s.gone[i])
			own += int64(s.ownCreated[i])
		}
	}
	start := time.Unix(0, fromB*int64(t.bucket))
	if t.first.After(start) {
		start = t.first
	}
	return created, gone, own, max(now.Sub(start), time.Minute).Minutes()
}

// Spark is the net growth (created minus gone) under prefix in each of the
// last n buckets, oldest first.
func (t *Tracker) Spark(prefix string, now time.Time, n int) []int {
	out := make([]int, n)
	s := t.series[prefix]
	if s == nil {
		return out
	}
	nowB := now.UnixNano() / int64(t.bucket)
	for k := range n {
		b := nowB - int64(n-1-k)
		i := int(((b % int64(t.keep)) + int64(t.keep)) % int64(t.keep))
		if s.at[i] == b {
			out[k] = int(s.created[i] - s.gone[i])
		}
	}
	return out
}

// Fastest is the prefix whose own leases (not its subtree's) were created
// fastest over the window, with that rate per minute: where an explosion
// comes from. ok is false when nothing was created.
func (t *Tracker) Fastest(now time.Time, window time.Duration) (prefix string, perMinute float64, ok bool) {
	best := int64(0)
	var minutes float64
	for p, s := range t.series {
		_, _, own, m := t.sum(s, now, window)
		if own > best || own == best && own > 0 && strings.Compare(p, prefix) < 0 {
			best, prefix, minutes = own, p, m
		}
	}
	if best == 0 {
		return "", 0, false
	}
	return prefix, float64(best) / minutes, true
}

// Growth is the net leases per minute under prefix over the window: the
// tree's "by growth" order.
func (t *Tracker) Growth(prefix string, now time.Time, window time.Duration) float64 {
	c, g := t.Rate(prefix, now, window)
	return c - g
}

// sparkRunes draw a sparkline from low to high.
var sparkRunes = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws net growth per bucket: a bar per bucket scaled to the
// largest, a space for none, and a dot for a bucket where more went than
// came.
func Sparkline(v []int) string {
	peak := 1
	for _, x := range v {
		peak = max(peak, x)
	}
	var b strings.Builder
	for _, x := range v {
		switch {
		case x > 0:
			b.WriteRune(sparkRunes[min((x*len(sparkRunes)-1)/peak, len(sparkRunes)-1)])
		case x < 0:
			b.WriteRune('·')
		default:
			b.WriteRune(' ')
		}
	}
	return b.String()
}
