package hygiene

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// crawlAll crawls the whole tree as `leasetop check` does.
func crawlAll(t *testing.T, c *vaultclient.Client) *model.Index {
	t.Helper()
	idx := model.NewIndex()
	now := time.Now()
	for ev := range c.Walk(ctxT(t), "", vaultclient.WalkOptions{}) {
		crawl.Apply(idx, ev, now, nil)
		if ev.Kind == vaultclient.EventError {
			t.Fatalf("crawl: %v", ev.Err)
		}
	}
	return idx
}

// under is the ids of set under prefix, sorted.
func under(set map[string]bool, prefix string) []string {
	var out []string
	for id := range set {
		if strings.HasPrefix(id, prefix) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// minus is a's ids that b lacks, sorted.
func minus(a, b map[string]bool) []string {
	var out []string
	for id := range a {
		if !b[id] {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func del(t *testing.T, env *vaulttest.Env, path string) {
	t.Helper()
	if _, err := env.API.Logical().Delete(path); err != nil {
		t.Fatalf("delete %s: %v", path, err)
	}
}

// Roles deleted with their leases alive: a database role on a real
// PostgreSQL, an AppRole role after logins, a userpass user. Each is found
// with Vault's own count of its leases, the roles that remain are not, and
// each finding's action revokes exactly its leases.
func TestOrphanRolesAreFoundWithTheirLeasesAndTheActionRevokesExactlyThem(t *testing.T) {
	env := vaulttest.Start(t)
	pg := vaulttest.Postgres(t)
	ctx := ctxT(t)
	s := env.Seed
	db := vaulttest.Database(pg, "database")
	if _, err := s.DatabaseRole(ctx, db, "gone", time.Hour, 2*time.Hour, 4); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DatabaseRole(ctx, db, "kept", time.Hour, 2*time.Hour, 3); err != nil {
		t.Fatal(err)
	}
	// AppRole login leases do not name their role: which are whose comes
	// from Vault's listing before and after each role's logins.
	before := env.AllLeaseIDs(t)
	if _, err := s.AppRole(ctx, "approle", "gone-app", time.Hour, 5); err != nil {
		t.Fatal(err)
	}
	afterGone := env.AllLeaseIDs(t)
	if _, err := s.AppRole(ctx, "approle", "kept-app", time.Hour, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Userpass(ctx, "userpass", "bob", time.Hour, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Userpass(ctx, "userpass", "carol", time.Hour, 1); err != nil {
		t.Fatal(err)
	}
	del(t, env, "database/roles/gone")
	del(t, env, "auth/approle/role/gone-app")
	del(t, env, "auth/userpass/users/bob")

	all := env.AllLeaseIDs(t)
	want := map[string][]string{ // prefix (or owner) -> the leases Vault holds there
		"database/creds/gone/":     under(all, "database/creds/gone/"),
		"auth/approle/login/":      minus(afterGone, before),
		"auth/userpass/login/bob/": under(all, "auth/userpass/login/bob/"),
	}
	if n := len(want["database/creds/gone/"]) + len(want["auth/approle/login/"]) + len(want["auth/userpass/login/bob/"]); n != 4+5+2 {
		t.Fatalf("seeding made %d leases for the roles to delete, want 11", n)
	}

	c := env.Client(t, "", vaultclient.Config{})
	fs, un := FindOrphans(ctx, c, OrphanInput{Leases: Snapshot(crawlAll(t, c), "")})
	if len(un) != 0 {
		t.Fatalf("unchecked with a root token: %+v", un)
	}
	got := map[string]Finding{}
	for _, f := range fs {
		if f.Kind != OrphanRole {
			t.Errorf("unexpected finding %s %s: %s", f.Kind, f.Prefix, f.Title)
			continue
		}
		got[f.Prefix] = f
	}
	if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
		t.Fatalf("findings at %v, want %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	for p, ids := range want {
		f := got[p]
		if f.Leases != len(ids) || !slices.Equal(f.LeaseIDs, ids) {
			t.Errorf("%s: %d leases %v, want Vault's %d %v", p, f.Leases, f.LeaseIDs, len(ids), ids)
		}
	}
	if f := got["auth/approle/login/"]; f.Action.Kind != RevokeLeases || f.Owner != "role_name=gone-app" {
		t.Errorf("approle finding: action %v owner %q, want RevokeLeases of role_name=gone-app", f.Action.Kind, f.Owner)
	}
	if f := got["database/creds/gone/"]; f.Action.Kind != RevokePrefix || f.Command() != "leasetop revoke --prefix database/creds/gone/" {
		t.Errorf("database finding: action %v, command %q", f.Action.Kind, f.Command())
	}

	for _, p := range slices.Sorted(maps.Keys(want)) {
		f := got[p]
		beforeFix := env.AllLeaseIDs(t)
		if err := Fix(ctx, c, f); err != nil {
			t.Fatalf("fix %s: %v", p, err)
		}
		afterFix := env.AllLeaseIDs(t)
		if gone := minus(beforeFix, afterFix); !slices.Equal(gone, want[p]) {
			t.Errorf("fixing %s revoked %v, want exactly %v", p, gone, want[p])
		}
		if added := minus(afterFix, beforeFix); len(added) != 0 {
			t.Errorf("fixing %s made leases %v", p, added)
		}
	}
	if again, _ := FindOrphans(ctx, c, OrphanInput{Leases: Snapshot(crawlAll(t, c), "")}); len(again) != 0 {
		t.Errorf("after the fixes, still %d findings: %+v", len(again), again)
	}
}

// A token that may not read the roles, the token store or the irrevocable
// leases gets, instead of a guess, the policy line each check needs.
func TestOrphanChecksTheTokenMayNotReadSayWhichPolicyLineIsMissing(t *testing.T) {
	env := vaulttest.Start(t)
	ctx := ctxT(t)
	if _, err := env.Seed.PKI(ctx, "pki", "web", time.Hour, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Seed.AppRole(ctx, "approle", "ci", time.Hour, 1); err != nil {
		t.Fatal(err)
	}
	root := env.Client(t, "", vaultclient.Config{})
	idx := crawlAll(t, root)
	tok := env.TokenWithPolicy(t, "mounts-only", `
path "sys/mounts" { capabilities = ["read"] }
path "sys/auth" { capabilities = ["read"] }
`)
	c := env.Client(t, tok, vaultclient.Config{})
	fs, un := FindOrphans(ctx, c, OrphanInput{Leases: Snapshot(idx, "")})
	if len(fs) != 0 {
		t.Errorf("findings without the right to read roles: %+v", fs)
	}
	wantMissing := map[string]string{
		"pki/issue/web/": `path "pki/roles/web" { capabilities = ["read"] }`,
		// AppRole login leases name no role: the token store would.
		"auth/approle/login/": `path "auth/token/accessors" { capabilities = ["list", "sudo"] }`,
		"":                    `path "sys/leases" { capabilities = ["read", "sudo"] }`,
	}
	gotMissing := map[string]string{}
	for _, u := range un {
		gotMissing[u.Prefix] = u.Missing
	}
	for p, line := range wantMissing {
		if gotMissing[p] != line {
			t.Errorf("unchecked at %q names %q, want %q (all: %+v)", p, gotMissing[p], line, un)
		}
	}
}

func TestRolePathOfEachEngine(t *testing.T) {
	for _, tt := range []struct {
		mount  vaultclient.Mount
		prefix string
		want   string
	}{
		{vaultclient.Mount{Path: "database/", Type: "database"}, "database/creds/ro/", "database/roles/ro"},
		{vaultclient.Mount{Path: "db/prod/", Type: "database"}, "db/prod/creds/ro/", "db/prod/roles/ro"},
		{vaultclient.Mount{Path: "pki/", Type: "pki"}, "pki/issue/web/", "pki/roles/web"},
		{vaultclient.Mount{Path: "aws/", Type: "aws"}, "aws/sts/deploy/", "aws/roles/deploy"},
		{vaultclient.Mount{Path: "nomad/", Type: "nomad"}, "nomad/creds/ops/", "nomad/role/ops"},
		{vaultclient.Mount{Path: "auth/userpass/", Type: "userpass", Auth: true}, "auth/userpass/login/bob/", "auth/userpass/users/bob"},
		{vaultclient.Mount{Path: "database/", Type: "database"}, "database/static-creds/ro/", ""},
		{vaultclient.Mount{Path: "database/", Type: "database"}, "database/creds/", ""},
		{vaultclient.Mount{Path: "secret/", Type: "kv"}, "secret/creds/x/", ""},
		{vaultclient.Mount{Path: "userpass/", Type: "userpass"}, "userpass/login/bob/", ""},
	} {
		got, _, _ := rolePathOf(tt.mount, tt.prefix)
		if got != tt.want {
			t.Errorf("rolePathOf(%s %s, %s) = %q, want %q", tt.mount.Type, tt.mount.Path, tt.prefix, got, tt.want)
		}
	}
}

func TestMountRoot(t *testing.T) {
	for in, want := range map[string]string{
		"old/creds/x/":          "old/",
		"auth/gone/login/":      "auth/gone/",
		"auth/":                 "auth/",
		"database/creds/a/b/c/": "database/",
	} {
		if got := mountRoot(in); got != want {
			t.Errorf("mountRoot(%q) = %q, want %q", in, got, want)
		}
	}
}

// Where each prefix's role is read, from the mounts Vault lists: by path,
// through the token store, or nowhere because no mount serves it (leases
// already reported as irrevocable with their mount gone left out).
func TestClassifySortsPrefixesByWhereTheirRoleIs(t *testing.T) {
	mounts := []vaultclient.Mount{
		{Path: "database/", Type: "database"},
		{Path: "secret/", Type: "kv"},
		{Path: "auth/approle/", Type: "approle", Auth: true},
		{Path: "auth/userpass/", Type: "userpass", Auth: true},
		{Path: "auth/token/", Type: "token", Auth: true},
	}
	lease := func(ids ...string) []Lease {
		var out []Lease
		for _, id := range ids {
			out = append(out, Lease{Key: leaseid.Key(id)})
		}
		return out
	}
	groups := map[string][]Lease{
		"database/creds/ro/":        lease("database/creds/ro/a", "database/creds/ro/b"),
		"secret/app/":               lease("secret/app/x"),
		"auth/approle/login/":       lease("auth/approle/login/h1"),
		"auth/userpass/login/bob/":  lease("auth/userpass/login/bob/h2"),
		"auth/token/create/":        lease("auth/token/create/h3"),
		"olddb/creds/ro/":           lease("olddb/creds/ro/c", "olddb/creds/ro/d"),
		"auth/gone/login/":          lease("auth/gone/login/h4"),
		"legacy/creds/irrevocable/": lease("legacy/creds/irrevocable/e"),
	}
	cl := classify(mounts, groups, map[string]bool{"legacy/creds/irrevocable/e": true})
	var roles []string
	for _, rc := range cl.roles {
		roles = append(roles, rc.prefix+" -> "+rc.path)
	}
	if want := []string{"auth/userpass/login/bob/ -> auth/userpass/users/bob", "database/creds/ro/ -> database/roles/ro"}; !slices.Equal(roles, want) {
		t.Errorf("roles %v, want %v", roles, want)
	}
	if want := []string{"auth/approle/login/"}; !slices.Equal(cl.tokenPrefixes, want) {
		t.Errorf("token prefixes %v, want %v", cl.tokenPrefixes, want)
	}
	wantNoMount := map[string][]string{"olddb/": {"olddb/creds/ro/c", "olddb/creds/ro/d"}, "auth/gone/": {"auth/gone/login/h4"}}
	if !maps.EqualFunc(cl.noMount, wantNoMount, slices.Equal[[]string]) {
		t.Errorf("no mount %v, want %v", cl.noMount, wantNoMount)
	}
}
