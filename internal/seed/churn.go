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

// ChurnFrom runs Churn in the background once started reports true (polled
// every 5 ms; a crawl's first lookup, say), so that the churn falls inside
// what a test measures. The channel gets how many leases were revoked, and
// any error, once ctx ends or the ids run out.
func (s *Seeder) ChurnFrom(ctx context.Context, started func() bool, ids []string, every time.Duration) <-chan ChurnResult {
	done := make(chan ChurnResult, 1)
	go func() {
		for !started() && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		n, err := s.Churn(ctx, ids, every)
		done <- ChurnResult{Revoked: n, Err: err}
	}()
	return done
}

// ChurnResult is what a background churn did.
type ChurnResult struct {
	Revoked int
	Err     error
}
