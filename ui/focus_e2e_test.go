package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// The prefix selected in the tree has its TTLs looked up before the rest
// of the crawl (counted at a proxy in front of a real Vault): lookups are
// held until the tree is listed and the operator has moved to p0, then
// let go.
func TestEndToEndSelectedPrefixIsLookedUpFirst(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i := range 3 {
		if _, err := env.Seed.LeasedKV(ctx, fmt.Sprintf("focus/p%d", i), time.Hour, 40); err != nil {
			t.Fatal(err)
		}
	}
	p, a := env.Proxied(t)
	hold := make(chan struct{})
	p.Add(faultproxy.Rule{Method: "PUT", PathPrefix: "sys/leases/lookup", Count: -1, Fault: faultproxy.Fault{Hold: hold}})
	r := startProgram(t, vaultclient.NewFromAPI(a, vaultclient.Config{}), Options{Prefix: "secret/focus/", Concurrency: 2})
	r.waitFor("120 leases")
	r.waitFor("p2/")
	// The walk lists p2 first (a stack of prefixes), so p0 is the one its
	// queue would serve last.
	r.press("tab", "j") // the tree: secret/focus/, p0/, p1/, p2/
	r.waitFor("LEASE (after secret/focus/p0/)")
	close(hold)
	r.waitFor("refreshed")

	var ids []string
	for _, req := range p.Requests() {
		var body struct {
			LeaseID string `json:"lease_id"`
		}
		if req.Path == "sys/leases/lookup" && req.Method == "PUT" && json.Unmarshal(req.Body, &body) == nil {
			ids = append(ids, body.LeaseID)
		}
	}
	if len(ids) != 120 {
		t.Fatalf("%d lookups, want 120", len(ids))
	}
	// The two lookups already held when p0 was selected may be another
	// prefix's, and the last of p0's may reach the proxy just after the
	// first of what follows (two workers): p0's 40 are all among the
	// first 44.
	p0 := 0
	for _, id := range ids[:44] {
		if strings.HasPrefix(id, "secret/focus/p0/") {
			p0++
		}
	}
	if p0 < 40 {
		t.Errorf("the first 44 lookups hold %d of the selected p0's 40:\n%v", p0, ids)
	}
}
