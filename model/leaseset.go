package model

import (
	"slices"
	"strings"
)

// leaseSet holds the leases directly under one node.
//
// Most leases arrive in listings, which Vault returns sorted, so they live
// in a slice sorted by key: 8 bytes a lease (a map costs several times
// that), binary search to find one, and a merge that allocates nothing
// when a re-listing brings no news. Leases that arrive by lookup alone go
// straight into the slice while it is small, and into a map once it is
// large, merged into the slice in batches, so many of them are not
// quadratic. Purged leases stay in the slice as tombstones until they are
// a quarter of it, so purging is amortised O(1) and not O(n) per tick.
type leaseSet struct {
	sorted []*Lease          // by key; may hold purged tombstones
	extra  map[string]*Lease // keys not in sorted; nil when empty
	dead   int               // tombstones in sorted
}

// directInsertMax is the size below which a new lease is inserted into the
// sorted slice at once: moving a few hundred pointers is cheaper than a map.
const directInsertMax = 512

func cmpKey(l *Lease, key string) int { return strings.Compare(l.key, key) }

// find returns the lease with key, a tombstone included, or nil.
func (s *leaseSet) find(key string) *Lease {
	if i, ok := slices.BinarySearchFunc(s.sorted, key, cmpKey); ok {
		return s.sorted[i]
	}
	return s.extra[key]
}

// add inserts a lease whose key is not in the set.
func (s *leaseSet) add(l *Lease) {
	if len(s.sorted) < directInsertMax && len(s.extra) == 0 {
		i, _ := slices.BinarySearchFunc(s.sorted, l.key, cmpKey)
		s.sorted = slices.Insert(s.sorted, i, l)
		return
	}
	if s.extra == nil {
		s.extra = map[string]*Lease{}
	}
	s.extra[l.key] = l
	if len(s.extra) > len(s.sorted)/4 {
		s.flush()
	}
}

// flush merges the map into the sorted slice and drops tombstones.
func (s *leaseSet) flush() {
	if len(s.extra) == 0 {
		return
	}
	add := make([]*Lease, 0, len(s.extra))
	for _, l := range s.extra {
		add = append(add, l)
	}
	slices.SortFunc(add, func(a, b *Lease) int { return strings.Compare(a.key, b.key) })
	merged := make([]*Lease, 0, len(s.sorted)-s.dead+len(add))
	i, j := 0, 0
	for i < len(s.sorted) || j < len(add) {
		if j == len(add) || i < len(s.sorted) && s.sorted[i].key < add[j].key {
			if s.sorted[i].flags&flagPurged == 0 {
				merged = append(merged, s.sorted[i])
			}
			i++
			continue
		}
		merged = append(merged, add[j])
		j++
	}
	s.sorted, s.extra, s.dead = merged, nil, 0
}

// remove takes a purged lease out of the set (or leaves a tombstone).
func (s *leaseSet) remove(l *Lease) {
	if s.extra[l.key] == l {
		delete(s.extra, l.key)
		if len(s.extra) == 0 {
			s.extra = nil
		}
		return
	}
	s.dead++
	if s.dead > 32 && s.dead > len(s.sorted)/4 {
		s.compact()
	}
}

// compact drops tombstones, and lets go of a backing array the set has
// shrunk far below.
//
// A set larger than directInsertMax is never edited in place, only
// replaced, so that a Gathering reading it across steps reads one version.
func (s *leaseSet) compact() {
	s.dead = 0
	if len(s.sorted) > directInsertMax {
		kept := make([]*Lease, 0, len(s.sorted)*3/4)
		for _, l := range s.sorted {
			if l.flags&flagPurged == 0 {
				kept = append(kept, l)
			}
		}
		s.sorted = kept
		return
	}
	s.sorted = slices.DeleteFunc(s.sorted, func(l *Lease) bool { return l.flags&flagPurged != 0 })
	if cap(s.sorted) > 64 && len(s.sorted) < cap(s.sorted)/4 {
		s.sorted = slices.Clone(s.sorted)
	}
}

// each calls fn for every lease in the set that is not purged (gone ones
// included), in no particular order.
func (s *leaseSet) each(fn func(*Lease)) {
	for _, l := range s.sorted {
		if l.flags&flagPurged == 0 {
			fn(l)
		}
	}
	for _, l := range s.extra {
		fn(l)
	}
}

// soonest is the earliest expiry of a live, looked-up lease; 0 for none.
func (s *leaseSet) soonest() int64 {
	var best int64
	s.each(func(l *Lease) {
		if l.expire != 0 && l.live() && (best == 0 || l.expire < best) {
			best = l.expire
		}
	})
	return best
}

// reconcile makes the set match a listing: ids are the listed full ids,
// sorted and unique, and skip the length of their common prefix. For each
// listed key already in the set (a tombstone included) it calls listed; for
// each lease in the set and not listed, unlisted; and for each id not in
// the set, create, whose lease it inserts. Tombstones are counted back to
// life before listed sees them (listed must revive them). When nothing is
// new it allocates nothing.
func (s *leaseSet) reconcile(ids []string, skip int, listed, unlisted func(*Lease), create func(id string) *Lease) {
	s.flush()
	added := 0
	i, j := 0, 0
	for i < len(s.sorted) || j < len(ids) {
		switch {
		case j == len(ids) || i < len(s.sorted) && s.sorted[i].key < ids[j][skip:]:
			if l := s.sorted[i]; l.flags&flagPurged == 0 {
				unlisted(l)
			}
			i++
		case i == len(s.sorted) || ids[j][skip:] < s.sorted[i].key:
			added++
			j++
		default:
			l := s.sorted[i]
			if l.flags&flagPurged != 0 {
				s.dead--
			}
			listed(l)
			i++
			j++
		}
	}
	if added == 0 {
		return
	}
	merged := make([]*Lease, 0, len(s.sorted)-s.dead+added)
	i, j = 0, 0
	for i < len(s.sorted) || j < len(ids) {
		switch {
		case j == len(ids) || i < len(s.sorted) && s.sorted[i].key < ids[j][skip:]:
			if s.sorted[i].flags&flagPurged == 0 {
				merged = append(merged, s.sorted[i])
			}
			i++
		case i == len(s.sorted) || ids[j][skip:] < s.sorted[i].key:
			merged = append(merged, create(ids[j]))
			j++
		default:
			merged = append(merged, s.sorted[i])
			i++
			j++
		}
	}
	s.sorted, s.dead = merged, 0
}
