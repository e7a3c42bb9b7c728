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
	ByPrefix map[string][]Lease // the leases directly under each prefix, by key once sorted (Sort)
	Shape    CrawlShape         // what the crawl asked of Vault
	Total    int

	prefixes []string            // the keys of ByPrefix in the index's walk order
	nodes    map[string]nodeInfo // every prefix of the index, copied or not
	failed   []nodeInfo          // the prefixes whose last listing failed, in walk order
}

// nodeInfo is what the checks read of one prefix of the index.
type nodeInfo struct {
	path          string
	count, direct int
	listed        bool
	err           string
}

func infoOf(n *model.Node) nodeInfo {
	return nodeInfo{path: n.Path(), count: n.Count(), direct: n.Direct(), listed: n.Listed(), err: n.Err()}
}

// Snapshot copies the live leases under path in idx. It reads idx, so it
// runs where idx may be read (the UI's own goroutine).
func Snapshot(idx *model.Index, path string) *Leases {
	ls := Copy(idx, path)
	ls.Sort()
	return ls
}

// Copy is the part of Snapshot that reads idx, which the UI takes on its
// update loop: each prefix's leases are in the index's order until Sort
// (on any goroutine) sorts them by key, as FindOrphans and FindPermanent
// need them.
func Copy(idx *model.Index, path string) *Leases {
	ls := &Leases{ByPrefix: map[string][]Lease{}, nodes: map[string]nodeInfo{}}
	if idx == nil {
		return ls
	}
	var walk func(n *model.Node)
	walk = func(n *model.Node) {
		in := infoOf(n)
		ls.nodes[in.path] = in
		if in.err != "" {
			ls.failed = append(ls.failed, in)
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(idx.Root())
	ls.Shape = shapeOfNodes(idx, path)
	// The index visits a prefix's leases one after another: one map
	// write a prefix, and each prefix's slice sized once.
	var cur []Lease
	prefix := ""
	flush := func() {
		if cur != nil {
			ls.ByPrefix[prefix] = cur
			ls.prefixes = append(ls.prefixes, prefix)
		}
	}
	idx.Each(path, func(l *model.Lease) {
		if p := l.Prefix(); cur == nil || p != prefix {
			flush()
			prefix, cur = p, make([]Lease, 0, ls.nodes[p].direct)
		}
		cur = append(cur, leaseOf(l))
		ls.Shape.RawKeyBytes += len(l.Key())
	})
	flush()
	for _, g := range ls.ByPrefix {
		ls.Total += len(g)
	}
	return ls
}

// leaseOf is what the checks keep of l.
func leaseOf(l *model.Lease) Lease {
	c := Lease{Key: l.Key(), Known: !l.Pending()}
	if c.Known {
		c.issued, c.renewed = toNanos(l.IssueTime()), toNanos(l.LastRenewal())
		if l.HasExpiry() {
			c.expires = toNanos(l.ExpireTime())
		}
	}
	return c
}

// Sort sorts each prefix's leases by key. It changes ls: nothing else may
// read ls meanwhile.
func (ls *Leases) Sort() {
	for _, g := range ls.ByPrefix {
		if !slices.IsSortedFunc(g, byKey) {
			slices.SortFunc(g, byKey)
		}
	}
}

func byKey(a, b Lease) int { return strings.Compare(a.Key, b.Key) }

// tree is what the checks over the whole index (LeasePerRead, Budgets)
// read: the index itself, on its goroutine, or a copy of it on any.
type tree interface {
	// each calls fn for every live lease, a prefix's leases one after
	// another.
	each(fn func(prefix string, l Lease))
	node(path string) (nodeInfo, bool)
	// refused are the prefixes whose last listing failed, in walk order.
	refused() []nodeInfo
}

type indexTree struct{ idx *model.Index }

func (t indexTree) each(fn func(string, Lease)) {
	t.idx.Each("", func(l *model.Lease) { fn(l.Prefix(), leaseOf(l)) })
}

func (t indexTree) node(path string) (nodeInfo, bool) {
	n := t.idx.Node(path)
	if n == nil {
		return nodeInfo{}, false
	}
	return infoOf(n), true
}

func (t indexTree) refused() []nodeInfo {
	var out []nodeInfo
	var walk func(n *model.Node)
	walk = func(n *model.Node) {
		if n.Err() != "" {
			out = append(out, infoOf(n))
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(t.idx.Root())
	return out
}

func (ls *Leases) each(fn func(string, Lease)) {
	for _, p := range ls.prefixes {
		for _, l := range ls.ByPrefix[p] {
			fn(p, l)
		}
	}
}

func (ls *Leases) node(path string) (nodeInfo, bool) {
	n, ok := ls.nodes[path]
	return n, ok
}

func (ls *Leases) refused() []nodeInfo { return ls.failed }

// idsOf is the full ids of the leases ls under prefix, in order.
func idsOf(prefix string, ls []Lease) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = prefix + l.Key
	}
	return out
}
