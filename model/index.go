package model

import (
	"math"
	"sort"
	"strings"
	"time"
)

// Node is one prefix in the tree.
type Node struct {
	path     string // full path ending in '/', "" for the root
	parent   *Node
	children map[string]*Node // by full path
	sorted   []*Node          // children by name; nil when stale
	leases   map[string]*Lease
	count    int // leases below, rolled up, gone ones excluded
	direct   int // leases directly here, gone ones excluded
	listed   bool
	err      string
	soonest  int64 // cached; valid when !dirty
	dirty    bool
}

// Path is the node's full prefix ("database/creds/readonly/").
func (n *Node) Path() string { return n.path }

// Name is the last segment ("readonly/"), or "/" for the root.
func (n *Node) Name() string {
	if n.path == "" {
		return "/"
	}
	p := strings.TrimSuffix(n.path, "/")
	return p[strings.LastIndexByte(p, '/')+1:] + "/"
}

// Parent is nil for the root.
func (n *Node) Parent() *Node { return n.parent }

// Count is every live lease under the node, at any depth.
func (n *Node) Count() int { return n.count }

// Direct is the live leases directly under the node.
func (n *Node) Direct() int { return n.direct }

// Listed reports whether the node was listed at least once.
func (n *Node) Listed() bool { return n.listed }

// Err is why the last listing of the node failed ("" when it did not); its
// last good data is kept.
func (n *Node) Err() string { return n.err }

// Children are the child prefixes, by name.
func (n *Node) Children() []*Node {
	if n.sorted == nil && len(n.children) > 0 {
		n.sorted = make([]*Node, 0, len(n.children))
		for _, c := range n.children {
			n.sorted = append(n.sorted, c)
		}
		sort.Slice(n.sorted, func(i, j int) bool { return n.sorted[i].path < n.sorted[j].path })
	}
	return n.sorted
}

// Soonest is the soonest expiry of any live lease below, zero for none. It
// is cached, and recomputed once after a change below.
func (n *Node) Soonest() time.Time {
	if n.dirty {
		s := int64(math.MaxInt64)
		for _, l := range n.leases {
			if l.expire != 0 && l.flags&(flagGone|flagPending) == 0 && l.expire < s {
				s = l.expire
			}
		}
		for _, c := range n.children {
			if cs := c.Soonest(); !cs.IsZero() && cs.UnixNano() < s {
				s = cs.UnixNano()
			}
		}
		if s == math.MaxInt64 {
			s = 0
		}
		n.soonest, n.dirty = s, false
	}
	return fromNanos(n.soonest)
}

// Index is the lease tree.
type Index struct {
	root  *Node
	nodes map[string]*Node
	gone  []*Lease // leases marked gone, to purge later without a full scan
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	root := &Node{children: map[string]*Node{}, leases: map[string]*Lease{}}
	return &Index{root: root, nodes: map[string]*Node{"": root}}
}

// Len is the number of live leases.
func (x *Index) Len() int { return x.root.count }

// Node returns the node at path, or nil.
func (x *Index) Node(path string) *Node { return x.nodes[path] }

// Root is the root node.
func (x *Index) Root() *Node { return x.root }

// ensure returns the node at path, creating it and its ancestors.
func (x *Index) ensure(path string) *Node {
	if n, ok := x.nodes[path]; ok {
		return n
	}
	parent := x.ensure(parentOf(path))
	n := &Node{path: path, parent: parent, children: map[string]*Node{}, leases: map[string]*Lease{}}
	parent.children[path] = n
	parent.sorted = nil
	x.nodes[path] = n
	return n
}

// parentOf is the parent prefix of a prefix ("a/b/" -> "a/").
func parentOf(path string) string {
	p := strings.TrimSuffix(path, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i+1]
	}
	return ""
}

// addCount changes the live count of n and its ancestors and marks their
// soonest expiry stale.
func addCount(n *Node, direct, delta int) {
	n.direct += direct
	for ; n != nil; n = n.parent {
		n.count += delta
		n.dirty = true
	}
}

func touch(n *Node) {
	for ; n != nil && !n.dirty; n = n.parent {
		n.dirty = true
	}
}

