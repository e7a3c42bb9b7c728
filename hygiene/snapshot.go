package hygiene

import (
	"slices"
	"strings"
	"time"

	"github.com/leasetop/leasetop/model"
)

// Lease is what the checks know of one lease, copied from the index. It is
// small, and shares its key with the index, because a million of them are
// copied when the checks run.
type Lease struct {
	Key   string // the id after its prefix (the key of Leases.ByPrefix)
	Known bool   // looked up: the times below are Vault's
	// Unix nanoseconds; 0 when unknown, never expires or never renewed.
	issued, expires, renewed int64
}

// Issued is when the lease was made; zero when not known.
func (l Lease) Issued() time.Time { return fromNanos(l.issued) }

// Expires is when the lease expires; zero when it never does (or is not
// known).
func (l Lease) Expires() time.Time { return fromNanos(l.expires) }

// Renewed is when the lease was last renewed; zero for never.
func (l Lease) Renewed() time.Time { return fromNanos(l.renewed) }

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func toNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// Leases is a copy of what a crawl found, so that the checks can run on
// another goroutine while the index goes on changing (the UI's refresh).
type Leases struct {
	ByPrefix map[string][]Lease // the leases directly under each prefix, by key
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
		c := Lease{Key: l.Key(), Known: !l.Pending()}
		if c.Known {
			c.issued, c.renewed = toNanos(l.IssueTime()), toNanos(l.LastRenewal())
			if l.HasExpiry() {
				c.expires = toNanos(l.ExpireTime())
			}
		}
		ls.ByPrefix[l.Prefix()] = append(ls.ByPrefix[l.Prefix()], c)
		ls.Total++
	})
	for _, g := range ls.ByPrefix {
		slices.SortFunc(g, func(a, b Lease) int { return strings.Compare(a.Key, b.Key) })
	}
	return ls
}

// idsOf is the full ids of the leases ls under prefix, in order.
func idsOf(prefix string, ls []Lease) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = prefix + l.Key
	}
	return out
}
