package model

import (
	"bytes"
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leasetop/leasetop/leaseid"
)

// ChildSort orders a node's children in the tree view.
type ChildSort int

const (
	// ByName is alphabetical, for finding a known path.
	ByName ChildSort = iota
	// ByCount puts the prefix with the most leases first, ties by name:
	// the "where did 40,000 leases come from" view.
	ByCount
)

// Children returns the children of path in the given order, nil when path
// is unknown. The slice is the caller's; it costs O(k log k) for k
// children, with counts read from the nodes, not recounted.
func (x *Index) Children(path string, by ChildSort) []*Node {
	n := x.nodes[path]
	if n == nil {
		return nil
	}
	out := slices.Clone(n.children)
	if by == ByCount {
		slices.SortStableFunc(out, func(a, b *Node) int { return cmp.Compare(b.count, a.count) })
	}
	return out
}

// SortKey orders leases in the table.
type SortKey int

const (
	// BySoonestExpiry puts the leases that expire first (expired ones
	// first of all) at the top, where trouble is; then leases that never
	// expire, then leases not looked up yet, whose expiry is unknown. It is
	// the zero value, the default.
	BySoonestExpiry SortKey = iota
	// ByID is alphabetical by full id, for finding a known lease.
	ByID
	// ByIssueTime puts the newest leases first, to see what just arrived;
	// leases not looked up yet last.
	ByIssueTime
	// ByLastRenewal puts the most recently renewed first, then those never
	// renewed, then those not looked up yet.
	ByLastRenewal
)

// Query selects and orders leases for the table. The zero Query is the
// leases directly under a prefix, soonest expiry first.
//
// Leases marked gone match like any other until they are purged, so a row
// that vanishes shows flagged rather than disappearing unexplained.
type Query struct {
	// Recursive takes every lease below the prefix, not only those
	// directly under it.
	Recursive bool
	// Filter keeps ids that contain it, ignoring case; "" keeps all.
	Filter string
	// ExpiringWithin keeps looked-up leases whose TTL at Now is at most
	// this, expired ones included; 0 (or less) means no limit.
	ExpiringWithin time.Duration
	// RenewableOnly keeps leases Vault calls renewable, minus token leases
	// (they cannot be renewed through sys/leases/renew); leases not looked
	// up yet are left out because their renewability is unknown.
	RenewableOnly bool
	// Sort orders the result.
	Sort SortKey
	// Now is the time ExpiringWithin counts from; zero means time.Now().
	Now time.Time
}

// Leases returns the leases under path that match q, sorted; nil when path
// is unknown. It costs O(n log n) in the leases it looks at, once per call:
// the UI calls it when the data or the query change, not per frame, and
// keeps the slice (which is the caller's).
func (x *Index) Leases(path string, q Query) []*Lease { return x.Collect(path, q)() }

// Collect gathers the leases under path that match q, each with its sort
// key, in O(n), and returns the O(n log n) rest: the sort, which reads
// nothing the index changes (keys and ids only), so it may run on another
// goroutine while the index goes on changing.
func (x *Index) Collect(path string, q Query) (sort func() []*Lease) {
	g := x.Gather(path, q)
	g.Step(-1)
	return g.Sort
}

// A Gathering is a Collect done in steps, for a UI that must answer keys
// while it gathers a million rows (about 100 ms at once): each Step looks
// at a bounded number of leases, and the index may change between steps.
// Changes between steps cost only staleness, never a lease twice: a
// prefix it has not reached is read as it is then, one it has read stays
// as it was, and a large prefix read across steps is read from the slice
// it had when the gathering reached it (the index replaces a large
// prefix's slice rather than editing it; see leaseSet). The caller
// gathers again when the data changed, as it would after Collect.
type Gathering struct {
	q     Query
	f     *filter
	rows  []sortRow
	ends  []int32 // by node number: the number of its last descendant
	stack []gatherItem
	part  gatherPart // the prefix being read, if its leases are not all read
	done  bool
}

// gatherItem is a prefix to visit, or (close) the end of node num's
// subtree in the depth-first numbering.
type gatherItem struct {
	n     *Node
	close bool
	num   int32
}

type gatherPart struct {
	leases []*Lease
	off    int
	num    int32
	all    bool
	tail   string
}

