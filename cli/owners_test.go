package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/seed"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/report"
	"github.com/leasetop/leasetop/vaultclient"
)

// ownersEnv is a dev server with Vault's file audit device on: an AppRole
// client (billing) and a userpass user (alice) make leased-KV leases, the
// root token makes a few, and one lease predates the audit device.
type ownersEnv struct {
	env            *vaulttest.Env
	audit          string
	billing, alice *seed.Actor
	made           map[string][]string // lease ids by owner name: billing, alice, token (the root token)
	early          string              // made before the audit device was on
}

func startOwnersEnv(t *testing.T) *ownersEnv {
	t.Helper()
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	o := &ownersEnv{env: env, audit: filepath.Join(t.TempDir(), "vault_audit.log"), made: map[string][]string{}}
	early, err := env.Seed.LeasedKV(ctx, "early/kv", time.Hour, 1)
	if err != nil {
		t.Fatal(err)
	}
	o.early = early[0]
	if err := env.Seed.EnableFileAudit(ctx, o.audit); err != nil {
		t.Fatal(err)
	}
	if o.billing, err = env.Seed.AppRoleActor(ctx, "approle", "billing"); err != nil {
		t.Fatal(err)
	}
	if o.alice, err = env.Seed.UserpassActor(ctx, "userpass", "alice"); err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		actor *seed.Actor
		path  string
		n     int
	}{{o.billing, "billing/db", 7}, {o.billing, "billing/s3", 5}, {o.alice, "alice/ssh", 4}} {
		if _, err := env.Seed.LeasedKV(ctx, a.path, time.Hour, 0); err != nil {
			t.Fatal(err)
		}
		ids, err := a.actor.Seeder.ReadLeasedKV(ctx, a.path, a.n)
		if err != nil {
			t.Fatal(err)
		}
		o.made[a.actor.Name] = append(o.made[a.actor.Name], ids...)
	}
	// The root token's display name is "token", with no entity.
	if o.made["token"], err = env.Seed.LeasedKV(ctx, "ops/root", time.Hour, 3); err != nil {
		t.Fatal(err)
	}
	useVault(t, env.Server.Addr, env.Server.RootToken)
	return o
}

func ownerRowsJSON(t *testing.T, out string) map[string]report.OwnerRow {
	t.Helper()
	var rows []report.OwnerRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("owners -o json: %v\n%s", err, out)
	}
	by := map[string]report.OwnerRow{}
	for _, r := range rows {
		k := r.Name
		if !r.Owned {
			k = r.Key
		}
		if _, dup := by[k]; dup {
			t.Errorf("two groups named %q: %s", k, out)
		}
		by[k] = r
	}
	return by
}

