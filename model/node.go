package model

import (
	"slices"
	"strings"
	"time"

	"github.com/leasetop/leasetop/leaseid"
)

// Node is one prefix in the lease tree, with what the tree view shows
// about it kept ready: counts rolled up as data arrives and the soonest
// expiry below it, recomputed only when something below changed.
type Node struct {
	path     string // full prefix ending in '/'; "" for the root
	parent   *Node
	children []*Node // by path; replaced, never changed in place
	leases   leaseSet

	count  int // live leases at any depth below (pending included)
	direct int // live leases directly here
	known  int // live leases at any depth below that were looked up

	listed   bool   // listed successfully at least once
	listedAt int64  // when it was last listed successfully (unix ns)
	err      string // why the last listing failed; "" when it did not
	detached bool   // dropped from the index with its subtree

	// Soonest expiry, cached: own is this node's leases, soonest the whole
	// subtree. A dirty node's ancestors are all dirty, so a change marks a
	// path up to the first dirty node and a read recomputes only that path.
	ownSoonest, soonest int64
	ownDirty, dirty     bool
}

// Path is the full prefix ("database/creds/readonly/"), or "" for the
// root. It is the key for Index.Node and the prefix of every lease id
// directly under the node.
func (n *Node) Path() string { return n.path }

// Name is the last segment ("readonly/"), what a tree shows indented under
// the parent; "/" for the root.
func (n *Node) Name() string {
	if n.path == "" {
		return "/"
	}
	return leaseid.Name(n.path)
}

// Parent is the enclosing prefix, nil for the root: for walking up from a
// selection.
func (n *Node) Parent() *Node { return n.parent }

// Children are the child prefixes, ordered by name. The slice is shared
// and read-only: the index replaces it instead of changing it, so one
// handed out stays valid (and stale) when the tree changes.
func (n *Node) Children() []*Node { return n.children }

// Count is the live leases at any depth below the node, pending ones
// included, so totals fill in before lookups finish. It is kept up to
// date as data arrives, so reading it costs nothing.
func (n *Node) Count() int { return n.count }

// Known is the live leases at any depth below the node that were looked
// up, so their expiry (or that they never expire) is known: Count minus
// Known are still pending. Like Count it is kept up to date as data
// arrives, so a screen can say how complete its TTLs are at no cost.
func (n *Node) Known() int { return n.known }

// Direct is the live leases directly under the node, not in its children.
func (n *Node) Direct() int { return n.direct }

// Listed reports whether the node was listed at least once; a node that
// was not is known only from a parent listing or a lookup, and its counts
// may be incomplete.
func (n *Node) Listed() bool { return n.listed }

// Err is why the last listing of the node failed, "" when it did not. The
// node keeps its last good data, so the UI can show it flagged as stale.
func (n *Node) Err() string { return n.err }

// ListedAt is when the prefix was last listed successfully; zero if never.
func (n *Node) ListedAt() time.Time { return fromNanos(n.listedAt) }

// Soonest is the soonest expiry of any live, looked-up lease below the
// node (expired ones included), zero for none: what the tree shows beside
// a count. It is cached; after a change only the changed path is
// recomputed, once.
func (n *Node) Soonest() time.Time { return fromNanos(n.soonestNanos()) }

func (n *Node) soonestNanos() int64 {
	if n.dirty {
		if n.ownDirty {
			n.ownSoonest, n.ownDirty = n.leases.soonest(), false
		}
		s := n.ownSoonest
		for _, c := range n.children {
			if cs := c.soonestNanos(); cs != 0 && (s == 0 || cs < s) {
				s = cs
			}
		}
		n.soonest, n.dirty = s, false
	}
	return n.soonest
}

// markDirty makes the soonest expiry of n's subtree (and of n's own leases
// when own) stale, up to the first ancestor already stale.
func (n *Node) markDirty(own bool) {
	if own {
		n.ownDirty = true
	}
	for a := n; a != nil && !a.dirty; a = a.parent {
		a.dirty = true
	}
}

// expiryAdded records that a live lease of n now expires at e.
func (n *Node) expiryAdded(e int64) {
	if e == 0 {
		return
	}
	if !n.ownDirty && (n.ownSoonest == 0 || e < n.ownSoonest) {
		n.ownSoonest = e
	}
	for a := n; a != nil && !a.dirty; a = a.parent {
		if a.soonest != 0 && a.soonest <= e {
			break
		}
		a.soonest = e
	}
}

// expiryRemoved records that a live lease of n no longer expires at e
// (gone, renewed, or reset). Only removing the soonest costs a recompute.
func (n *Node) expiryRemoved(e int64) {
	if e != 0 && (n.ownDirty || e <= n.ownSoonest) {
		n.markDirty(true)
	}
}

// addLive changes the live count of n and its ancestors.
func (n *Node) addLive(delta int) {
	n.direct += delta
	for a := n; a != nil; a = a.parent {
		a.count += delta
	}
}

// addKnown changes the looked-up count of n and its ancestors.
func (n *Node) addKnown(delta int) {
	for a := n; a != nil; a = a.parent {
		a.known += delta
	}
}

// withChild returns n's children with c inserted in order, as a new slice.
func (n *Node) withChild(c *Node) []*Node {
	i, _ := slices.BinarySearchFunc(n.children, c.path, func(x *Node, p string) int { return strings.Compare(x.path, p) })
	out := make([]*Node, 0, len(n.children)+1)
	out = append(out, n.children[:i]...)
	out = append(out, c)
	return append(out, n.children[i:]...)
}
