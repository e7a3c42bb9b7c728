package seed

import (
	"context"
	"fmt"
	"time"
)

// Churn revokes ids one at a time, one every interval, in the order given,
// as leases expire or are revoked during a lease explosion, until ctx
// ends or the ids run out. It returns how many it revoked; an error ends
// it early. The revocations are synchronous, so each lease is gone from
// Vault (a lookup answers 400) by the time the next one starts.
func (s *Seeder) Churn(ctx context.Context, ids []string, every time.Duration) (int, error) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for n, id := range ids {
		select {
		case <-ctx.Done():
			return n, nil
		case <-tick.C:
		}
		if _, err := s.C.Logical().WriteWithContext(ctx, "sys/leases/revoke", map[string]any{"lease_id": id, "sync": true}); err != nil {
			if ctx.Err() != nil {
				return n, nil
			}
			return n, fmt.Errorf("revoke %s: %w", id, err)
		}
	}
	return len(ids), nil
}
