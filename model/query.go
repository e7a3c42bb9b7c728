package model

import (
	"slices"
	"strings"
	"time"
)

// ChildSort orders a node's children in the tree.
type ChildSort int

const (
	// ByName is alphabetical.
	ByName ChildSort = iota
	// ByCount puts the prefix with the most leases first: the "where did
	// 40,000 leases come from" view.
	ByCount
)

// Children returns the children of path in the given order (nil when path
// is unknown). The slice is the caller's.
func (x *Index) Children(path string, by ChildSort) []*Node {
	n := x.nodes[path]
	if n == nil {
		return nil
	}
	out := slices.Clone(n.Children())
	if by == ByCount {
		slices.SortStableFunc(out, func(a, b *Node) int { return b.count - a.count })
	}
	return out
}

// SortKey orders leases in the table.
type SortKey int

const (
	// BySoonestExpiry: expiring first; leases without expiry after those,
	// leases not looked up yet last.
	BySoonestExpiry SortKey = iota
	// ByID is alphabetical by full id.
	ByID
	// ByIssueTime: newest first.
	ByIssueTime
	// ByLastRenewal: most recently renewed first; never renewed last.
	ByLastRenewal
)

// Query selects and orders leases.
type Query struct {
	Recursive bool   // every lease below, not only those directly under
	Filter    string // case-insensitive substring of the id
	// ExpiringWithin keeps leases whose TTL at Now is at most this (expired
	// ones included); 0 means no limit.
	ExpiringWithin time.Duration
	RenewableOnly  bool // renewable through sys/leases/renew (no token leases)
	Sort           SortKey
	Now            time.Time
}

// Leases returns the leases under path that match q, sorted: O(n log n)
// once per call. The UI calls it when the data or the query change, not
// per frame.
func (x *Index) Leases(path string, q Query) []*Lease {
	n := x.nodes[path]
	if n == nil {
		return nil
	}
	var out []*Lease
	filter := strings.ToLower(q.Filter)
	limit := q.Now.Add(q.ExpiringWithin).UnixNano()
	var visit func(*Node)
	visit = func(n *Node) {
		for _, l := range n.leases {
			if filter != "" && !strings.Contains(strings.ToLower(l.ID()), filter) {
				continue
			}
			if q.ExpiringWithin > 0 && (l.expire == 0 || l.expire > limit) {
				continue
			}
			if q.RenewableOnly && (!l.Renewable() || l.IsToken()) {
				continue
			}
			out = append(out, l)
		}
		if q.Recursive {
			for _, c := range n.children {
				visit(c)
			}
		}
	}
	visit(n)
	slices.SortFunc(out, comparator(q.Sort))
	return out
}

func comparator(k SortKey) func(a, b *Lease) int {
	byID := func(a, b *Lease) int {
		if c := strings.Compare(a.node.path, b.node.path); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	}
	// rank puts pending leases (unknown times) after known ones.
	rank := func(l *Lease) int {
		if l.Pending() {
			return 1
		}
		return 0
	}
	desc := func(get func(*Lease) int64) func(a, b *Lease) int {
		return func(a, b *Lease) int {
			if c := rank(a) - rank(b); c != 0 {
				return c
			}
			av, bv := get(a), get(b)
			switch {
			case av == bv:
				return byID(a, b)
			case av == 0:
				return 1
			case bv == 0:
				return -1
			case av > bv:
				return -1
			}
			return 1
		}
	}
	switch k {
	case ByID:
		return byID
	case ByIssueTime:
		return desc(func(l *Lease) int64 { return l.issue })
	case ByLastRenewal:
		return desc(func(l *Lease) int64 { return l.renewed })
	}
	return func(a, b *Lease) int {
		if c := rank(a) - rank(b); c != 0 {
			return c
		}
		switch {
		case a.expire == b.expire:
			return byID(a, b)
		case a.expire == 0:
			return 1
		case b.expire == 0:
			return -1
		case a.expire < b.expire:
			return -1
		}
		return 1
	}
}
