package model

import (
	"slices"
	"strings"
	"time"

	"github.com/leasetop/leasetop/leaseid"
)

// Index is the lease tree: every prefix a crawl has seen, the leases under
// each, and what the UI shows about them kept up to date as listings and
// lookups arrive.
//
// An Index is not safe for concurrent use. The Bubble Tea Update loop owns
// it; the goroutines that talk to Vault send it messages instead.
type Index struct {
	root  *Node
	nodes map[string]*Node // every attached node by path: the interned prefixes

	// gone holds leases marked gone, so PurgeGone never scans the tree;
	// goneMin is the earliest time among them, so a PurgeGone with nothing
	// old enough returns at once, which makes it free to call every tick.
	gone    []*Lease
	goneMin int64

	// version changes with the data, so a view can skip re-sorting after
	// a refresh that found nothing new.
	version uint64
}

// Version is a number that changes whenever the index does.
func (x *Index) Version() uint64 { return x.version }

// NewIndex returns an empty index holding only the root prefix "".
func NewIndex() *Index {
	root := &Node{}
	return &Index{root: root, nodes: map[string]*Node{"": root}}
}

// Len is the number of live leases (pending ones included, gone ones not):
// the total a header shows, read in O(1).
func (x *Index) Len() int { return x.root.count }

// Known is the number of live leases that were looked up, whose expiry is
// known; Len minus Known are listed and still pending. Read in O(1).
func (x *Index) Known() int { return x.root.known }

// Root is the node for "", the top of the tree.
func (x *Index) Root() *Node { return x.root }

// Node returns the node for a prefix ("database/creds/", "" for the root),
// or nil when the index does not know it.
func (x *Index) Node(path string) *Node { return x.nodes[path] }

// Lease returns the lease with the full id, gone ones included until they
// are purged, or nil: how the UI finds what an action's id refers to.
func (x *Index) Lease(id string) *Lease {
	n := x.nodes[leaseid.Prefix(id)]
	if n == nil {
		return nil
	}
	l := n.leases.find(id[len(n.path):])
	if l == nil || l.flags&flagPurged != 0 {
		return nil
	}
	return l
}

// ApplyListing records one level of a listing of prefix ("" for the root):
// its child prefixes (full paths ending in '/') and its lease ids (full
// ids), in any order. It returns the ids that need a lookup and those that
// vanished.
//
//   - Ids not seen before become pending leases: they count at once, so
//     totals fill in before lookups finish, and they are returned in newIDs.
//   - Leases that were directly under prefix and are not listed now are
//     marked gone (kept, flagged, until PurgeGone) and returned in goneIDs,
//     stamped with now.
//   - Child prefixes that vanished are dropped with their whole subtree;
//     their live leases are returned in goneIDs and stop counting.
//   - A successful listing clears the prefix's error (see SetPrefixError).
//
// The same listing again returns nothing and allocates nothing when Vault
// sorts it (it does), so a steady-state poll costs no lookups. Entries that
// are not directly under prefix are ignored; a prefix without its trailing
// '/' gets one.
func (x *Index) ApplyListing(prefix string, childPrefixes, leaseIDs []string, now time.Time) (newIDs, goneIDs []string) {
	prefix = leaseid.AsPrefix(prefix)
	n := x.ensure(prefix)
	if !n.listed || n.err != "" {
		x.version++
	}
	n.listed, n.err, n.listedAt = true, "", toNanos(now)
	goneIDs = x.reconcileChildren(n, childPrefixes, goneIDs)

	at, added := toNanos(now), 0
	if len(n.leases.sorted) == 0 && len(n.leases.extra) == 0 {
		// A first listing: every id is new (a million appends, grown
		// step by step, were a fifth of applying the first crawl's).
		newIDs = make([]string, 0, len(leaseIDs))
	}
	n.leases.reconcile(listedIDs(prefix, leaseIDs), len(prefix),
		func(l *Lease) {
			if !l.live() {
				// Listed again after it was marked gone (a poll raced
				// a revocation, or a lookup failed): look it up anew.
				l.reset()
				added++
				newIDs = append(newIDs, l.ID())
			}
		},
		func(l *Lease) {
			if l.live() {
				x.markGone(l, at)
				goneIDs = append(goneIDs, l.ID())
			}
		},
		func(id string) *Lease {
			added++
			newIDs = append(newIDs, id)
			return &Lease{node: n, key: strings.Clone(id[len(prefix):]), flags: flagPending}
		})
	if added > 0 {
		n.addLive(added)
	}
	if len(newIDs) > 0 || len(goneIDs) > 0 {
		x.version++
	}
	return newIDs, goneIDs
}

// reconcileChildren makes n's children match a listing, dropping vanished
// subtrees (their live lease ids appended to gone).
func (x *Index) reconcileChildren(n *Node, childPrefixes []string, gone []string) []string {
	want := listedChildren(n.path, childPrefixes)
	if slices.EqualFunc(n.children, want, func(c *Node, p string) bool { return c.path == p }) {
		return gone
	}
	x.version++
	out := make([]*Node, 0, len(want))
	i, j := 0, 0
	for i < len(n.children) || j < len(want) {
		switch {
		case j == len(want) || i < len(n.children) && n.children[i].path < want[j]:
			c := n.children[i]
			gone = x.drop(c, gone)
			for a := n; a != nil; a = a.parent {
				a.count -= c.count
				a.known -= c.known
			}
			n.markDirty(false)
			i++
		case i == len(n.children) || want[j] < n.children[i].path:
			c := &Node{path: strings.Clone(want[j]), parent: n}
			x.nodes[c.path] = c
			out = append(out, c)
			j++
		default:
			out = append(out, n.children[i])
			i++
			j++
		}
	}
	n.children = out
	return gone
}

