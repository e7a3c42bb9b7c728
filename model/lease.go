package model

import (
	"math"
	"time"

	"github.com/leasetop/leasetop/leaseid"
)

// LeaseInfo is a lease as one lookup describes it. It is the input form:
// the index keeps the same facts in a compact Lease.
type LeaseInfo struct {
	ID          string
	IssueTime   time.Time
	ExpireTime  time.Time // zero: the lease never expires
	LastRenewal time.Time // zero: never renewed
	Renewable   bool
	// TTL is what Vault reported. The index does not keep it: a stored
	// TTL would be stale a second later, so TTLs are computed from
	// ExpireTime (see Lease.TTL).
	TTL time.Duration
}

// Lease is the record the index keeps for one lease. It is compact so that
// 100,000 of them stay small: times are integers, the id is only the key
// after the prefix, and the prefix string is shared through the node.
//
// A *Lease stays valid after the index changes: a lease that vanishes is
// flagged Gone rather than freed, so a table row holding it can show it as
// vanished until the next query.
type Lease struct {
	node    *Node
	key     string // the id after the prefix; its own allocation
	issue   int64  // unix nanoseconds; 0 = unknown
	expire  int64  // unix nanoseconds; 0 = no expiry (or not looked up)
	renewed int64  // unix nanoseconds; 0 = never renewed
	goneAt  int64  // when it was marked gone, for PurgeGone
	flags   uint8
}

const (
	flagRenewable uint8 = 1 << iota
	flagPending         // listed, not looked up yet
	flagGone            // vanished from Vault; shown until purged
	flagPurged          // dropped from the index; kept only by old pointers
)

// ID is the full lease id, as Vault's API wants it. It is built on each
// call (prefix + key), so callers that compare or filter many leases use
// the index's own sorting and filtering instead.
func (l *Lease) ID() string { return l.node.path + l.key }

// Key is the id after its prefix: what a table shows under a prefix
// heading without repeating the prefix on every row.
func (l *Lease) Key() string { return l.key }

// Prefix is the path that issued the lease (ending in '/'), shared with
// every other lease of that path.
func (l *Lease) Prefix() string { return l.node.path }

// IssueTime is when Vault issued the lease; zero until it is looked up.
func (l *Lease) IssueTime() time.Time { return fromNanos(l.issue) }

// ExpireTime is when the lease expires; zero when it never does or is
// not looked up yet (HasExpiry and Pending tell the two apart).
func (l *Lease) ExpireTime() time.Time { return fromNanos(l.expire) }

// LastRenewal is when the lease was last renewed; zero for never.
func (l *Lease) LastRenewal() time.Time { return fromNanos(l.renewed) }

// Renewable is what Vault's lookup said. Token leases say true but still
// refuse sys/leases/renew, so a UI asks RenewBlockReason rather than this.
func (l *Lease) Renewable() bool { return l.flags&flagRenewable != 0 }

// Pending reports a lease that was listed but not looked up yet. It counts
// in the totals at once (so counts fill in before the lookups finish), but
// its times and renewability are unknown.
func (l *Lease) Pending() bool { return l.flags&flagPending != 0 }

// Gone reports a lease that vanished from Vault (revoked, or expired and
// cleaned up). It no longer counts, and stays only until PurgeGone so the
// UI can show it struck out rather than have a row disappear silently.
func (l *Lease) Gone() bool { return l.flags&(flagGone|flagPurged) != 0 }

// IsToken reports a token lease (a login, or auth/token/create). Their
// lookups say "renewable", but they renew through auth/token/renew, not
// sys/leases/renew, so the UI must tell them apart.
func (l *Lease) IsToken() bool { return leaseid.IsToken(l.node.path) }

// HasExpiry reports whether the lease has a known expiry: false for leases
// that never expire and for leases not looked up yet.
func (l *Lease) HasExpiry() bool { return l.expire != 0 }

// TTL is the time left at now, computed locally from the expiry so a UI
// tick needs no Vault call. It is negative for an expired lease awaiting
// revocation and zero when the lease has no expiry (check HasExpiry).
func (l *Lease) TTL(now time.Time) time.Duration {
	if l.expire == 0 {
		return 0
	}
	return fromNanos(l.expire).Sub(now)
}

// set stores a lookup's facts; the lease is no longer pending.
func (l *Lease) set(info LeaseInfo) {
	l.issue = toNanos(info.IssueTime)
	l.expire = toNanos(info.ExpireTime)
	l.renewed = toNanos(info.LastRenewal)
	l.flags &^= flagPending | flagRenewable
	if info.Renewable {
		l.flags |= flagRenewable
	}
}

// reset makes the lease a freshly listed one: counted, not looked up.
// Old facts are dropped rather than shown as if they were current.
func (l *Lease) reset() {
	l.issue, l.expire, l.renewed, l.goneAt = 0, 0, 0, 0
	l.flags = flagPending
}

// live reports a lease that counts: not gone, not purged.
func (l *Lease) live() bool { return l.flags&(flagGone|flagPurged) == 0 }

// Times are kept as unix nanoseconds with 0 meaning "none". Times outside
// what an int64 of nanoseconds holds (before 1678, after 2262) are clamped
// instead of wrapping, and the instant 0 itself is nudged by a nanosecond
// so it does not read as "none".
var (
	minTime = time.Unix(0, math.MinInt64+1)
	maxTime = time.Unix(0, math.MaxInt64)
)

func toNanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.Before(minTime):
		return math.MinInt64 + 1
	case t.After(maxTime):
		return math.MaxInt64
	}
	if n := t.UnixNano(); n != 0 {
		return n
	}
	return 1
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}