// Gather starts a Collect that is done by Step. An unknown path gathers
// nothing.
func (x *Index) Gather(path string, q Query) *Gathering {
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	g := &Gathering{q: q, f: newFilter(q, toNanos(q.Now))}
	n := x.nodes[path]
	if n == nil {
		g.done = true
		return g
	}
	size := n.direct
	if q.Recursive {
		size = n.count
	}
	if q.Filter != "" || q.ExpiringWithin > 0 || q.RenewableOnly {
		size = min(size, 1024) // likely a few: let append grow it
	}
	g.rows = make([]sortRow, 0, size)
	g.stack = []gatherItem{{n: n}}
	return g
}

// Step reads about budget leases (all of them when budget < 0) and
// reports whether the gathering is complete.
func (g *Gathering) Step(budget int) (done bool) {
	if budget < 0 {
		budget = math.MaxInt
	}
	for !g.done && budget > 0 {
		if p := &g.part; p.off < len(p.leases) {
			end := min(len(p.leases), p.off+budget)
			g.read(p.leases, p.off, end, p.num, p.all, p.tail)
			budget -= end - p.off
			p.off = end
			continue
		}
		if len(g.stack) == 0 {
			g.done = true
			break
		}
		it := g.stack[len(g.stack)-1]
		g.stack = g.stack[:len(g.stack)-1]
		if it.close {
			g.ends[it.num] = int32(len(g.ends) - 1)
			continue
		}
		budget--
		g.visit(it.n)
	}
	return g.done
}

// visit numbers n, queues its subtree, and starts on its own leases.
func (g *Gathering) visit(n *Node) {
	q := g.q
	num := int32(len(g.ends))
	g.ends = append(g.ends, num)
	g.stack = append(g.stack, gatherItem{close: true, num: num})
	if q.Recursive {
		for i := len(n.children) - 1; i >= 0; i-- {
			g.stack = append(g.stack, gatherItem{n: n.children[i]})
		}
	}
	if q.RenewableOnly && leaseid.IsToken(n.path) {
		return
	}
	all, tail := g.f.node(n.path)
	for _, l := range n.leases.extra {
		if g.f.keep(l, all, tail) {
			g.rows = append(g.rows, newSortRow(l, q.Sort, num, -1))
		}
	}
	leases := n.leases.sorted
	if len(leases) <= directInsertMax {
		// A small set may be edited in place (see leaseSet.add): read it now.
		g.read(leases, 0, len(leases), num, all, tail)
		leases = nil
	}
	g.part = gatherPart{leases: leases, num: num, all: all, tail: tail}
}

// read gathers leases[from:to] of node num, those the query keeps.
func (g *Gathering) read(leases []*Lease, from, to int, num int32, all bool, tail string) {
	for i := from; i < to; i++ {
		if l := leases[i]; l.flags&flagPurged == 0 && g.f.keep(l, all, tail) {
			g.rows = append(g.rows, newSortRow(l, g.q.Sort, num, int32(i)))
		}
	}
}

// Sort orders what was gathered (all of it, once Step reported done). It
// reads no lease field the index changes, so it may run on another
// goroutine; call it once.
func (g *Gathering) Sort() []*Lease {
	rows, ends := g.rows, g.ends
	slices.SortFunc(rows, func(a, b sortRow) int {
		if a.k != b.k {
			return cmp.Compare(a.k, b.k)
		}
		return compareRowIDs(a, b, ends)
	})
	out := make([]*Lease, len(rows))
	for i, r := range rows {
		out[i] = r.l
	}
	return out
}

// sortRow is a lease with its sort key worked out once, so that most of
// the O(n log n) comparisons compare one integer, not fields behind
// pointers. It is three words, which keeps comparing and swapping cheap.
type sortRow struct {
	k    int64 // the sort key, with leases lacking a value after the rest
	l    *Lease
	node int32 // the node's number in a depth-first walk by name
	pos  int32 // the lease's place in its node's key order; -1: unknown
}

// Keys at the top of the range, after every real value, order the leases
// that have none: those that have no such time, then those not looked up.
const (
	keyNoValue = math.MaxInt64 - 1
	keyPending = math.MaxInt64
	keyMax     = math.MaxInt64 - 2 // the latest real value
)

func newSortRow(l *Lease, by SortKey, node, pos int32) sortRow {
	r := sortRow{l: l, node: node, pos: pos}
	var v int64
	switch by {
	case ByID:
		return r
	case ByIssueTime:
		v = l.issue
	case ByLastRenewal:
		v = l.renewed
	default:
		v = l.expire
	}
	switch {
	case l.Pending():
		r.k = keyPending
	case v == 0:
		r.k = keyNoValue
	case by == BySoonestExpiry:
		r.k = min(v, keyMax)
	default:
		r.k = min(-v, keyMax) // newest first; v > math.MinInt64, see toNanos
	}
	return r
}

