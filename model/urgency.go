package model

import "time"

// Thresholds say when a TTL turns urgent, so the table can colour leases
// about to expire. They are settings (flags), not constants, because what
// counts as soon depends on the TTLs a team issues.
type Thresholds struct {
	// Critical: a TTL under this is critical.
	Critical time.Duration
	// Warning: a TTL under this (and not critical) is a warning.
	Warning time.Duration
}

// DefaultThresholds are 5 minutes (critical) and 1 hour (warning): short
// enough that a typical 1h-768h database lease is calm most of its life,
// long enough to act before it lapses.
func DefaultThresholds() Thresholds {
	return Thresholds{Critical: 5 * time.Minute, Warning: time.Hour}
}

// Level is how urgent a lease is; the UI maps each to a colour.
type Level int

const (
	// LevelOK is a lease with time to spare.
	LevelOK Level = iota
	// LevelWarning is a lease under Thresholds.Warning.
	LevelWarning
	// LevelCritical is a lease under Thresholds.Critical.
	LevelCritical
	// LevelExpired is a lease at or past its expiry, awaiting revocation
	// (or failing it).
	LevelExpired
	// LevelNoExpiry is a lease that never expires: not urgent, but worth
	// telling apart from a healthy TTL.
	LevelNoExpiry
)

// String names the level, for tests and debugging.
func (v Level) String() string {
	switch v {
	case LevelOK:
		return "ok"
	case LevelWarning:
		return "warning"
	case LevelCritical:
		return "critical"
	case LevelExpired:
		return "expired"
	case LevelNoExpiry:
		return "no-expiry"
	}
	return "Level(?)"
}

// Urgency classifies a TTL against the thresholds. The bounds are
// exclusive: exactly Critical left is a warning, exactly Warning is ok.
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
