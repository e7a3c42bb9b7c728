package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/seed"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// Against a real dev server with Vault's file audit device on: an AppRole
// client and a userpass user make leased-KV leases, leasetop follows the
// audit log, and the owners screen counts exactly what each made. Revoking
// the AppRole client's leases from there revokes those leases and no other
// (a before/after diff of Vault's whole lease set).
func TestEndToEndOwnersFromTheAuditLogAndRevokeByOwner(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	auditPath := filepath.Join(t.TempDir(), "vault_audit.log")
	if err := env.Seed.EnableFileAudit(ctx, auditPath); err != nil {
		t.Fatal(err)
	}
	billing, err := env.Seed.AppRoleActor(ctx, "approle", "billing")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := env.Seed.UserpassActor(ctx, "userpass", "alice")
	if err != nil {
		t.Fatal(err)
	}
	made := map[string][]string{}
	for _, a := range []struct {
		actor *seed.Actor
		path  string
		n     int
	}{{billing, "billing/db", 7}, {billing, "billing/s3", 5}, {alice, "alice/ssh", 4}} {
		if _, err := env.Seed.LeasedKV(ctx, a.path, time.Hour, 0); err != nil {
			t.Fatal(err)
		}
		ids, err := a.actor.Seeder.ReadLeasedKV(ctx, a.path, a.n)
		if err != nil {
			t.Fatal(err)
		}
		made[a.actor.Name] = append(made[a.actor.Name], ids...)
	}
	root, err := env.Seed.LeasedKV(ctx, "ops/root", time.Hour, 3) // the root token's, for contrast
	if err != nil {
		t.Fatal(err)
	}

	c := env.Client(t, "", vaultclient.Config{})
	r := startProgram(t, c, Options{Prefix: "secret/", VaultAudit: auditPath})
	r.waitFor("19 leases")
	r.press("w")
	row := func(name string, n int) func(string) bool {
		return func(screen string) bool {
			for _, line := range strings.Split(screen, "\n") {
				if strings.Contains(line, name) && strings.Contains(line, fmt.Sprintf(" %d ", n)) {
					return true
				}
			}
			return false
		}
	}
	// Each entity shows by the name Vault gives it, looked up by the id
	// the audit log holds.
	r.waitUntil("billing's 12 leases", time.Minute, row("approle billing · entity "+entityName(t, c, billing.EntityID), 12))
	r.waitUntil("alice's 4 leases", time.Minute, row("userpass-alice alice · entity "+entityName(t, c, alice.EntityID), 4))
	r.waitUntil("the root token's 3", time.Minute, row("token (no entity)", 3))
	if s := r.screen(); strings.Contains(s, "hmac-sha256") {
		t.Errorf("an HMAC'd value is on screen:\n%s", s)
	}

	// A lease made after the screen is up appears as the log is followed.
	more, err := alice.Seeder.ReadLeasedKV(ctx, "alice/ssh", 2)
	if err != nil {
		t.Fatal(err)
	}
	made["alice"] = append(made["alice"], more...)
	r.press("ctrl+r")
	r.waitUntil("alice's 6 leases", time.Minute, row("userpass-alice alice", 6))

	before := allLeaseIDs(t, c)
	r.press("g") // billing has the most leases: the first row
	r.press("x")
	r.waitFor("Revoke every lease of approle billing")
	r.waitFor("Leases: 12")
	r.typeText("billing")
	r.press("enter")
	r.waitFor("revoked 12 of 12 leases")
	r.waitIdle(nil)
	after := allLeaseIDs(t, c)
	for _, id := range made["billing"] {
		if after[id] {
			t.Errorf("billing's lease %s is still in Vault", id)
		}
	}
	for id := range before {
		if !after[id] && !strings.HasPrefix(id, "secret/billing/") {
			t.Errorf("lease %s, not billing's, was revoked", id)
		}
	}
	for _, id := range append(append([]string(nil), made["alice"]...), root...) {
		if !after[id] {
			t.Errorf("lease %s, not billing's, is gone", id)
		}
	}
}

// The audit log can come through stdin (ssh node cat …, kubectl logs …):
// read to its end, it names the owners the same way.
func TestEndToEndOwnersFromStdin(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	auditPath := filepath.Join(t.TempDir(), "vault_audit.log")
	if err := env.Seed.EnableFileAudit(ctx, auditPath); err != nil {
		t.Fatal(err)
	}
	bob, err := env.Seed.UserpassActor(ctx, "userpass", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Seed.LeasedKV(ctx, "bob/db", time.Hour, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Seeder.ReadLeasedKV(ctx, "bob/db", 6); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := startProgram(t, env.Client(t, "", vaultclient.Config{}), Options{Prefix: "secret/", VaultAudit: "-", Stdin: f})
	r.waitFor("6 leases")
	r.press("w")
	r.waitUntil("bob's 6 leases", time.Minute, func(s string) bool {
		return strings.Contains(s, "userpass-bob bob · entity ") && strings.Contains(s, "100.0%")
	})
}

// With the token store read, token leases have owners too; T revokes an
// owner's tokens by accessor, and Vault's cascade takes the leases made
// with them: billing's login lease and KV leases are gone, alice's and the
// root token's are untouched (a diff of Vault's whole lease set).
func TestEndToEndRevokeOwnersTokensCascades(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	auditPath := filepath.Join(t.TempDir(), "vault_audit.log")
	if err := env.Seed.EnableFileAudit(ctx, auditPath); err != nil {
		t.Fatal(err)
	}
	billing, err := env.Seed.AppRoleActor(ctx, "approle", "billing")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := env.Seed.UserpassActor(ctx, "userpass", "alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []*seed.Actor{billing, alice} {
		if _, err := env.Seed.LeasedKV(ctx, a.Name+"/db", time.Hour, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Seeder.ReadLeasedKV(ctx, a.Name+"/db", 5); err != nil {
			t.Fatal(err)
		}
	}
	c := env.Client(t, "", vaultclient.Config{})
	before := allLeaseIDs(t, c)
	r := startProgram(t, c, Options{VaultAudit: auditPath})
	r.waitFor("refreshed")
	r.press("w")
	r.waitFor("token store: ")
	// billing: its 5 KV leases and its login's token lease.
	r.waitUntil("billing's 6 leases", time.Minute, func(s string) bool {
		return strings.Contains(lineWith(s, "approle billing · entity "+entityName(t, c, billing.EntityID)), " 6 ")
	})
	r.press("g")
	r.press("T")
	r.waitFor("Revoke 1 token of approle billing")
	r.typeText("billing")
	r.press("enter")
	r.waitFor("revoked 1 of 1 token of")
	r.waitIdle(nil)
	after := allLeaseIDs(t, c)
	for id := range before {
		billings := strings.HasPrefix(id, "secret/billing/") || strings.HasPrefix(id, "auth/approle/login/")
		if billings && after[id] {
			t.Errorf("%s, made with billing's token, survived its revocation", id)
		}
		if !billings && !after[id] {
			t.Errorf("%s, not billing's, is gone", id)
		}
	}
}

// entityName is the name Vault gives the entity id: what the owners screen
// shows in its place.
func entityName(t *testing.T, c *vaultclient.Client, id string) string {
	t.Helper()
	e, err := c.Entity(context.Background(), id)
	if err != nil || e.Name == "" {
		t.Fatalf("entity %s: %v", id, err)
	}
	return e.Name
}