// compareRowIDs orders two rows by full lease id, mostly without looking
// at strings. A depth-first walk with children by name visits prefixes in
// string order, so leases of two unrelated prefixes compare as their node
// numbers, and leases of one node as their places in its sorted keys. Only
// a prefix against one of its own descendants ("a/" + "z" against
// "a/b/" + "c") needs the strings.
func compareRowIDs(a, b sortRow, ends []int32) int {
	if a.node == b.node {
		if a.pos >= 0 && b.pos >= 0 {
			return cmp.Compare(a.pos, b.pos)
		}
		return strings.Compare(a.l.key, b.l.key)
	}
	if lo, hi := min(a.node, b.node), max(a.node, b.node); ends[lo] < hi {
		return cmp.Compare(a.node, b.node)
	}
	return compareIDs(a.l, b.l)
}

// compareIDs orders leases by full id without building the ids.
func compareIDs(a, b *Lease) int {
	if a.node == b.node {
		return strings.Compare(a.key, b.key)
	}
	return compareJoined(a.node.path, a.key, b.node.path, b.key)
}

// compareJoined compares a1+a2 with b1+b2.
func compareJoined(a1, a2, b1, b2 string) int {
	for {
		if a1 == "" {
			a1, a2 = a2, ""
		}
		if b1 == "" {
			b1, b2 = b2, ""
		}
		if a1 == "" || b1 == "" {
			return cmp.Compare(len(a1), len(b1))
		}
		n := min(len(a1), len(b1))
		if c := strings.Compare(a1[:n], b1[:n]); c != 0 {
			return c
		}
		a1, b1 = a1[n:], b1[n:]
	}
}

// filter applies a Query's conditions without allocating per lease.
type filter struct {
	needle    string // lower-cased Filter; "" for none
	needleB   []byte
	within    bool // ExpiringWithin is set: keep expiries up to limit
	limit     int64
	renewable bool
	buf       []byte
}

func newFilter(q Query, now int64) *filter {
	f := &filter{needle: strings.ToLower(q.Filter), renewable: q.RenewableOnly}
	f.needleB = []byte(f.needle)
	if q.ExpiringWithin > 0 {
		f.within, f.limit = true, now+int64(q.ExpiringWithin)
		if f.limit < now {
			f.limit = math.MaxInt64 // past 2262: no expiry is that late
		}
	}
	return f
}

// node prepares the id filter for the leases of one prefix: all reports
// that the prefix itself matches, and tail is the end of the lower-cased
// prefix that a match spanning prefix and key could start in.
func (f *filter) node(path string) (all bool, tail string) {
	if f.needle == "" {
		return true, ""
	}
	lower := strings.ToLower(path)
	if strings.Contains(lower, f.needle) {
		return true, ""
	}
	return false, lower[max(0, len(lower)-len(f.needle)+1):]
}

func (f *filter) keep(l *Lease, all bool, tail string) bool {
	if f.within && (l.expire == 0 || l.expire > f.limit) {
		return false
	}
	if f.renewable && l.flags&(flagRenewable|flagPending) != flagRenewable {
		return false
	}
	return all || f.matchKey(tail, l.key)
}

// matchKey reports whether the needle occurs in tail + lower(key). ASCII
// keys (Vault's are) are lowered into a reused buffer; others take the
// allocating path.
func (f *filter) matchKey(tail, key string) bool {
	n := len(tail) + len(key)
	if cap(f.buf) < n {
		f.buf = make([]byte, n, 2*n)
	}
	buf := f.buf[:n]
	copy(buf, tail)
	out := buf[len(tail):]
	for i := 0; i < len(key) && i < len(out); i++ {
		c := key[i]
		if c >= utf8.RuneSelf {
			return strings.Contains(tail+strings.ToLower(key), f.needle)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return bytes.Contains(buf, f.needleB)
}

// Each calls fn for every live lease below path (gone ones left out), in
// no particular order and without sorting: O(n) for a roll-up that only
// counts, such as grouping by owner.
func (x *Index) Each(path string, fn func(*Lease)) {
	n := x.nodes[path]
	if n == nil {
		return
	}
	var visit func(*Node)
	visit = func(n *Node) {
		n.leases.each(func(l *Lease) {
			if l.live() {
				fn(l)
			}
		})
		for _, c := range n.children {
			visit(c)
		}
	}
	visit(n)
}
