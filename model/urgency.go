package model

import "time"

// Thresholds colour TTLs: under Critical is critical, under Warning a
// warning.
type Thresholds struct {
	Critical, Warning time.Duration
}

// DefaultThresholds are 5 minutes and 1 hour.
func DefaultThresholds() Thresholds { return Thresholds{Critical: 5 * time.Minute, Warning: time.Hour} }

// Level is how urgent a lease is.
type Level int

const (
	LevelOK Level = iota
	LevelWarning
	LevelCritical
	LevelExpired
	LevelNoExpiry
)

// Urgency classifies a TTL against the thresholds.
func Urgency(ttl time.Duration, hasExpiry bool, th Thresholds) Level {
	switch {
	case !hasExpiry:
		return LevelNoExpiry
	case ttl <= 0:
		return LevelExpired
	case ttl < th.Critical:
		return LevelCritical
	case ttl < th.Warning:
		return LevelWarning
	}
	return LevelOK
}

// RenewBlockReason says in plain words why l cannot be renewed through
// sys/leases/renew, or "" when it can.
func RenewBlockReason(l *Lease, now time.Time) string {
	switch {
	case l.Gone():
		return "the lease is gone (revoked or expired)"
	case l.Pending():
		return "the lease has not been looked up yet"
	case l.IsToken():
		return "token leases renew through auth/token/renew, not sys/leases/renew"
	case !l.HasExpiry():
		return "the lease has no expiry, so there is nothing to renew"
	case l.TTL(now) <= 0 && !l.Renewable():
		return "the lease expired and waits for revocation (or failed it: irrevocable)"
	case !l.Renewable():
		return "the secrets engine issued this lease as not renewable"
	}
	return ""
}
