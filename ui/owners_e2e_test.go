package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/seed"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// Against a real dev server with Vault's file audit device on: an AppRole
// client and a userpass user make leased-KV leases, leasetop follows the
// audit log, and the owners screen counts exactly what each made. Revoking
// the AppRole client's leases from there revokes those leases and no other
// (a before/after diff of Vault's whole lease set). alice reads billing's
// secrets too, so her leases share billing's paths: only attribution, not
// a path, tells the two apart.
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
	}{{billing, "billing/db", 7}, {billing, "billing/s3", 5}, {alice, "alice/ssh", 2}, {alice, "billing/db", 1}, {alice, "billing/s3", 1}} {
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

	before := allLeaseIDs(t, env)
	r.press("g") // billing has the most leases: the first row
	r.press("x")
	r.waitFor("Revoke every lease of approle billing")
	r.waitFor("Leases: 12")
	r.typeText("billing")
	r.press("enter")
	r.waitFor("revoked 12 of 12 leases")
	r.waitIdle(nil)
	after := allLeaseIDs(t, env)
	checkRevokedExactly(t, before, after, made["billing"])
	if shared := countPrefix(made["alice"], "secret/billing/"); shared != 2 || len(made["alice"]) != 6 {
		t.Fatalf("alice made %d leases, %d of them under billing's paths: want 6 and 2", len(made["alice"]), shared)
	}
	for _, id := range append(append([]string(nil), made["alice"]...), root...) {
		if !after[id] {
			t.Errorf("lease %s, not billing's, is gone", id)
		}
	}
}

// checkRevokedExactly fails the test unless the leases gone between
// before and after (Vault's whole lease set, read by vaulttest) are
// exactly want, and no lease appeared.
func checkRevokedExactly(t *testing.T, before, after map[string]bool, want []string) {
	t.Helper()
	wanted := map[string]bool{}
	for _, id := range want {
		wanted[id] = true
		if !before[id] {
			t.Errorf("%s was not in Vault before the revocation", id)
		}
	}
	for id := range before {
		switch {
		case wanted[id] && after[id]:
			t.Errorf("%s survived its owner's revocation", id)
		case !wanted[id] && !after[id]:
			t.Errorf("%s, not the owner's, is gone", id)
		}
	}
	for id := range after {
		if !before[id] {
			t.Errorf("a lease appeared: %s", id)
		}
	}
}

