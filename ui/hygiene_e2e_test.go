package ui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// Against a real dev server: a PKI role deleted with its certificates'
// leases alive shows on the hygiene screen with Vault's count, and x, the
// typed prefix, revokes exactly those leases.
func TestEndToEndHygieneFindsADeletedRoleAndFixesIt(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := env.Seed.PKI(ctx, "pki", "gone", 30*time.Minute, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Seed.PKI(ctx, "pki", "kept", 30*time.Minute, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := env.API.Logical().Delete("pki/roles/gone"); err != nil {
		t.Fatal(err)
	}
	before := allLeaseIDs(t, env)
	var want []string
	for id := range before {
		if strings.HasPrefix(id, "pki/issue/gone/") {
			want = append(want, id)
		}
	}
	slices.Sort(want)

	r := startProgram(t, env.Client(t, "", vaultclient.Config{}), Options{Prefix: "pki/", Refresh: time.Hour})
	r.waitFor("5 leases")
	r.waitFor("refreshed")
	r.press("D")
	r.waitFor("pki role gone is gone; 3 leases live on under pki/issue/gone/")
	r.press("x")
	r.waitFor("Revoke every lease under pki/issue/gone/")
	r.typeText("pki/issue/gone/")
	r.press("enter")
	r.waitFor("every lease revoked")

	after := allLeaseIDs(t, env)
	var removed []string
	for id := range before {
		if !after[id] {
			removed = append(removed, id)
		}
	}
	slices.Sort(removed)
	if !slices.Equal(removed, want) {
		t.Errorf("the fix removed %v, want exactly %v", removed, want)
	}
	if strings.Contains(r.screen(), env.Server.RootToken) {
		t.Error("the token is on the screen")
	}
}
