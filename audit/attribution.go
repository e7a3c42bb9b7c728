package audit

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leasetop/leasetop/leaseid"
)

// Attribution maps lease ids to owners. Owners are interned (many leases
// share one *Owner), so memory grows with distinct owners plus one small
// entry per lease. It is safe for concurrent use: the UI's update loop
// adds to it while the hygiene checks read it on another goroutine, each
// lookup under a read lock of its own so that an Add waits for one lookup
// at most. Owners it hands out must not be modified.
type Attribution struct {
	mu sync.RWMutex
	// Lease ids are held as prefix and key: a prefix (the path that made
	// the lease, shared by thousands) is stored once, and each lease keeps
	// only its key, about half its id.
	leases map[string]map[string]lease
	n      int
	owners map[string]*interned
	byPtr  map[*Owner]*interned // every pointer Add was given for a held owner
	since  time.Time
}

type lease struct {
	o    *interned
	unix int64 // creation time, ns since 1970 UTC
}

type interned struct {
	o       *Owner
	refs    int
	aliases []*Owner // other pointers to an equal owner, in byPtr
}

// NewAttribution returns an empty Attribution.
func NewAttribution() *Attribution {
	return &Attribution{leases: map[string]map[string]lease{}, owners: map[string]*interned{}, byPtr: map[*Owner]*interned{}}
}

// Add records e. A later entry for the same lease id wins only if it is
// newer. Entries without an Owner or lease id are ignored.
func (a *Attribution) Add(e Entry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.add(e)
}

func (a *Attribution) add(e Entry) {
	if e.LeaseID == "" || e.Owner == nil {
		return
	}
	if !e.Time.IsZero() && (a.since.IsZero() || e.Time.Before(a.since)) {
		a.since = e.Time
	}
	t := e.Time.UnixNano()
	if e.Time.IsZero() {
		t = 0
	}
	prefix, key := leaseid.Prefix(e.LeaseID), leaseid.Key(e.LeaseID)
	byKey := a.leases[prefix]
	if byKey == nil {
		byKey = map[string]lease{}
		a.leases[strings.Clone(prefix)] = byKey
	}
	old, had := byKey[key]
	if had && t <= old.unix {
		return
	}
	in := a.intern(e.Owner)
	in.refs++
	if had {
		a.release(old.o)
	} else {
		a.n++
		key = strings.Clone(key) // not the whole id, nor the line it came from
	}
	byKey[key] = lease{o: in, unix: t}
}

// AddAll adds a batch, as Read and Follow emit them.
func (a *Attribution) AddAll(es []Entry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range es {
		a.add(e)
	}
}

// Owner returns who made leaseID and when.
func (a *Attribution) Owner(leaseID string) (*Owner, time.Time, bool) {
	a.mu.RLock()
	l, ok := a.leases[leaseid.Prefix(leaseID)][leaseid.Key(leaseID)]
	var o *Owner
	if ok {
		o = l.o.o
	}
	a.mu.RUnlock()
	if !ok {
		return nil, time.Time{}, false
	}
	return o, l.made(), true
}

// made is when the lease was created; zero if unknown.
func (l lease) made() time.Time {
	if l.unix == 0 {
		return time.Time{}
	}
	return time.Unix(0, l.unix).UTC()
}

// Len is the number of leases with an owner.
func (a *Attribution) Len() int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.n
}

// Owners is the number of distinct owners held.
func (a *Attribution) Owners() int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return len(a.owners)
}

// Retain drops the leases keep rejects (no longer live) and owners no
// lease refers to any more. It returns how many leases it dropped. keep
// runs under a's lock and must not call a's methods (RetainMade hands it
// the creation time).
func (a *Attribution) Retain(keep func(leaseID string) bool) int {
	return a.RetainMade(func(id string, _ time.Time) bool { return keep(id) })
}

// RetainMade is Retain with each lease's creation time (zero if unknown),
// as Owner would give it.
func (a *Attribution) RetainMade(keep func(leaseID string, made time.Time) bool) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	dropped := 0
	for prefix, byKey := range a.leases {
		n := 0
		for key, l := range byKey {
			if !keep(prefix+key, l.made()) {
				delete(byKey, key)
				a.release(l.o)
				n++
			}
		}
		switch {
		case len(byKey) == 0:
			delete(a.leases, prefix)
		case n > len(byKey)/4:
			// Go maps never shrink: copy what is left into one sized
			// for it, so the memory follows the live leases.
			// (maps.Clone would keep the old table's size.)
			fresh := make(map[string]lease, len(byKey))
			for k, l := range byKey {
				fresh[k] = l
			}
			a.leases[prefix] = fresh
		}
		dropped += n
	}
	a.n -= dropped
	return dropped
}

// Since is the earliest time seen (entries, and starts given to
// SeenFrom): leases created before it have no owner because the log starts
// later. Zero when nothing was seen.
func (a *Attribution) Since() time.Time {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.since
}

// SeenFrom tells a that the log it reads covers time from t on (e.g.
// Stats.First, the first line of the log, lease or not), moving Since
// earlier if t is.
func (a *Attribution) SeenFrom(t time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !t.IsZero() && (a.since.IsZero() || t.Before(a.since)) {
		a.since = t
	}
}

func (a *Attribution) intern(o *Owner) *interned {
	// Read and Follow hand out one pointer per owner: most Adds end here.
	if in, ok := a.byPtr[o]; ok {
		return in
	}
	k := ownerKey(o)
	if in, ok := a.owners[k]; ok {
		in.aliases = append(in.aliases, o)
		a.byPtr[o] = in
		return in
	}
	in := &interned{o: o}
	a.owners[k] = in
	a.byPtr[o] = in
	return in
}

func (a *Attribution) release(in *interned) {
	in.refs--
	if in.refs <= 0 {
		delete(a.owners, ownerKey(in.o))
		delete(a.byPtr, in.o)
		for _, o := range in.aliases {
			delete(a.byPtr, o)
		}
	}
}

// ownerKey is a string equal for equal owners.
func ownerKey(o *Owner) string {
	var b strings.Builder
	field := func(s string) {
		b.WriteString(s)
		b.WriteByte(0)
	}
	field(o.EntityID)
	field(o.DisplayName)
	field(o.RemoteAddr)
	field(o.UserAgent)
	field(o.Mount)
	field(o.MountType)
	field(o.Path)
	field(o.ClientID)
	b.WriteByte(1)
	for _, p := range o.Policies {
		field(p)
	}
	b.WriteByte(1)
	keys := make([]string, 0, len(o.Metadata))
	for k := range o.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		field(k)
		field(o.Metadata[k])
	}
	return b.String()
}
