package vaultclient_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/leasetop/leasetop/internal/devvault"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/vaultclient"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// must(f()).get(t) fails the test when f returned an error.
func must[T any](v T, err error) result[T] { return result[T]{v, err} }

type result[T any] struct {
	v   T
	err error
}

func (r result[T]) get(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

// walkAll collects a walk into leases by prefix, listings and errors. It
// checks that EventCounted comes once, after every listing.
func walkAll(t *testing.T, c *vaultclient.Client, prefix string, opt vaultclient.WalkOptions) (leases map[string]vaultclient.Lease, listed map[string]vaultclient.Listing, errs []error) {
	t.Helper()
	leases = map[string]vaultclient.Lease{}
	listed = map[string]vaultclient.Listing{}
	counted := 0
	defer func() {
		if counted != 1 {
			t.Errorf("the walk sent EventCounted %d times, want once", counted)
		}
	}()
	for ev := range c.Walk(ctxT(t), prefix, opt) {
		switch ev.Kind {
		case vaultclient.EventCounted:
			counted++
		case vaultclient.EventListed:
			if counted > 0 {
				t.Errorf("%s was listed after EventCounted", ev.Listing.Prefix)
			}
			listed[ev.Listing.Prefix] = ev.Listing
		case vaultclient.EventLease:
			if _, ok := listed[ev.Lease.Prefix()]; !ok {
				t.Errorf("lease %s arrived before its prefix was listed", ev.Lease.ID)
			}
			leases[ev.Lease.ID] = ev.Lease
		case vaultclient.EventError:
			errs = append(errs, ev.Err)
		}
	}
	return leases, listed, errs
}

func countUnder(leases map[string]vaultclient.Lease, prefix string) int {
	n := 0
	for id := range leases {
		if strings.HasPrefix(id, prefix) {
			n++
		}
	}
	return n
}

func TestListWalkLookupOnEveryLeaseKind(t *testing.T) {
	env := vaulttest.Start(t)
	pg := vaulttest.Postgres(t)
	ctx := ctxT(t)
	s := env.Seed
	kv := must(s.LeasedKV(ctx, "aws/prod/s3", time.Hour, 30)).get(t)
	must(s.LeasedKV(ctx, "aws/dev/s3", time.Hour, 10)).get(t)
	must(s.Userpass(ctx, "userpass", "alice", time.Hour, 3)).get(t)
	must(s.AppRole(ctx, "approle", "ci", time.Hour, 4)).get(t)
	must(s.Tokens(ctx, time.Hour, 5)).get(t)
	pki := must(s.PKI(ctx, "pki", "web", time.Hour, 3)).get(t)
	db := must(s.DatabaseRole(ctx, vaulttest.Database(pg, "database"), "readonly", time.Hour, 2*time.Hour, 4)).get(t)

	c := env.Client(t, "", vaultclient.Config{})

	root := must(c.List(ctx, "")).get(t)
	for _, want := range []string{"auth/", "database/", "pki/", "secret/"} {
		if !contains(root.Prefixes, want) {
			t.Errorf("root listing %v lacks %s", root.Prefixes, want)
		}
	}
	aws := must(c.List(ctx, "secret/aws")).get(t)
	if want := []string{"secret/aws/dev/", "secret/aws/prod/"}; !equal(aws.Prefixes, want) || len(aws.LeaseIDs) != 0 {
		t.Errorf("List(secret/aws) = %+v, want prefixes %v and no leases", aws, want)
	}
	prod := must(c.List(ctx, "/secret/aws/prod/s3/")).get(t)
	if len(prod.LeaseIDs) != 30 {
		t.Errorf("secret/aws/prod/s3/ has %d leases, want 30", len(prod.LeaseIDs))
	}
	empty, err := c.List(ctx, "nothing/here/")
	if err != nil || len(empty.LeaseIDs)+len(empty.Prefixes) != 0 {
		t.Errorf("an empty prefix is an empty listing, not an error: %+v %v", empty, err)
	}

	leases, listed, errs := walkAll(t, c, "", vaultclient.WalkOptions{Concurrency: 8})
	if len(errs) > 0 {
		t.Fatalf("walk errors: %v", errs)
	}
	for prefix, want := range map[string]int{
		"secret/aws/prod/s3/":        30,
		"secret/aws/dev/s3/":         10,
		"auth/userpass/login/alice/": 3,
		"auth/approle/login/":        4,
		"pki/issue/web/":             3,
		"database/creds/readonly/":   4,
		"auth/token/create/":         5, // plus the dev root token's own lease
	} {
		got := countUnder(leases, prefix)
		if prefix == "auth/token/create/" {
			got-- // the root token
		}
		if got != want {
			t.Errorf("walk found %d leases under %s, want %d", got, prefix, want)
		}
	}
	if _, ok := listed["secret/aws/"]; !ok {
		t.Error("walk did not report listing secret/aws/")
	}

	listOnly, _, _ := walkAll(t, c, "", vaultclient.WalkOptions{ListOnly: true})
	if len(listOnly) != 0 {
		t.Error("a list-only walk must not look leases up")
	}

	// Every kind, looked up on its own.
	k := must(c.Lookup(ctx, kv[0])).get(t)
	if !k.Renewable || k.TTL <= 0 || k.TTL > time.Hour || !k.LastRenewal.IsZero() ||
		k.ExpireTime.Sub(k.IssueTime).Round(time.Second) != time.Hour || k.Prefix() != "secret/aws/prod/s3/" {
		t.Errorf("leased KV lookup: %+v", k)
	}
	p := must(c.Lookup(ctx, pki[0])).get(t)
	if p.Renewable {
		t.Errorf("PKI leases are not renewable: %+v", p)
	}
	d := must(c.Lookup(ctx, db[0])).get(t)
	if !d.Renewable || d.ExpireTime.IsZero() {
		t.Errorf("database lease: %+v", d)
	}
	var rootLease *vaultclient.Lease
	for _, l := range leases {
		if strings.HasPrefix(l.ID, "auth/token/create/") && l.ExpireTime.IsZero() {
			rootLease = &l
		}
	}
	if rootLease == nil {
		t.Error("the dev root token's lease (no expiry) was not found")
	}
	for _, l := range leases {
		if strings.HasPrefix(l.ID, "auth/approle/login/") && (!l.Renewable || !leaseid.IsToken(l.ID)) {
			t.Errorf("a login lease looks up renewable and is a token lease: %+v", l)
		}
	}

	if _, err := c.Lookup(ctx, "secret/aws/prod/s3/doesnotexist"); !errors.Is(err, vaultclient.ErrInvalidLease) {
		t.Errorf("lookup of an unknown id: %v, want ErrInvalidLease", err)
	}
}

// KV mounts never issue leases, although a KV v1 read carries a
// lease_duration. (Only a dev server's -dev-leased-kv mount does, so this
// runs on a server without it, where secret/ is a real KV v2.)
func TestKVReadsMakeNoLease(t *testing.T) {
	env := vaulttest.Start(t, func(o *devvault.Options) { o.NoLeasedKV = true })
	ctx := ctxT(t)
	eventually(t, func() bool { // a new KV v2 mount upgrades itself in the background first
		_, err := env.API.KVv2("secret").Put(ctx, "app", map[string]any{"password": "x", "ttl": "1h"})
		return err == nil
	})
	v2, err := env.API.KVv2("secret").Get(ctx, "app")
	if err != nil || v2.Raw.LeaseID != "" {
		t.Fatalf("KV v2 read gave lease %q (%v)", v2.Raw.LeaseID, err)
	}
	if err := env.API.Sys().MountWithContext(ctx, "kv1", &api.MountInput{Type: "kv", Options: map[string]string{"version": "1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.API.Logical().WriteWithContext(ctx, "kv1/app", map[string]any{"password": "x", "ttl": "1h"}); err != nil {
		t.Fatal(err)
	}
	v1, err := env.API.Logical().ReadWithContext(ctx, "kv1/app")
	if err != nil || v1.LeaseID != "" || v1.LeaseDuration != 3600 {
		t.Fatalf("KV v1 read: lease %q, duration %d (%v); want no lease but a 3600s duration hint", v1.LeaseID, v1.LeaseDuration, err)
	}

	c := env.Client(t, "", vaultclient.Config{})
	for _, prefix := range []string{"secret/", "kv1/"} {
		if l := must(c.List(ctx, prefix)).get(t); len(l.LeaseIDs)+len(l.Prefixes) != 0 {
			t.Errorf("KV made leases under %s: %+v", prefix, l)
		}
	}
	mounts := must(c.Mounts(ctx)).get(t)
	for path, version := range map[string]string{"secret/data/app": "2", "kv1/app": "1"} {
		m, ok := vaultclient.MountOf(mounts, path)
		if !ok || m.Type != "kv" || m.KVVersion != version || !m.IssuesNoLeases() {
			t.Errorf("mount of %s: %+v, want kv v%s that issues no leases", path, m, version)
		}
	}
}

func TestRenew(t *testing.T) {
	env := vaulttest.Start(t)
	pg := vaulttest.Postgres(t)
	ctx := ctxT(t)
	c := env.Client(t, "", vaultclient.Config{})

	kv := must(env.Seed.LeasedKV(ctx, "app", 10*time.Minute, 1)).get(t)
	r := must(c.Renew(ctx, kv[0], 30*time.Minute)).get(t)
	if r.LeaseID != kv[0] || r.Requested != 30*time.Minute || r.Granted <= 0 || !r.Renewable {
		t.Errorf("renew of a leased KV lease: %+v", r)
	}
	l := must(c.Lookup(ctx, kv[0])).get(t)
	if l.LastRenewal.IsZero() {
		t.Error("last_renewal must be set after a renewal")
	}

	// The role's max TTL caps what is granted: asked 1h, granted at most 3m.
	db := must(env.Seed.DatabaseRole(ctx, vaulttest.Database(pg, "database"), "short", time.Minute, 3*time.Minute, 1)).get(t)
	r = must(c.Renew(ctx, db[0], time.Hour)).get(t)
	if !r.Capped() || r.Granted > 3*time.Minute || r.Granted <= 0 || r.Requested != time.Hour {
		t.Errorf("renew above max TTL: %+v, want granted <= 3m and Capped", r)
	}

	pki := must(env.Seed.PKI(ctx, "pki", "web", time.Hour, 1)).get(t)
	if _, err := c.Renew(ctx, pki[0], time.Hour); !errors.Is(err, vaultclient.ErrNotRenewable) {
		t.Errorf("renew PKI lease: %v, want ErrNotRenewable", err)
	}

	must(env.Seed.AppRole(ctx, "approle", "ci", time.Hour, 1)).get(t)
	logins := must(c.List(ctx, "auth/approle/login/")).get(t)
	if len(logins.LeaseIDs) != 1 {
		t.Fatalf("approle logins: %+v", logins)
	}
	_, err := c.Renew(ctx, logins.LeaseIDs[0], time.Hour)
	if !errors.Is(err, vaultclient.ErrTokenLease) || !strings.Contains(err.Error(), "auth/token/renew") {
		t.Errorf("renew token lease: %v, want ErrTokenLease that names auth/token/renew", err)
	}

	if _, err := c.Revoke(ctx, kv[0], true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Renew(ctx, kv[0], time.Hour); !errors.Is(err, vaultclient.ErrInvalidLease) {
		t.Errorf("renew revoked lease: %v, want ErrInvalidLease", err)
	}
}

func TestRevokeOneSyncAndAsync(t *testing.T) {
	env := vaulttest.Start(t)
	ctx := ctxT(t)
	c := env.Client(t, "", vaultclient.Config{})
	ids := must(env.Seed.LeasedKV(ctx, "app", time.Hour, 3)).get(t)

	r := must(c.Revoke(ctx, ids[0], true)).get(t)
	if r.Queued {
		t.Error("a sync revoke is not queued")
	}
	if _, err := c.Lookup(ctx, ids[0]); !errors.Is(err, vaultclient.ErrInvalidLease) {
		t.Errorf("after sync revoke, lookup: %v", err)
	}
	r = must(c.Revoke(ctx, ids[1], false)).get(t)
	if !r.Queued {
		t.Error("an async revoke answers 202, queued")
	}
	eventually(t, func() bool { _, err := c.Lookup(ctx, ids[1]); return errors.Is(err, vaultclient.ErrInvalidLease) })
	if _, err := c.Lookup(ctx, ids[2]); err != nil {
		t.Errorf("the lease not revoked must stay: %v", err)
	}
	if _, err := c.Revoke(ctx, "secret/app/never-existed", true); err != nil {
		t.Errorf("Vault answers 204 to revoking an unknown id: %v", err)
	}
}

func TestRevokePrefixTouchesOnlyThePrefix(t *testing.T) {
	env := vaulttest.Start(t)
	ctx := ctxT(t)
	c := env.Client(t, "", vaultclient.Config{})
	must(env.Seed.LeasedKV(ctx, "team/a", time.Hour, 20)).get(t)
	must(env.Seed.LeasedKV(ctx, "team/ab", time.Hour, 7)).get(t)
	must(env.Seed.LeasedKV(ctx, "team/b", time.Hour, 5)).get(t)

	r := must(c.RevokePrefix(ctx, "secret/team/a/", true)).get(t)
	if r.Queued {
		t.Error("sync revoke-prefix is not queued")
	}
	if n := len(must(c.List(ctx, "secret/team/a/")).get(t).LeaseIDs); n != 0 {
		t.Errorf("%d leases left under the revoked prefix", n)
	}
	if n := len(must(c.List(ctx, "secret/team/ab/")).get(t).LeaseIDs); n != 7 {
		t.Errorf("secret/team/ab/ shares a string prefix and must be untouched: %d left, want 7", n)
	}

	r = must(c.RevokePrefix(ctx, "secret/team/b", false)).get(t)
	if !r.Queued {
		t.Error("async revoke-prefix answers 202, queued")
	}
	eventually(t, func() bool { return len(must(c.List(ctx, "secret/team/b/")).get(t).LeaseIDs) == 0 })

	if _, err := c.RevokePrefix(ctx, "", true); !errors.Is(err, vaultclient.ErrBadRequest) {
		t.Errorf("revoking the empty prefix must be refused: %v", err)
	}
	if _, err := c.RevokePrefix(ctx, "secret/team/../", true); !errors.Is(err, vaultclient.ErrBadRequest) {
		t.Errorf("a .. segment must be refused, not cleaned into another prefix: %v", err)
	}
	if n := len(must(c.List(ctx, "secret/team/ab/")).get(t).LeaseIDs); n != 7 {
		t.Errorf("refused revocations must not touch anything: %d left, want 7", n)
	}
}

func TestRevokeForcePrefixAndSingleID(t *testing.T) {
	env := vaulttest.Start(t)
	ctx := ctxT(t)
	c := env.Client(t, "", vaultclient.Config{})
	ids := must(env.Seed.LeasedKV(ctx, "one", time.Hour, 3)).get(t)
	must(env.Seed.LeasedKV(ctx, "many", time.Hour, 4)).get(t)

	if err := c.RevokeForce(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	left := must(c.List(ctx, "secret/one/")).get(t).LeaseIDs
	if len(left) != 2 || contains(left, ids[0]) {
		t.Errorf("force-revoking one full id must remove exactly it: left %v", left)
	}
	if err := c.RevokeForce(ctx, "secret/many/"); err != nil {
		t.Fatal(err)
	}
	if n := len(must(c.List(ctx, "secret/many/")).get(t).LeaseIDs); n != 0 {
		t.Errorf("%d left after revoke-force", n)
	}
}

func TestIrrevocableOnAServerWithNone(t *testing.T) {
	env := vaulttest.Start(t)
	ctx := ctxT(t)
	c := env.Client(t, "", vaultclient.Config{})
	must(env.Seed.LeasedKV(ctx, "app", time.Hour, 2)).get(t)
	l := must(c.Irrevocable(ctx, 0)).get(t)
	if l.Count != 0 || len(l.Leases) != 0 {
		t.Errorf("irrevocable list: %+v", l)
	}
	n := must(c.IrrevocableCount(ctx)).get(t)
	if n.Total != 0 || len(n.ByMountAccessor) != 0 {
		t.Errorf("irrevocable count: %+v", n)
	}
}

func TestMountsCapabilitiesAndSelf(t *testing.T) {
	env := vaulttest.Start(t)
	ctx := ctxT(t)
	c := env.Client(t, "", vaultclient.Config{})
	must(env.Seed.AppRole(ctx, "approle", "ci", time.Hour, 1)).get(t)
	mounts := must(c.Mounts(ctx)).get(t)
	byPath := map[string]vaultclient.Mount{}
	for _, m := range mounts {
		byPath[m.Path] = m
	}
	if m := byPath["auth/approle/"]; m.Type != "approle" || !m.Auth || m.Accessor == "" {
		t.Errorf("auth/approle/: %+v", m)
	}
	if m := byPath["secret/"]; m.Type != "kv" {
		t.Errorf("secret/: %+v", m)
	}
	if m, ok := vaultclient.MountOf(mounts, "auth/approle/login/habc"); !ok || m.Path != "auth/approle/" {
		t.Errorf("MountOf auth lease: %+v", m)
	}

	caps := must(c.Capabilities(ctx, []string{"sys/leases/lookup/secret/", "sys/leases/renew"})).get(t)
	if !contains(caps["sys/leases/renew"], "root") {
		t.Errorf("root token capabilities: %v", caps)
	}
	self := must(c.Self(ctx)).get(t)
	if self.Path == "" || !contains(self.Policies, "root") {
		t.Errorf("self: %+v", self)
	}

	limited := env.TokenWithPolicy(t, "lookup-only", `
path "sys/leases/lookup" { capabilities = ["update"] }
path "sys/leases/lookup/secret/*" { capabilities = ["list"] }
`)
	lc := env.Client(t, limited, vaultclient.Config{})
	caps = must(lc.Capabilities(ctx, []string{"sys/leases/lookup/secret/x", "sys/leases/revoke"})).get(t)
	if !equal(caps["sys/leases/lookup/secret/x"], []string{"list"}) || !equal(caps["sys/leases/revoke"], []string{"deny"}) {
		t.Errorf("limited capabilities: %v", caps)
	}
	lself := must(lc.Self(ctx)).get(t)
	if lself.Path != "auth/token/create" {
		t.Errorf("a created token's path: %q", lself.Path)
	}
	if !vaultclient.CoversOwnToken("auth/token/", lself) || vaultclient.CoversOwnToken("secret/", lself) {
		t.Error("CoversOwnToken with a real token's path")
	}
}

func TestPermissionDeniedNamesTheMissingPolicyLine(t *testing.T) {
	env := vaulttest.Start(t)
	ctx := ctxT(t)
	must(env.Seed.LeasedKV(ctx, "app", time.Hour, 1)).get(t)
	// list without sudo: Vault still refuses, because the path is a sudo path.
	tok := env.TokenWithPolicy(t, "no-sudo", `path "sys/leases/lookup/*" { capabilities = ["list"] }`)
	c := env.Client(t, tok, vaultclient.Config{})
	_, err := c.List(ctx, "secret/")
	if !errors.Is(err, vaultclient.ErrPermissionDenied) {
		t.Fatalf("list without sudo: %v, want ErrPermissionDenied", err)
	}
	if !strings.Contains(err.Error(), `path "sys/leases/lookup/*" { capabilities = ["list", "sudo"] }`) {
		t.Errorf("the error must name the missing policy line: %v", err)
	}
	if strings.Contains(err.Error(), tok) {
		t.Error("the token is in the error")
	}
	// A walk reports the denied branch and ends; it does not hang or panic.
	_, _, errs := walkAll(t, c, "secret/", vaultclient.WalkOptions{})
	if len(errs) != 1 || !errors.Is(errs[0], vaultclient.ErrPermissionDenied) {
		t.Errorf("walk errors: %v", errs)
	}
}

func TestBadTokenAndUnreachable(t *testing.T) {
	env := vaulttest.Start(t)
	ctx := ctxT(t)
	bad := "hvs.not-a-real-token-0123456789"
	c := env.Client(t, bad, vaultclient.Config{})
	_, err := c.List(ctx, "")
	if err == nil || strings.Contains(err.Error(), bad) {
		t.Fatalf("bad token: %v (and the token must not appear)", err)
	}
	if k := vaultclient.KindOf(err); k != vaultclient.KindBadToken {
		t.Errorf("bad token kind %v: %v", k, err)
	}
	t.Logf("bad token: %v", err)

	port := must(freePort()).get(t)
	t.Setenv("VAULT_ADDR", "http://127.0.0.1:"+port)
	t.Setenv("VAULT_TOKEN", bad)
	uc := must(vaultclient.New(vaultclient.Config{MaxRetries: -1})).get(t)
	_, err = uc.List(ctx, "")
	if !errors.Is(err, vaultclient.ErrUnreachable) || strings.Contains(err.Error(), bad) {
		t.Errorf("unreachable: %v", err)
	}
	if !strings.Contains(err.Error(), "check VAULT_ADDR") {
		t.Errorf("the unreachable error should say what to check: %v", err)
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	env := vaulttest.Start(t)
	ctx := ctxT(t)
	must(env.Seed.LeasedKV(ctx, "app", time.Hour, 2)).get(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("VAULT_ADDR", env.Server.Addr)
	t.Setenv("VAULT_TOKEN", "")
	t.Setenv("VAULT_CONFIG_PATH", home+"/.vault")
	if err := writeFile(home+"/.vault-token", env.Server.RootToken); err != nil {
		t.Fatal(err)
	}
	c := must(vaultclient.New(vaultclient.Config{})).get(t)
	if !c.HasToken() {
		t.Fatal("the token in ~/.vault-token was not read")
	}
	if n := len(must(c.List(ctx, "secret/app/")).get(t).LeaseIDs); n != 2 {
		t.Errorf("listing with the ~/.vault-token token: %d", n)
	}
}

func eventually(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func equal(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}
