package model

import "time"

// RenewBlockReason says in plain words why l cannot be renewed through
// sys/leases/renew at now, or "" when it can. The UI checks it before
// sending a renewal, so a user learns why instead of getting a Vault error,
// and a batch renewal skips what would fail. It needs now because whether
// a lease has expired depends on it.
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
	case l.TTL(now) <= 0:
		// Vault refuses to renew an expired lease whatever the lookup
		// said; one that is not renewable may also be irrevocable.
		return "the lease expired and waits for revocation (or failed it: irrevocable)"
	case !l.Renewable():
		return "the secrets engine issued this lease as not renewable"
	}
	return ""
}
