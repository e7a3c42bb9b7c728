package hygiene

import (
	"slices"
	"strings"
	"time"

	"github.com/leasetop/leasetop/model"
)

// Lease is what the checks know of one lease, copied from the index.
type Lease struct {
	ID      string
	Known   bool      // looked up: the times below are Vault's
	Issued  time.Time // zero when not known
	Expires time.Time // zero: never expires (when Known)
	Renewed time.Time // zero: never renewed
}

// Leases is a copy of what a crawl found, so that the checks can run on
// another goroutine while the index goes on changing (the UI's refresh).
type Leases struct {
	ByPrefix map[string][]Lease // the leases directly under each prefix, by id
	Shape    CrawlShape         // what the crawl asked of Vault
	Total    int
}

// Snapshot copies the live leases under path in idx. It reads idx, so it
// runs where idx may be read (the UI's own goroutine).
func Snapshot(idx *model.Index, path string) *Leases {
	ls := &Leases{ByPrefix: map[string][]Lease{}}
	if idx == nil {
		return ls
	}
	ls.Shape = ShapeOf(idx, path)
	idx.Each(path, func(l *model.Lease) {
		c := Lease{ID: l.ID(), Known: !l.Pending()}
		if c.Known {
			c.Issued, c.Expires, c.Renewed = l.IssueTime(), l.ExpireTime(), l.LastRenewal()
			if !l.HasExpiry() {
				c.Expires = time.Time{}
			}
		}
		ls.ByPrefix[l.Prefix()] = append(ls.ByPrefix[l.Prefix()], c)
		ls.Total++
	})
	for _, g := range ls.ByPrefix {
		slices.SortFunc(g, func(a, b Lease) int { return strings.Compare(a.ID, b.ID) })
	}
	return ls
}

// idsOf is the ids of ls, in order.
func idsOf(ls []Lease) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.ID
	}
	return out
}