// ApplyListing records one level of a listing of prefix: its child
// prefixes (full paths ending in '/') and lease ids (full ids). Ids not
// seen before are added as pending (they count at once) and returned in
// newIDs, for a lookup; leases that were here and are not any more are
// marked gone and returned in goneIDs; child prefixes that vanished are
// dropped with everything under them. The same listing again returns
// nothing, so a steady-state refresh needs no lookups.
func (x *Index) ApplyListing(prefix string, childPrefixes, leaseIDs []string, now time.Time) (newIDs, goneIDs []string) {
	n := x.ensure(prefix)
	n.listed, n.err = true, ""

	keepChild := make(map[string]bool, len(childPrefixes))
	for _, cp := range childPrefixes {
		keepChild[cp] = true
		x.ensure(cp)
	}
	for path, c := range n.children {
		if !keepChild[path] {
			goneIDs = x.dropSubtree(c, goneIDs)
			delete(n.children, path)
			n.sorted = nil
		}
	}

	keep := make(map[string]bool, len(leaseIDs))
	for _, id := range leaseIDs {
		key := strings.TrimPrefix(id, prefix)
		keep[key] = true
		l, ok := n.leases[key]
		switch {
		case !ok:
			n.leases[key] = &Lease{node: n, key: key, flags: flagPending}
			addCount(n, 1, 1)
			newIDs = append(newIDs, id)
		case l.Gone():
			// Listed again (a poll raced a revocation): look it up anew.
			l.flags = l.flags&^flagGone | flagPending
			addCount(n, 1, 1)
			newIDs = append(newIDs, id)
		}
	}
	for key, l := range n.leases {
		if !keep[key] && !l.Gone() {
			x.markGone(l, now)
			goneIDs = append(goneIDs, l.ID())
		}
	}
	return newIDs, goneIDs
}

func (x *Index) dropSubtree(n *Node, gone []string) []string {
	for _, c := range n.children {
		gone = x.dropSubtree(c, gone)
	}
	for _, l := range n.leases {
		if !l.Gone() {
			gone = append(gone, l.ID())
			addCount(n, -1, -1)
		}
		l.flags |= flagGone
	}
	delete(x.nodes, n.path)
	return gone
}

// ApplyLease stores what a lookup said about a lease, adding it (and its
// prefix) when the listing was not seen.
func (x *Index) ApplyLease(info LeaseInfo) {
	n := x.ensure(PrefixOf(info.ID))
	key := strings.TrimPrefix(info.ID, n.path)
	l, ok := n.leases[key]
	if !ok {
		l = &Lease{node: n, key: key}
		n.leases[key] = l
		addCount(n, 1, 1)
	} else if l.Gone() {
		l.flags &^= flagGone
		addCount(n, 1, 1)
	}
	l.set(info)
	touch(n)
}

// Lease returns the lease with the full id, or nil.
func (x *Index) Lease(id string) *Lease {
	n := x.nodes[PrefixOf(id)]
	if n == nil {
		return nil
	}
	return n.leases[strings.TrimPrefix(id, n.path)]
}

// MarkGone flags a lease that vanished (revoked, expired): it stops
// counting and is shown struck out until PurgeGone drops it.
func (x *Index) MarkGone(id string, at time.Time) {
	if l := x.Lease(id); l != nil && !l.Gone() {
		x.markGone(l, at)
	}
}

func (x *Index) markGone(l *Lease, at time.Time) {
	l.flags |= flagGone
	l.flags &^= flagPending
	l.goneAt = at.UnixNano()
	addCount(l.node, -1, -1)
	x.gone = append(x.gone, l)
}

// PurgeGone drops leases marked gone before olderThan and says how many.
// It looks only at gone leases, so it is cheap to call every tick.
func (x *Index) PurgeGone(olderThan time.Time) int {
	cut := olderThan.UnixNano()
	kept, purged := x.gone[:0], 0
	for _, l := range x.gone {
		switch {
		case !l.Gone():
			// came back; no longer tracked here
		case l.goneAt < cut:
			if cur := l.node.leases[l.key]; cur == l {
				delete(l.node.leases, l.key)
			}
			purged++
		default:
			kept = append(kept, l)
		}
	}
	clear(x.gone[len(kept):])
	x.gone = kept
	return purged
}

// SetPrefixError records why listing prefix failed; its last good data
// stays. A later successful listing clears it.
func (x *Index) SetPrefixError(prefix, msg string) {
	x.ensure(prefix).err = msg
}
