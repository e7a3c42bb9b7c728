// Package model is leasetop's lease index: a prefix tree of leases with
// rolled-up counts and soonest expiries, sorting and filtering, and the
// rules about leases (urgency, why a lease cannot be renewed, how TTLs
// print). It knows neither the terminal nor HTTP, so it is tested with
// plain values, and it is not safe for concurrent use: the UI's Update
// loop owns it.
package model

import (
	"strings"
	"time"
)

// LeaseInfo is a lease as a lookup describes it: the input form.
type LeaseInfo struct {
	ID          string
	IssueTime   time.Time
	ExpireTime  time.Time // zero: never expires
	LastRenewal time.Time // zero: never renewed
	Renewable   bool
	TTL         time.Duration
}

// Lease is the compact record the index keeps for each lease: times as
// integers, the prefix shared through its node, no maps of its own. At
// 100,000 leases that is what keeps leasetop small.
type Lease struct {
	node    *Node
	key     string // the id after the prefix
	issue   int64  // unix nanoseconds; 0 = unknown
	expire  int64  // 0 = no expiry
	renewed int64  // 0 = never
	goneAt  int64
	flags   uint8
}

const (
	flagRenewable uint8 = 1 << iota
	flagPending         // listed, not looked up yet
	flagGone            // vanished from Vault; shown briefly
)

// ID is the full lease id.
func (l *Lease) ID() string { return l.node.path + l.key }

// Key is the id after its prefix.
func (l *Lease) Key() string { return l.key }

// Prefix is the path that created the lease, ending in '/'.
func (l *Lease) Prefix() string { return l.node.path }

// IssueTime is when Vault issued the lease (zero until looked up).
func (l *Lease) IssueTime() time.Time { return fromNanos(l.issue) }

// ExpireTime is when the lease expires; zero for none.
func (l *Lease) ExpireTime() time.Time { return fromNanos(l.expire) }

// LastRenewal is the last renewal; zero for never.
func (l *Lease) LastRenewal() time.Time { return fromNanos(l.renewed) }

// Renewable is what Vault's lookup said (token leases say true but still
// refuse sys/leases/renew: see RenewBlockReason).
func (l *Lease) Renewable() bool { return l.flags&flagRenewable != 0 }

// Pending reports a lease that was listed but not looked up yet: it counts,
// but its times are unknown.
func (l *Lease) Pending() bool { return l.flags&flagPending != 0 }

// Gone reports a lease that vanished from Vault (revoked or expired).
func (l *Lease) Gone() bool { return l.flags&flagGone != 0 }

// IsToken reports a token lease (a login or auth/token/create).
func (l *Lease) IsToken() bool { return strings.HasPrefix(l.node.path, "auth/") }

// HasExpiry reports whether the lease expires at all.
func (l *Lease) HasExpiry() bool { return l.expire != 0 }

// TTL is the time left at now, computed locally: no Vault call per tick.
func (l *Lease) TTL(now time.Time) time.Duration {
	if l.expire == 0 {
		return 0
	}
	return time.Duration(l.expire - now.UnixNano())
}

func (l *Lease) set(info LeaseInfo) {
	l.issue = toNanos(info.IssueTime)
	l.expire = toNanos(info.ExpireTime)
	l.renewed = toNanos(info.LastRenewal)
	l.flags &^= flagPending | flagRenewable
	if info.Renewable {
		l.flags |= flagRenewable
	}
}

func toNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// PrefixOf is the part of a lease id up to and including its last '/'.
func PrefixOf(id string) string {
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[:i+1]
	}
	return ""
}