func TestOwnersLsAndWhoFromTheAuditLog(t *testing.T) {
	o := startOwnersEnv(t)

	// owners: the roll-up by entity and by role, counts as made.
	out, errs, code := runCmd(t, "owners", "--vault-audit", o.audit, "-o", "json")
	if code != 0 {
		t.Fatalf("owners: exit %d: %s", code, errs)
	}
	var raw []map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil || len(raw) == 0 {
		t.Fatalf("owners -o json: %v\n%s", err, out)
	}
	for _, f := range []string{"label", "name", "key", "owned", "reason", "leases", "share", "soonest_expiry", "soonest_ttl_seconds", "recent"} {
		if _, ok := raw[0][f]; !ok {
			t.Errorf("owners JSON row lacks %q: %v", f, raw[0])
		}
	}
	rows := ownerRowsJSON(t, out)
	for name, ids := range o.made {
		r := rows[name]
		if !r.Owned || r.Leases != len(ids) || r.Recent != len(ids) || r.SoonestExpiry == nil {
			t.Errorf("owner %s: %+v, want %d leases, all recent", name, r, len(ids))
		}
	}
	if r := rows["billing"]; !strings.Contains(r.Label, "approle billing · entity "+o.billing.EntityID) || r.Key != "entity:"+o.billing.EntityID {
		t.Errorf("billing by entity: %+v", r)
	}
	if r := rows["!token"]; r.Owned || r.Leases < 2 || !strings.HasPrefix(r.Reason, "a token lease") {
		t.Errorf("the token leases (two logins at least): %+v", r)
	}
	if r := rows["!before"]; r.Owned || r.Leases != 1 || !strings.HasPrefix(r.Reason, "created before the audit log starts") {
		t.Errorf("the lease made before the audit device: %+v", r)
	}
	if raw[0]["owned"] != true || raw[len(raw)-1]["owned"] != false {
		t.Errorf("owners must come first, the groups without one last: %s", out)
	}

	out, errs, code = runCmd(t, "owners", "secret/", "--by", "role", "-o", "json", "--vault-audit", o.audit)
	if code != 0 {
		t.Fatalf("owners --by role: exit %d: %s", code, errs)
	}
	rows = ownerRowsJSON(t, out)
	if r := rows["billing"]; r.Key != "role:role_name=billing" || r.Leases != 12 {
		t.Errorf("billing by role: %+v", r)
	}
	if r := rows["alice"]; r.Key != "role:username=alice" || r.Leases != 4 {
		t.Errorf("alice by role: %+v", r)
	}
	if _, ok := rows["!token"]; ok {
		t.Errorf("under secret/ there is no token lease: %s", out)
	}

	out, _, code = runCmd(t, "owners", "--by", "mount", "--vault-audit", o.audit)
	if code != 0 || !strings.Contains(out, "OWNER BY AUTH MOUNT") || !strings.Contains(out, "NEW 5m") || !regexp.MustCompile(`(?m)^\s+12\s+.*approle\s+auth/approle/$`).MatchString(out) {
		t.Errorf("owners table by mount: exit %d\n%s", code, out)
	}
	out, _, code = runCmd(t, "owners", "--by", "role", "-o", "csv", "--vault-audit", o.audit)
	if code != 0 || !strings.HasPrefix(out, "label,name,key,owned,reason,leases,share,soonest_expiry,soonest_ttl_seconds,recent\n") || !strings.Contains(out, "role_name billing,billing,role:role_name=billing,true,,12,") {
		t.Errorf("owners csv: exit %d\n%s", code, out)
	}

	// The log from stdin.
	logText, err := os.ReadFile(o.audit)
	if err != nil {
		t.Fatal(err)
	}
	var sout, serr bytes.Buffer
	if code := Run(context.Background(), []string{"owners", "--vault-audit", "-", "-o", "json", "--by", "role"}, bytes.NewReader(logText), &sout, &serr); code != 0 {
		t.Fatalf("owners --vault-audit -: exit %d: %s", code, serr.String())
	}
	if r := ownerRowsJSON(t, sout.String())["billing"]; r.Leases != 12 {
		t.Errorf("billing from stdin: %+v", r)
	}

	// With the token store, each client's login lease joins its other
	// leases; alone, the store names the logins and nothing else.
	out, errs, code = runCmd(t, "owners", "--by", "role", "-o", "json", "--vault-audit", o.audit, "--token-store")
	if code != 0 {
		t.Fatalf("owners --token-store: exit %d: %s", code, errs)
	}
	rows = ownerRowsJSON(t, out)
	if rows["billing"].Leases != len(o.made["billing"])+1 || rows["alice"].Leases != len(o.made["alice"])+1 {
		t.Errorf("with the token store, billing %d and alice %d leases, want %d and %d (their logins too)\n%s",
			rows["billing"].Leases, rows["alice"].Leases, len(o.made["billing"])+1, len(o.made["alice"])+1, out)
	}
	for _, k := range []string{"!token", "!tokenunmatched"} {
		if r, ok := rows[k]; ok {
			t.Errorf("a token lease without an owner with the token store read: %+v", r)
		}
	}
	out, errs, code = runCmd(t, "owners", "auth/", "--by", "mount", "-o", "json", "--token-store")
	rows = ownerRowsJSON(t, out)
	if code != 0 || rows["approle"].Leases != 1 || rows["userpass"].Leases != 1 {
		t.Errorf("owners auth/ --token-store: exit %d, want the two logins by auth mount: %s\n%s", code, errs, out)
	}
	for k, r := range rows {
		if !r.Owned {
			t.Errorf("a token lease the token store does not name (%s): %+v", k, r)
		}
	}

	// ls: each lease's owner, lease by lease.
	out, errs, code = runCmd(t, "ls", "-r", "-o", "json", "--vault-audit", o.audit)
	if code != 0 {
		t.Fatalf("ls --vault-audit: exit %d: %s", code, errs)
	}
	var lsRows []map[string]any
	if err := json.Unmarshal([]byte(out), &lsRows); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, r := range lsRows {
		for _, f := range []string{"id", "ttl_seconds", "owner", "owner_reason", "display_name", "entity_id", "role", "created_time"} {
			if _, ok := r[f]; !ok {
				t.Errorf("ls --vault-audit row lacks %q: %v", f, r)
			}
		}
		id := r["id"].(string)
		switch {
		case r["owner"] != "":
			got[r["owner"].(string)] = append(got[r["owner"].(string)], id)
			if r["created_time"] == nil || r["owner_reason"] != "" {
				t.Errorf("a known owner without its time, or with a reason: %v", r)
			}
		case id == o.early:
			if r["owner_reason"] != "before the audit log" {
				t.Errorf("the early lease: %v", r)
			}
		case strings.HasPrefix(id, "auth/"):
			if r["owner_reason"] != "token lease" {
				t.Errorf("a token lease: %v", r)
			}
		default:
			t.Errorf("a lease without an owner nor a reason: %v", r)
		}
		if r["owner"] == "billing" && (r["entity_id"] != o.billing.EntityID || r["role"] != "billing" || r["display_name"] != "approle") {
			t.Errorf("billing's lease: %v", r)
		}
		if r["owner"] == "alice" && (r["entity_id"] != o.alice.EntityID || r["role"] != "alice" || r["display_name"] != "userpass-alice") {
			t.Errorf("alice's lease: %v", r)
		}
	}
	for name, ids := range o.made {
		slices.Sort(ids)
		slices.Sort(got[name])
		if !slices.Equal(ids, got[name]) {
			t.Errorf("ls names %s the owner of %v, want exactly %v", name, got[name], ids)
		}
	}
	out, _, _ = runCmd(t, "ls", "secret/alice/ssh/", "--vault-audit", o.audit)
	if !strings.HasPrefix(out, "LEASE") || !regexp.MustCompile(`RENEWABLE\s+OWNER\s+ENTITY\s+ROLE\n`).MatchString(out) ||
		strings.Count(out, " alice ") != 4 || !strings.Contains(out, o.alice.EntityID) {
		t.Errorf("ls table with owners:\n%s", out)
	}
	out, _, _ = runCmd(t, "ls", "secret/alice/ssh/", "-o", "jsonl")
	if strings.Contains(out, "owner") {
		t.Errorf("ls without --vault-audit must not change:\n%s", out)
	}
	// With the token store, each login's owner; without the log, the other
	// leases say so.
	out, errs, code = runCmd(t, "ls", "-r", "-o", "json", "--token-store")
	if code != 0 {
		t.Fatalf("ls --token-store: exit %d: %s", code, errs)
	}
	lsRows = nil
	if err := json.Unmarshal([]byte(out), &lsRows); err != nil {
		t.Fatal(err)
	}
	loginOwners := map[string]string{}
	for _, r := range lsRows {
		id := r["id"].(string)
		switch {
		case strings.HasPrefix(id, "auth/approle/login/") || strings.HasPrefix(id, "auth/userpass/login/"):
			loginOwners[r["owner"].(string)] = r["entity_id"].(string)
			if r["created_time"] == nil || r["owner_reason"] != "" {
				t.Errorf("a login's row without its time, or with a reason: %v", r)
			}
		case strings.HasPrefix(id, "auth/"):
		case r["owner"] != "" || r["owner_reason"] != "no audit log":
			t.Errorf("a lease the token store cannot name: %v", r)
		}
	}
	if len(loginOwners) != 2 || loginOwners["billing"] != o.billing.EntityID || loginOwners["alice"] != o.alice.EntityID {
		t.Errorf("ls --token-store names the logins' owners %v, want billing and alice with their entities", loginOwners)
	}

	// who: an actor's lease, a token lease, one made before the log, one
	// not in the log.
	id := o.made["billing"][0]
	out, errs, code = runCmd(t, "who", id, "--vault-audit", o.audit)
	if code != whoKnown {
		t.Fatalf("who %s: exit %d: %s", id, code, errs)
	}
	for _, want := range []string{"lease           " + id, "owner           billing\n", "display name    approle\n", "entity          " + o.billing.EntityID,
		"metadata        role_name=billing", "policies        ", "leasetop-seed-reader", "remote address  127.0.0.1", "user agent      ",
		"mount           secret/ (kv)", "path            secret/billing/", "made at         ", "(audit log)", "in Vault        live, expires "} {
		if !strings.Contains(out, want) {
			t.Errorf("who %s lacks %q:\n%s", id, want, out)
		}
	}
	out, _, code = runCmd(t, "who", "-o", "json", o.made["alice"][0], "--vault-audit", o.audit)
	var w report.Who
	if err := json.Unmarshal([]byte(out), &w); err != nil || code != whoKnown || !w.Known || w.Owner == nil || w.Owner.Name != "alice" ||
		w.Owner.EntityID != o.alice.EntityID || w.Owner.Metadata["username"] != "alice" || w.CreatedTime == nil || !w.InVault {
		t.Errorf("who -o json: exit %d, %v\n%s", code, err, out)
	}

	c := o.env.Client(t, "", vaultclient.Config{})
	logins, err := c.List(context.Background(), "auth/approle/login/")
	if err != nil || len(logins.LeaseIDs) == 0 {
		t.Fatalf("billing's login token lease: %v %v", logins, err)
	}
	out, _, code = runCmd(t, "who", logins.LeaseIDs[0], "--vault-audit", o.audit)
	if code != whoUnknown || !strings.Contains(out, "unknown: a token lease") || !strings.Contains(out, "--token-store finds its token") {
		t.Errorf("who on a token lease: exit %d\n%s", code, out)
	}
	// With the token store: billing's login, its accessor as Vault gives it
	// to billing's own token (read with the api package).
	self, err := o.billing.Seeder.C.Auth().Token().LookupSelf()
	if err != nil {
		t.Fatal(err)
	}
	billingAcc, _ := self.Data["accessor"].(string)
	login := logins.LeaseIDs[0]
	out, errs, code = runCmd(t, "who", login, "--token-store")
	for _, want := range [][2]string{{"owner", "billing\n"}, {"display name", "approle\n"}, {"entity", o.billing.EntityID},
		{"metadata", "role_name=billing"}, {"path", "auth/approle/login\n"}, {"accessor", billingAcc + "\n"}, {"made at", "(token store)\n"}} {
		re := regexp.MustCompile(`(?m)^` + want[0] + `\s+.*` + regexp.QuoteMeta(want[1]))
		if code != whoKnown || billingAcc == "" || !re.MatchString(out) {
			t.Errorf("who %s --token-store: exit %d, no %s %q:\n%s%s", login, code, want[0], want[1], out, errs)
		}
	}
	if strings.Contains(out, "remote address") {
		t.Errorf("who --token-store claims a remote address the token store does not give:\n%s", out)
	}
	out, _, code = runCmd(t, "who", "-o", "json", login, "--token-store", "--vault-audit", o.audit)
	var tw report.Who
	if err := json.Unmarshal([]byte(out), &tw); err != nil || code != whoKnown || tw.Source != "token store" || tw.Owner == nil ||
		tw.Owner.Name != "billing" || tw.Owner.Accessor != billingAcc || tw.CreatedTime == nil {
		t.Errorf("who -o json --token-store: exit %d, %v\n%s", code, err, out)
	}
	out, _, code = runCmd(t, "who", o.early, "--vault-audit", o.audit)
	if code != whoUnknown || !strings.Contains(out, "unknown: created before the audit log starts") {
		t.Errorf("who on a lease older than the log: exit %d\n%s", code, out)
	}
	snapshot := filepath.Join(t.TempDir(), "snapshot.log")
	if err := os.WriteFile(snapshot, logText, 0o600); err != nil {
		t.Fatal(err)
	}
	later, err := o.alice.Seeder.ReadLeasedKV(context.Background(), "alice/ssh", 1)
	if err != nil {
		t.Fatal(err)
	}
	out, _, code = runCmd(t, "who", later[0], "--vault-audit", snapshot)
	if code != whoUnknown || !strings.Contains(out, "unknown: not in the audit log read so far") {
		t.Errorf("who on a lease made after the log's end: exit %d\n%s", code, out)
	}
	out, _, code = runCmd(t, "who", later[0], "--vault-audit", o.audit)
	if code != whoKnown || !strings.Contains(out, "owner           alice\n") {
		t.Errorf("who on the same lease with the whole log: exit %d\n%s", code, out)
	}

	// Bad arguments.
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"owners"}, "--vault-audit PATH or --token-store is required"},
		{[]string{"owners", "--vault-audit", o.audit, "--by", "colour"}, `unknown grouping "colour": use one of entity, role, mount, remote, agent`},
		{[]string{"owners", "--vault-audit", o.audit, "-o", "yaml"}, "use one of table, json, csv"},
		{[]string{"owners", "--vault-audit", filepath.Join(t.TempDir(), "nope.log")}, "--vault-audit: stat "},
		{[]string{"who", id}, "--vault-audit PATH or --token-store is required"},
		{[]string{"who", "--vault-audit", o.audit}, "give one lease id"},
	} {
		_, errs, code := runCmd(t, tt.args...)
		if code != 2 || !strings.Contains(errs, tt.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 and %q", tt.args, code, errs, tt.want)
		}
	}

	// A token that may not list the tokens: said, and the rest stands.
	t.Setenv("VAULT_TOKEN", o.env.TokenWithPolicy(t, "leasetop-read", docPolicy(t, "../docs/serve.md", "## The policy it needs")))
	out, errs, code = runCmd(t, "owners", "--by", "role", "-o", "json", "--vault-audit", o.audit, "--token-store")
	rows = ownerRowsJSON(t, out)
	if code != 0 || !strings.Contains(errs, "warning: token leases stay without an owner: reading the token store: ") || !strings.Contains(errs, "auth/token/accessors") ||
		rows["billing"].Leases != len(o.made["billing"]) || !strings.Contains(rows["!token"].Reason, "token store not read: permission denied") {
		t.Errorf("owners --token-store without the policy: exit %d, stderr %q\n%s", code, errs, out)
	}
}

