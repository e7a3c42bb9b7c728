package seed_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// Seeding at scale makes exactly the leases it says, and the crawl finds
// every one of them. The rate is logged (go test -v) for the record, never
// asserted.
func TestSeed10000LeasesAndWalkFindsAll(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const paths, per = 10, 1000
	start := time.Now()
	for i := range paths {
		ids, err := env.Seed.LeasedKV(ctx, fmt.Sprintf("cloud/role-%02d", i), time.Hour, per)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != per {
			t.Fatalf("seeded %d, want %d", len(ids), per)
		}
	}
	took := time.Since(start)
	t.Logf("seeded %d leases in %v: %.0f leases/s", paths*per, took.Round(time.Millisecond), float64(paths*per)/took.Seconds())

	c := env.Client(t, "", vaultclient.Config{})
	counts := map[string]int{}
	for ev := range c.Walk(ctx, "secret/cloud/", vaultclient.WalkOptions{ListOnly: true}) {
		if ev.Kind == vaultclient.EventError {
			t.Fatal(ev.Err)
		}
		if ev.Kind == vaultclient.EventListed {
			counts["list"] += len(ev.Listing.LeaseIDs)
		}
	}
	start = time.Now()
	for ev := range c.Walk(ctx, "secret/cloud/", vaultclient.WalkOptions{}) {
		switch ev.Kind {
		case vaultclient.EventError:
			t.Fatal(ev.Err)
		case vaultclient.EventLease:
			counts["lookup"]++
		}
	}
	t.Logf("walked %d leases in %v", counts["lookup"], time.Since(start).Round(time.Millisecond))
	if counts["list"] != paths*per || counts["lookup"] != paths*per {
		t.Errorf("counts %v, want %d each", counts, paths*per)
	}
}