func countPrefix(ids []string, prefix string) int {
	n := 0
	for _, id := range ids {
		if strings.HasPrefix(id, prefix) {
			n++
		}
	}
	return n
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
// with them: billing's login lease and KV leases are gone, and nothing else
// (a diff of Vault's whole lease set). alice and another AppRole client,
// payroll, read billing's secret too, and payroll's login lease sits
// beside billing's under auth/approle/login/: only the tokens' owners,
// not a path, tell them apart.
func TestEndToEndRevokeOwnersTokensCascades(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	auditPath := filepath.Join(t.TempDir(), "vault_audit.log")
	if err := env.Seed.EnableFileAudit(ctx, auditPath); err != nil {
		t.Fatal(err)
	}
	logins := func() map[string]bool {
		out := map[string]bool{}
		for id := range allLeaseIDs(t, env) {
			if strings.HasPrefix(id, "auth/approle/login/") {
				out[id] = true
			}
		}
		return out
	}
	if _, err := env.Seed.AppRoleActor(ctx, "approle", "payroll-setup"); err != nil { // the mount, before the count
		t.Fatal(err)
	}
	was := logins()
	billing, err := env.Seed.AppRoleActor(ctx, "approle", "billing")
	if err != nil {
		t.Fatal(err)
	}
	var billingsLogin []string // Vault does not return a login's lease id: it is the new one listed
	for id := range logins() {
		if !was[id] {
			billingsLogin = append(billingsLogin, id)
		}
	}
	if len(billingsLogin) != 1 {
		t.Fatalf("billing's login made %d leases under auth/approle/login/: %v", len(billingsLogin), billingsLogin)
	}
	payroll, err := env.Seed.AppRoleActor(ctx, "approle", "payroll")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := env.Seed.UserpassActor(ctx, "userpass", "alice")
	if err != nil {
		t.Fatal(err)
	}
	billings := billingsLogin
	for _, a := range []struct {
		actor *seed.Actor
		path  string
		n     int
	}{{billing, "billing/db", 5}, {alice, "billing/db", 2}, {alice, "alice/db", 2}, {payroll, "billing/db", 2}} {
		if _, err := env.Seed.LeasedKV(ctx, a.path, time.Hour, 0); err != nil {
			t.Fatal(err)
		}
		ids, err := a.actor.Seeder.ReadLeasedKV(ctx, a.path, a.n)
		if err != nil {
			t.Fatal(err)
		}
		if a.actor == billing {
			billings = append(billings, ids...)
		}
	}
	c := env.Client(t, "", vaultclient.Config{})
	before := allLeaseIDs(t, env)
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
	after := allLeaseIDs(t, env)
	checkRevokedExactly(t, before, after, billings)
	if n := countPrefix(slices.Collect(maps.Keys(after)), "secret/billing/"); n != 4 {
		t.Errorf("alice's and payroll's leases under secret/billing/: %d left, want 4", n)
	}
	if n := countPrefix(slices.Collect(maps.Keys(after)), "auth/approle/login/"); n != 2 {
		t.Errorf("payroll's login leases under auth/approle/login/: %d left, want 2 (payroll, payroll-setup)", n)
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

// --read-only on the owners screen: x (an owner's leases) and T (its
// tokens), each driven through the confirmation a person would give, say
// they are off, and no mutating request reaches Vault (counted at a proxy
// once the UI is idle; the token store's lookups are reads).
func TestEndToEndOwnersReadOnlySendsNoMutation(t *testing.T) {
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
	if _, err := env.Seed.LeasedKV(ctx, "billing/db", time.Hour, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := billing.Seeder.ReadLeasedKV(ctx, "billing/db", 4); err != nil {
		t.Fatal(err)
	}
	before := allLeaseIDs(t, env)
	p, a := env.Proxied(t)
	c := vaultclient.NewFromAPI(a, vaultclient.Config{})
	r := startProgram(t, c, Options{VaultAudit: auditPath, ReadOnly: true})
	r.waitFor("refreshed")
	r.press("w")
	r.waitFor("token store: ")
	// billing: its 4 KV leases and its login's token lease.
	r.waitUntil("billing's 5 leases", time.Minute, func(s string) bool {
		return strings.Contains(lineWith(s, "approle billing · entity "), " 5 ")
	})
	r.waitIdle(p)
	checked := len(p.Requests())
	for _, k := range []string{"x", "T"} {
		r.press("s") // a status left by the last key must not count for this one
		r.waitUntil("the last status to go", 30*time.Second, func(s string) bool { return !readOnlyNotice(s) })
		r.press("g", k)
		if s := r.screen(); strings.Contains(s, "to confirm") {
			r.typeText("billing")
			r.press("enter")
		}
		r.waitIdle(p)
		if !readOnlyNotice(r.screen()) {
			t.Errorf("%s: no status mentions --read-only:\n%s", k, r.screen())
		}
		reqs := p.Requests()
		for _, req := range reqs[checked:] {
			if req.Mutating() {
				t.Errorf("%s in read-only sent %s %s %s", k, req.Method, req.Path, req.Body)
			}
		}
		checked = len(reqs)
	}
	if n := p.Count(func(req faultproxy.Request) bool { return req.Path == "auth/token/lookup-accessor" }); n == 0 {
		t.Error("the proxy saw no token lookup: the token store was not read through it")
	}
	if after := allLeaseIDs(t, env); !maps.Equal(after, before) {
		t.Errorf("Vault's leases changed in read-only: %d before, %d after", len(before), len(after))
	}
}

// leasetop logged in with AppRole (ops): its own token's lease is one of
// ops's leases on the owners screen (the token store names it). x on ops
// warns that it may revoke leasetop's token; T says leasetop will lose its
// session; neither warns for another owner. Nothing is revoked: each
// dialog is cancelled.
func TestEndToEndOwnerRevocationsWarnOfLeasetopsOwnToken(t *testing.T) {
	env, auditPath, ops := startOpsEnv(t, 2)
	before := allLeaseIDs(t, env)
	c := env.Client(t, ops.Seeder.C.Token(), vaultclient.Config{})
	r := startProgram(t, c, Options{VaultAudit: auditPath})
	r.waitFor("refreshed")
	r.press("w")
	r.waitFor("token store: ")
	// alice: 6 KV leases and her login's; ops: 2 and its login's, which
	// is leasetop's own token.
	r.waitUntil("alice's 7 leases", time.Minute, func(s string) bool {
		return strings.Contains(lineWith(s, "userpass-alice alice · entity "), " 7 ")
	})
	r.waitUntil("ops's 3 leases", time.Minute, func(s string) bool {
		return strings.Contains(lineWith(s, "approle ops · entity "), " 3 ")
	})
	r.waitIdle(nil)
	const own = "leasetop's own token"
	for _, st := range []struct {
		name, keys, dialog string
		warn               []string // nil: no warning
	}{
		{"x on alice", "x", "Revoke every lease of userpass-alice alice", nil},
		{"T on alice", "T", "Revoke 1 token of userpass-alice alice", nil},
		{"x on ops", "jx", "Revoke every lease of approle ops", []string{own + " was created by auth/approle/login", "1 token lease", "lock this session out"}},
		{"T on ops", "jT", "Revoke 1 token of approle ops", []string{"one of these tokens is leasetop's own", "lose its session"}},
	} {
		r.press("g")
		for _, k := range st.keys {
			r.press(string(k))
		}
		r.waitFor(st.dialog)
		s := strings.Join(strings.Fields(r.screen()), " ")
		if st.warn == nil && strings.Contains(s, "leasetop's own") {
			t.Errorf("%s: a warning about leasetop's own token:\n%s", st.name, r.screen())
		}
		for _, w := range st.warn {
			if !strings.Contains(s, w) {
				t.Errorf("%s: the dialog does not say %q:\n%s", st.name, w, r.screen())
			}
		}
		r.press("esc")
		r.waitFor("cancelled: nothing was revoked")
	}
	if after := allLeaseIDs(t, env); !maps.Equal(after, before) {
		t.Errorf("Vault's leases changed though every dialog was cancelled")
	}
}

// x on the owner that holds leasetop's own token revokes every other lease
// of the owner before that token's lease, so that losing the token stops
// none of them: at a proxy, the token lease's revocation is the last
// request that changes anything, and Vault's lease set loses exactly the
// owner's leases.
func TestEndToEndRevokingLeasetopsOwnTokenLeaseGoesLast(t *testing.T) {
	env, auditPath, ops := startOpsEnv(t, 8)
	before := allLeaseIDs(t, env)
	var opsLeases []string
	for id := range before {
		if strings.HasPrefix(id, "auth/approle/login/") {
			opsLeases = append(opsLeases, id) // ops's login: leasetop's token
		}
	}
	if len(opsLeases) != 1 {
		t.Fatalf("%d leases under auth/approle/login/, want ops's login alone", len(opsLeases))
	}
	ownLease := opsLeases[0]
	p, a := env.Proxied(t)
	a.SetToken(ops.Seeder.C.Token())
	c := vaultclient.NewFromAPI(a, vaultclient.Config{})
	r := startProgram(t, c, Options{VaultAudit: auditPath, Refresh: time.Hour})
	r.waitFor("refreshed")
	r.press("w")
	r.waitFor("token store: ")
	r.waitUntil("ops's 9 leases", time.Minute, func(s string) bool {
		return strings.Contains(lineWith(s, "approle ops · entity "), " 9 ")
	})
	r.waitIdle(p)
	checked := len(p.Requests())
	r.press("g", "x")
	r.waitFor("Revoke every lease of approle ops")
	r.waitFor("lock this session out")
	r.typeText("ops")
	r.press("enter")
	r.waitFor("revoked 9 of 9 leases")
	r.waitIdle(p)
	var order []string
	for _, req := range p.Requests()[checked:] {
		if !req.Mutating() {
			continue
		}
		var body struct {
			LeaseID string `json:"lease_id"`
		}
		if req.Path != "sys/leases/revoke" || json.Unmarshal(req.Body, &body) != nil {
			t.Errorf("x sent %s %s %s", req.Method, req.Path, req.Body)
			continue
		}
		if req.Status != http.StatusOK && req.Status != http.StatusNoContent {
			t.Errorf("Vault answered %d to the revocation of %s", req.Status, body.LeaseID)
		}
		order = append(order, body.LeaseID)
	}
	if len(order) != 9 || order[len(order)-1] != ownLease {
		t.Errorf("revocations in the order Vault got them: %v; want 9, leasetop's own token's lease %s last", order, ownLease)
	}
	aliceLeft := 0
	after := allLeaseIDs(t, env)
	for id := range after {
		if strings.HasPrefix(id, "secret/shared/") {
			aliceLeft++
		}
	}
	if aliceLeft != 6 || after[ownLease] {
		t.Errorf("after x on ops: %d of alice's 6 leases left, leasetop's token lease left: %v", aliceLeft, after[ownLease])
	}
}

// startOpsEnv is a dev server with Vault's file audit device on, an
// AppRole client ops whose policy lets it run leasetop (n leased-KV leases
// of its own, and its login's token lease), and a userpass user alice with
// 6 leases under the same path.
func startOpsEnv(t *testing.T, n int) (*vaulttest.Env, string, *seed.Actor) {
	t.Helper()
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	auditPath := filepath.Join(t.TempDir(), "vault_audit.log")
	if err := env.Seed.EnableFileAudit(ctx, auditPath); err != nil {
		t.Fatal(err)
	}
	// What leasetop needs, spelled out: the default policy's own line for
	// sys/leases/lookup (update only) outranks the glob "sys/*".
	if err := env.API.Sys().PutPolicyWithContext(ctx, "leasetop-ops", `
path "sys/*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }
path "sys/leases/lookup" { capabilities = ["update", "list", "sudo"] }
path "sys/leases/lookup/*" { capabilities = ["update", "list", "sudo"] }
path "auth/token/*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }
path "identity/*" { capabilities = ["read", "list"] }
`); err != nil {
		t.Fatal(err)
	}
	ops, err := env.Seed.AppRoleActorWith(ctx, "approle", "ops", "leasetop-ops")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := env.Seed.UserpassActor(ctx, "userpass", "alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		actor *seed.Actor
		n     int
	}{{alice, 6}, {ops, n}} {
		if _, err := env.Seed.LeasedKV(ctx, "shared/db", time.Hour, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := a.actor.Seeder.ReadLeasedKV(ctx, "shared/db", a.n); err != nil {
			t.Fatal(err)
		}
	}
	return env, auditPath, ops
}
