package hygiene

import (
	"context"
	"errors"
	"fmt"
)

// ErrNothingToDo is Fix's answer for a finding that is advice only.
var ErrNothingToDo = errors.New("this finding has no action leasetop can take; its text says what to do")

// Fix takes a finding's action: it revokes (or force-revokes) the
// finding's prefix, or each of its lease ids, synchronously so that the
// leases are gone when it returns. It stops at the first failure and says
// how far it got. Callers ask for the typed confirmation first.
func Fix(ctx context.Context, c Revoker, f Finding) error {
	switch f.Action.Kind {
	case RevokePrefix:
		_, err := c.RevokePrefix(ctx, f.Prefix, true)
		return err
	case ForcePrefix:
		return c.RevokeForce(ctx, f.Prefix)
	case RevokeLeases:
		for i, id := range f.LeaseIDs {
			if _, err := c.Revoke(ctx, id, true); err != nil {
				return fmt.Errorf("revoked %d of %d leases: %w", i, len(f.LeaseIDs), err)
			}
		}
		return nil
	}
	return ErrNothingToDo
}

// Command is the leasetop command line that takes the finding's action,
// or "" for advice only.
func (f Finding) Command() string {
	switch f.Action.Kind {
	case RevokePrefix:
		return "leasetop revoke --prefix " + f.Prefix
	case ForcePrefix:
		return "leasetop revoke --force --prefix " + f.Prefix
	case RevokeLeases:
		if len(f.LeaseIDs) == 1 {
			return "leasetop revoke " + f.LeaseIDs[0]
		}
		return fmt.Sprintf("leasetop revoke ID, once for each of the %d lease ids", len(f.LeaseIDs))
	}
	return ""
}