// revoke --owner revokes exactly the owner's leases: Vault's whole lease
// set before and after (read by vaulttest), and the requests counted at a
// proxy in front of Vault: one revocation per lease of the owner, each
// once, and no other request that changes anything.
func TestRevokeByOwnerRevokesExactlyTheOwnersLeases(t *testing.T) {
	o := startOwnersEnv(t)
	ctx := context.Background()
	c := o.env.Client(t, "", vaultclient.Config{})
	p, _ := o.env.Proxied(t)
	t.Setenv("VAULT_ADDR", p.URL)
	before := vaultLeases(t, o.env)
	revoke := func(stdin string, args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := Run(context.Background(), append([]string{"revoke"}, args...), strings.NewReader(stdin), &out, &errb)
		return out.String(), errb.String(), code
	}

	// Off a terminal, without --yes: refused, nothing touched.
	_, errs, code := revoke("billing\n", "--owner", "billing", "--by", "role", "--vault-audit", o.audit)
	if code != 2 || !strings.Contains(errs, "add --yes") || !strings.Contains(errs, "12 leases, captured now") {
		t.Errorf("no --yes off a terminal: exit %d, %q", code, errs)
	}
	if got := vaultLeases(t, o.env); !maps.Equal(got, before) {
		t.Fatalf("a refused revoke changed Vault's leases")
	}
	if n := p.Count(faultproxy.Request.Mutating); n != 0 || p.Count(func(faultproxy.Request) bool { return true }) == 0 {
		t.Fatalf("a refused revoke sent %d mutating requests (of %d through the proxy)", n, len(p.Requests()))
	}

	out, errs, code := revoke("", "--owner", "billing", "--by", "role", "--vault-audit", o.audit, "--yes", "--sync")
	if code != 0 || !strings.Contains(out, "revoked 12 of 12 leases of role_name billing") {
		t.Fatalf("revoke --owner billing: exit %d, %q %q", code, out, errs)
	}
	for _, want := range []string{"Revoke every lease of role_name billing (grouped by role) under /: 12 leases", "… and 9 more"} {
		if !strings.Contains(errs, want) {
			t.Errorf("the revoke did not show %q: %q", want, errs)
		}
	}
	after := vaultLeases(t, o.env)
	var removed []string
	for id := range before {
		if !after[id] {
			removed = append(removed, id)
		}
	}
	for id := range after {
		if !before[id] {
			t.Errorf("a lease appeared: %s", id)
		}
	}
	slices.Sort(removed)
	want := slices.Sorted(slices.Values(o.made["billing"]))
	if !slices.Equal(removed, want) {
		t.Errorf("revoke --owner billing removed %v, want exactly billing's %v", removed, want)
	}
	var sent []string // the lease ids of the revocations the proxy saw
	for _, req := range p.Requests() {
		if !req.Mutating() {
			continue
		}
		var body struct {
			LeaseID string `json:"lease_id"`
			Sync    bool   `json:"sync"`
		}
		if req.Method != http.MethodPut || req.Path != "sys/leases/revoke" || json.Unmarshal(req.Body, &body) != nil || !body.Sync {
			t.Errorf("revoke --owner sent %s %s %s: not a revocation of one lease, synchronous", req.Method, req.Path, req.Body)
			continue
		}
		sent = append(sent, body.LeaseID)
	}
	if slices.Sort(sent); !slices.Equal(sent, want) {
		t.Errorf("revoke --owner billing sent %d revocations %v, want one for each of billing's %d: %v", len(sent), sent, len(want), want)
	}

	// A user also called billing makes "billing" name two groups by role.
	billing2, err := o.env.Seed.UserpassActor(ctx, "userpass", "billing")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := billing2.Seeder.ReadLeasedKV(ctx, "alice/ssh", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := o.billing.Seeder.ReadLeasedKV(ctx, "billing/db", 1); err != nil {
		t.Fatal(err)
	}
	before = vaultLeases(t, o.env)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--owner", "billing", "--by", "role"}, `--owner "billing" is ambiguous grouped by role: it names 2 groups: `},
		{[]string{"--owner", "billing", "--by", "entity"}, `is ambiguous grouped by entity`},
		{[]string{"--owner", "nobody", "--by", "role"}, `no owner named "nobody" among the leases under / grouped by role; the owners: `},
		{[]string{"--owner", "!token"}, "no owner: a token lease (the audit log cannot name it: its id is a salted hash): these leases have no owner to revoke by"},
		{[]string{"--owner", "billing", "--by", "colour"}, `unknown grouping "colour"`},
		{[]string{"--owner", "alice", "--prefix", "secret/"}, "not --prefix"},
		{[]string{"--owner", "alice", "--force"}, "--force revokes a prefix"},
		{[]string{"--owner", "alice", "--vault-audit", ""}, "--vault-audit PATH is required"},
		{[]string{"--vault-audit", "x", "secret/a/b"}, "--vault-audit and --by go with --owner NAME"},
	} {
		args := tt.args
		if !slices.Contains(args, "--vault-audit") {
			args = append(args, "--vault-audit", o.audit)
		}
		_, errs, code := revoke("", append(args, "--yes")...)
		if code != 2 || !strings.Contains(errs, tt.want) {
			t.Errorf("revoke %v: exit %d, %q; want exit 2 and %q", args, code, errs, tt.want)
		}
	}
	_, errs, code = revoke("", "--owner", "alice", "--yes")
	if code != 2 || !strings.Contains(errs, "--vault-audit PATH is required") {
		t.Errorf("revoke --owner without --vault-audit: exit %d, %q", code, errs)
	}
	if got := vaultLeases(t, o.env); !maps.Equal(got, before) {
		t.Errorf("a refused revoke --owner changed Vault's leases")
	}

	// The key names one group when the name names two.
	out, errs, code = revoke("", "--owner", "role:username=billing", "--by", "role", "secret/alice/", "--vault-audit", o.audit, "--yes", "--sync")
	if code != 0 || !strings.Contains(out, "revoked 2 of 2 leases of username billing") {
		t.Errorf("revoke by key: exit %d, %q %q", code, out, errs)
	}
	if l, _ := c.List(ctx, "secret/alice/ssh/"); len(l.LeaseIDs) != 4 {
		t.Errorf("alice's 4 leases must stay: %d left", len(l.LeaseIDs))
	}
}
