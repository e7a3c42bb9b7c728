package vaulttest

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// The oracle lists exactly the leases that were made, at every depth and
// under every mount: each id is the one Vault returned when the lease was
// made (a read of leased KV, a token's creation), not one leasetop listed.
func TestAllLeaseIDsIsExactlyTheLeasesMade(t *testing.T) {
	env := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The harness's own token (devvault makes one) is the only lease of a
	// fresh server.
	fresh := env.AllLeaseIDs(t)
	for id := range fresh {
		if !strings.HasPrefix(id, "auth/token/create/") {
			t.Fatalf("a fresh dev server lists %v", slices.Sorted(maps.Keys(fresh)))
		}
	}
	want := map[string]bool{}
	for _, kv := range []struct {
		path string
		n    int
	}{{"top", 2}, {"a/b/c/deep", 3}, {"a/b/side", 1}, {"a/near", 2}} {
		ids, err := env.Seed.LeasedKV(ctx, kv.path, time.Hour, kv.n)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			want[id] = true
		}
	}
	tokens, err := env.Seed.Tokens(ctx, time.Hour, 2)
	if err != nil {
		t.Fatal(err)
	}
	got := env.AllLeaseIDs(t)
	for id := range want {
		if !got[id] {
			t.Errorf("the oracle misses %s", id)
		}
	}
	// Token leases have ids nobody is told (a salted hash under the
	// creation path): count them by their folder.
	var tokenLeases int
	for id := range got {
		switch {
		case want[id]:
		case strings.HasPrefix(id, "auth/token/create/"):
			tokenLeases++
		default:
			t.Errorf("the oracle lists %s, which was not made", id)
		}
	}
	if tokenLeases != len(fresh)+len(tokens) {
		t.Errorf("the oracle lists %d token leases, %d tokens were made (and %d listed before)", tokenLeases, len(tokens), len(fresh))
	}
}
