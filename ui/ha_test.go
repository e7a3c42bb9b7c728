package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/seed"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// HA: a 3-node raft cluster; leasetop points at a standby node. The active
// node is killed during polling: leasetop says what happened, keeps the
// last data, and regains service by itself once a new leader is elected.
func TestEndToEndHAActiveNodeKilled(t *testing.T) {
	c := vaulttest.StartCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	active := c.Active(ctx)
	if active < 0 {
		t.Fatal("no active node")
	}
	standby := (active + 1) % 3
	admin, err := c.Nodes[active].Client()
	if err != nil {
		t.Fatal(err)
	}
	admin.SetToken(c.RootToken)
	if _, err := (&seed.Seeder{C: admin}).Tokens(ctx, time.Hour, 5); err != nil {
		t.Fatal(err)
	}
	a, err := c.Nodes[standby].Client()
	if err != nil {
		t.Fatal(err)
	}
	a.SetToken(c.RootToken)
	a.SetClientTimeout(3 * time.Second)
	r := startProgram(t, vaultclient.NewFromAPI(a, vaultclient.Config{MaxRetries: 1}), Options{Prefix: "auth/token/create/", Refresh: 300 * time.Millisecond})
	r.waitFor("5 leases")
	r.waitFor("refreshed")

	c.Nodes[active].Kill()
	r.waitFor("STALE")
	// The standby redirects to the active node it knew, which is dead: the
	// status must name that node, not the standby leasetop talks to.
	activeHost := strings.TrimPrefix(c.Nodes[active].Addr, "http://")
	r.waitUntil("the status to name the node the standby redirected to ("+activeHost+")", 60*time.Second, func(s string) bool {
		return strings.Contains(lastLine(s), activeHost)
	})
	t.Logf("while electing: %s", lastLine(r.screen()))
	if strings.Contains(r.screen(), "nothing listens at "+c.Nodes[standby].Addr) {
		t.Errorf("the standby leasetop talks to is alive; the status must not say nothing listens there:\n%s", r.screen())
	}
	deadline := time.Now().Add(90 * time.Second)
	for strings.Contains(r.screen(), "STALE") {
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after the leader election:\n%s", r.screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(r.screen(), "5 leases") {
		t.Errorf("after failover the leases should be back:\n%s", r.screen())
	}
	t.Logf("new active node: %d (killed %d, leasetop on %d)", c.Active(ctx), active, standby)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) < 2 {
		return s
	}
	return strings.TrimSpace(lines[len(lines)-2])
}