// drop detaches a subtree: its nodes leave the index and its leases are
// flagged gone, so rows still holding them show them vanished.
func (x *Index) drop(n *Node, gone []string) []string {
	n.leases.each(func(l *Lease) {
		if l.live() {
			gone = append(gone, l.ID())
		}
		l.flags = l.flags&^flagPending | flagGone
	})
	for _, c := range n.children {
		gone = x.drop(c, gone)
	}
	n.detached = true
	delete(x.nodes, n.path)
	return gone
}

// ApplyLease stores what a lookup said about a lease: a pending lease gets
// its data, a known one is updated (after a renewal, say), one marked gone
// comes back (the lookup proves it exists), and one the index has not seen
// is added with its prefix, so lookups work without a listing. Ids ending
// in '/' are prefixes, not leases, and are ignored.
func (x *Index) ApplyLease(info LeaseInfo) {
	prefix, key := leaseid.Prefix(info.ID), leaseid.Key(info.ID)
	if key == "" {
		return
	}
	n := x.ensure(prefix)
	l := n.leases.find(key)
	switch {
	case l == nil:
		l = &Lease{node: n, key: strings.Clone(key)}
		n.leases.add(l)
		n.addLive(1)
		n.addKnown(1)
	case !l.live():
		if l.flags&flagPurged != 0 {
			n.leases.dead--
		}
		l.flags &^= flagGone | flagPurged
		n.addLive(1)
		n.addKnown(1)
	case l.Pending():
		n.addKnown(1)
	default:
		n.expiryRemoved(l.expire)
	}
	l.set(info)
	n.expiryAdded(l.expire)
	x.version++
}

// MarkGone flags a lease that vanished (revoked by us, or a lookup said it
// no longer exists): it stops counting at once, and stays visible, flagged,
// until PurgeGone drops it. Unknown ids and leases already gone are
// ignored, so it is safe to call twice.
func (x *Index) MarkGone(id string, at time.Time) {
	if l := x.Lease(id); l != nil && l.live() {
		x.markGone(l, toNanos(at))
	}
}

func (x *Index) markGone(l *Lease, at int64) {
	x.version++
	if !l.Pending() {
		l.node.addKnown(-1)
	}
	l.flags = l.flags&^flagPending | flagGone
	l.goneAt = at
	l.node.addLive(-1)
	l.node.expiryRemoved(l.expire)
	if len(x.gone) == 0 || at < x.goneMin {
		x.goneMin = at
	}
	x.gone = append(x.gone, l)
}

// PurgeGone drops leases marked gone before olderThan and says how many,
// so vanished rows linger a while and then leave. It looks only at gone
// leases, and returns at once when none is old enough, so the UI can call
// it every tick.
func (x *Index) PurgeGone(olderThan time.Time) int {
	cut := toNanos(olderThan)
	if len(x.gone) == 0 || cut <= x.goneMin {
		return 0
	}
	kept, purged := x.gone[:0], 0
	var low int64
	for _, l := range x.gone {
		switch {
		case l.flags&flagGone == 0 || l.flags&flagPurged != 0 || l.node.detached:
			// Came back, purged already, or dropped with its prefix.
		case l.goneAt < cut:
			l.flags |= flagPurged
			l.node.leases.remove(l)
			purged++
		default:
			if len(kept) == 0 || l.goneAt < low {
				low = l.goneAt
			}
			kept = append(kept, l)
		}
	}
	clear(x.gone[len(kept):])
	if cap(kept) > 1024 && len(kept) < cap(kept)/4 {
		kept = slices.Clone(kept)
	}
	x.gone, x.goneMin = kept, low
	if purged > 0 {
		x.version++
	}
	return purged
}

// SetPrefixError records why listing prefix failed, in words for the UI.
// The prefix keeps its last good data, flagged, until a later successful
// ApplyListing clears the error; an empty msg clears it too.
func (x *Index) SetPrefixError(prefix, msg string) {
	x.ensure(leaseid.AsPrefix(prefix)).err = msg
	x.version++
}

// ensure returns the node at path, creating it and its ancestors. A new
// node's path is a copy, so it does not pin the id or buffer it came from.
func (x *Index) ensure(path string) *Node {
	if n := x.nodes[path]; n != nil {
		return n
	}
	parent := x.ensure(leaseid.Parent(path))
	n := &Node{path: strings.Clone(path), parent: parent}
	parent.children = parent.withChild(n)
	x.nodes[n.path] = n
	x.version++
	return n
}

// listedIDs returns the ids directly under prefix, sorted and unique. It
// returns ids itself, uncopied, when it already is, as Vault's are.
func listedIDs(prefix string, ids []string) []string {
	return cleanSorted(ids, func(id string) bool {
		return len(id) > len(prefix) && strings.HasPrefix(id, prefix) &&
			strings.IndexByte(id[len(prefix):], '/') < 0
	})
}

// listedChildren returns the child prefixes directly under prefix, sorted
// and unique, uncopied when they already are.
func listedChildren(prefix string, paths []string) []string {
	return cleanSorted(paths, func(p string) bool {
		return len(p) > len(prefix) && strings.HasPrefix(p, prefix) && strings.HasSuffix(p, "/") &&
			strings.IndexByte(p[len(prefix):len(p)-1], '/') < 0
	})
}

func cleanSorted(in []string, ok func(string) bool) []string {
	clean := true
	for i, s := range in {
		if !ok(s) || i > 0 && in[i-1] >= s {
			clean = false
			break
		}
	}
	if clean {
		return in
	}
	out := make([]string, 0, len(in))
	for _, s := range in {
		if ok(s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
