package vaultclient_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/seed"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// The token store on a real dev server: two clients log in (AppRole role
// billing, userpass user alice) and read leased KV secrets; the token
// store names both, and revoking billing's token by accessor takes its
// leases with it and leaves alice's.
func TestTokenStore(t *testing.T) {
	env := vaulttest.Start(t)
	ctx := ctxT(t)
	billing := must(env.Seed.AppRoleActor(ctx, "approle", "billing")).get(t)
	alice := must(env.Seed.UserpassActor(ctx, "userpass", "alice")).get(t)
	c := env.Client(t, "", vaultclient.Config{})
	accessorOf := func(a *seed.Actor) string {
		return must(env.Client(t, a.Seeder.C.Token(), vaultclient.Config{}).Self(ctx)).get(t).Accessor
	}
	billingAcc, aliceAcc := accessorOf(billing), accessorOf(alice)

	accs := must(c.ListAccessors(ctx)).get(t)
	if !slices.Contains(accs, billingAcc) || !slices.Contains(accs, aliceAcc) {
		t.Errorf("ListAccessors = %v; want %s and %s among them", accs, billingAcc, aliceAcc)
	}

	for _, tt := range []struct {
		actor              *seed.Actor
		acc, path, display string
		meta               map[string]string
	}{
		{billing, billingAcc, "auth/approle/login", "approle", map[string]string{"role_name": "billing"}},
		{alice, aliceAcc, "auth/userpass/login/alice", "userpass-alice", map[string]string{"username": "alice"}},
	} {
		info := must(c.LookupAccessor(ctx, tt.acc)).get(t)
		if info.Accessor != tt.acc || info.Path != tt.path || info.DisplayName != tt.display ||
			info.EntityID == "" || info.EntityID != tt.actor.EntityID || !equalMaps(info.Meta, tt.meta) ||
			!slices.Contains(info.Policies, seed.ReaderPolicy) || !info.Orphan {
			t.Errorf("LookupAccessor(%s) = %+v", tt.actor.Name, info)
		}
		// creation_time is issue_time truncated to the second; the seeder's
		// roles give tokens a 24h TTL.
		if !info.IssueTime.Truncate(time.Second).Equal(info.CreationTime) || info.IssueTime.Nanosecond() == 0 ||
			time.Since(info.CreationTime) > time.Minute || info.ExpireTime.Sub(info.IssueTime).Round(time.Second) != 24*time.Hour {
			t.Errorf("LookupAccessor(%s) times: created %v issued %v expires %v", tt.actor.Name, info.CreationTime, info.IssueTime, info.ExpireTime)
		}
	}
	self := must(c.Self(ctx)).get(t)
	root := must(c.LookupAccessor(ctx, self.Accessor)).get(t)
	if root.Path != "auth/token/create" || !root.ExpireTime.IsZero() || root.EntityID != "" || root.Meta != nil {
		t.Errorf("the root token: %+v", root)
	}
	if _, err := c.LookupAccessor(ctx, "no-such-accessor"); !errors.Is(err, vaultclient.ErrNotFound) || !strings.Contains(err.Error(), "no-such-accessor") {
		t.Errorf("LookupAccessor of an unknown accessor: %v, want ErrNotFound naming it", err)
	}

	var calls, lastDone, lastTotal int
	all := must(c.Tokens(ctx, 3, func(done, total int) {
		calls++
		if done != lastDone+1 {
			t.Errorf("progress %d after %d", done, lastDone)
		}
		lastDone, lastTotal = done, total
	})).get(t)
	if len(all) != len(accs) || calls != len(accs) || lastDone != lastTotal || lastTotal != len(accs) {
		t.Errorf("Tokens: %d tokens, %d progress calls ending %d/%d; %d accessors", len(all), calls, lastDone, lastTotal, len(accs))
	}
	byAcc := map[string]vaultclient.AccessorInfo{}
	for _, info := range all {
		byAcc[info.Accessor] = info
	}
	if byAcc[billingAcc].Meta["role_name"] != "billing" || byAcc[aliceAcc].Meta["username"] != "alice" {
		t.Errorf("Tokens lacks the actors: %+v", byAcc)
	}

	ent := must(c.Entity(ctx, alice.EntityID)).get(t)
	if ent.ID != alice.EntityID || ent.Name == "" || len(ent.Aliases) != 1 ||
		ent.Aliases[0] != (vaultclient.EntityAlias{MountPath: "auth/userpass/", MountType: "userpass", Name: "alice"}) {
		t.Errorf("Entity(alice) = %+v", ent)
	}
	if ent := must(c.Entity(ctx, billing.EntityID)).get(t); len(ent.Aliases) != 1 || ent.Aliases[0].MountPath != "auth/approle/" || ent.Aliases[0].MountType != "approle" {
		t.Errorf("Entity(billing) = %+v", ent)
	}
	if _, err := c.Entity(ctx, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, vaultclient.ErrNotFound) {
		t.Errorf("Entity of an unknown id: %v, want ErrNotFound", err)
	}
	if _, err := c.Entity(ctx, "../../sys/health"); !errors.Is(err, vaultclient.ErrBadRequest) {
		t.Errorf("Entity of a path: %v, want ErrBadRequest", err)
	}

	// Leases made with each token, then billing's token revoked.
	must(env.Seed.LeasedKV(ctx, "billing/db", time.Hour, 0)).get(t)
	must(env.Seed.LeasedKV(ctx, "alice/ssh", time.Hour, 0)).get(t)
	billingKV := must(billing.Seeder.ReadLeasedKV(ctx, "billing/db", 5)).get(t)
	aliceKV := must(alice.Seeder.ReadLeasedKV(ctx, "alice/ssh", 3)).get(t)
	before := allIDs(t, c)
	if err := c.RevokeAccessor(ctx, billingAcc); err != nil {
		t.Fatal(err)
	}
	// Vault revokes a token's leases in the background once the token
	// is gone (a CI run listed 2 of billing's 5 after the call returned):
	// wait, with a generous deadline, until none of them is listed.
	after := allIDs(t, c)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); after = allIDs(t, c) {
		if !slices.ContainsFunc(billingKV, func(id string) bool { _, ok := after[id]; return ok }) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var gone []string
	for id := range before {
		if _, ok := after[id]; !ok {
			gone = append(gone, id)
		}
	}
	for id := range after {
		if _, ok := before[id]; !ok {
			t.Errorf("lease %s appeared during the revocation", id)
		}
	}
	slices.Sort(gone)
	wantGone := slices.Sorted(slices.Values(billingKV))
	var tokenLeases []string
	gone = slices.DeleteFunc(gone, func(id string) bool {
		if strings.HasPrefix(id, "auth/approle/login/h") {
			tokenLeases = append(tokenLeases, id)
			return true
		}
		return false
	})
	if !slices.Equal(gone, wantGone) || len(tokenLeases) != 1 {
		t.Errorf("revoking billing's token removed %v and token leases %v; want %v and one auth/approle/login lease", gone, tokenLeases, wantGone)
	}
	for _, id := range aliceKV {
		if _, ok := after[id]; !ok {
			t.Errorf("alice's lease %s went with billing's token", id)
		}
	}
	if _, err := env.Client(t, billing.Seeder.C.Token(), vaultclient.Config{}).Self(ctx); !errors.Is(err, vaultclient.ErrBadToken) {
		t.Errorf("billing's token after its revocation: %v, want ErrBadToken", err)
	}
	if _, err := c.LookupAccessor(ctx, billingAcc); !errors.Is(err, vaultclient.ErrNotFound) {
		t.Errorf("lookup of a revoked token's accessor: %v, want ErrNotFound", err)
	}
	if err := c.RevokeAccessor(ctx, billingAcc); err != nil {
		t.Errorf("revoking it again: %v, want nil (Vault only warns)", err)
	}
	if _, ok := byAccessors(t, c)[aliceAcc]; !ok {
		t.Error("alice's token went with billing's")
	}
}

// allIDs is every lease id in Vault, by a listing walk.
func allIDs(t *testing.T, c *vaultclient.Client) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for ev := range c.Walk(ctxT(t), "", vaultclient.WalkOptions{ListOnly: true}) {
		switch ev.Kind {
		case vaultclient.EventListed:
			for _, id := range ev.Listing.LeaseIDs {
				out[id] = true
			}
		case vaultclient.EventError:
			t.Fatal(ev.Err)
		}
	}
	return out
}

func byAccessors(t *testing.T, c *vaultclient.Client) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, a := range must(c.ListAccessors(ctxT(t))).get(t) {
		out[a] = true
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// A 403 on a token-store call names the policy line that is missing, and
// the four lines together are enough for every call.
func TestTokenStorePermissions(t *testing.T) {
	env := vaulttest.Start(t)
	ctx := ctxT(t)
	alice := must(env.Seed.UserpassActor(ctx, "userpass", "alice")).get(t)

	noSudo := env.Client(t, env.TokenWithPolicy(t, "no-sudo", `path "auth/token/accessors" { capabilities = ["list"] }`), vaultclient.Config{})
	_, err := noSudo.ListAccessors(ctx)
	var e *vaultclient.Error
	if !errors.As(err, &e) || e.Kind != vaultclient.KindPermissionDenied ||
		e.Hint != `listing tokens needs: path "auth/token/accessors" { capabilities = ["list", "sudo"] }` {
		t.Errorf("ListAccessors without sudo: %v", err)
	}
	if _, err := noSudo.Tokens(ctx, 2, nil); !errors.Is(err, vaultclient.ErrPermissionDenied) {
		t.Errorf("Tokens without sudo: %v", err)
	}

	var lines []string
	for _, pat := range []string{"auth/token/accessors", "auth/token/lookup-accessor", "auth/token/revoke-accessor", "identity/entity/id/x"} {
		op := map[string]string{"auth/token/accessors": "list accessors", "identity/entity/id/x": "read entity"}[pat]
		p, ok := vaultclient.PolicyFor(op, pat)
		if !ok {
			t.Fatalf("no policy for %s", pat)
		}
		lines = append(lines, p.Line())
	}
	none := env.Client(t, env.TokenWithPolicy(t, "none", `path "secret/*" { capabilities = ["read"] }`), vaultclient.Config{})
	for i, call := range []func() error{
		func() error { _, err := none.ListAccessors(ctx); return err },
		func() error { _, err := none.LookupAccessor(ctx, "x"); return err },
		func() error { return none.RevokeAccessor(ctx, "x") },
		func() error { _, err := none.Entity(ctx, alice.EntityID); return err },
	} {
		err := call()
		if !errors.As(err, &e) || e.Kind != vaultclient.KindPermissionDenied || !strings.HasSuffix(e.Hint, "needs: "+lines[i]) {
			t.Errorf("call %d without the policy: %v; want a hint naming %s", i, err, lines[i])
		}
	}

	all := env.Client(t, env.TokenWithPolicy(t, "token-store", strings.Join(lines, "\n")), vaultclient.Config{})
	infos, err := all.Tokens(ctx, 2, nil)
	if err != nil || len(infos) < 2 {
		t.Fatalf("Tokens with the four lines: %d tokens, %v", len(infos), err)
	}
	if _, err := all.Entity(ctx, alice.EntityID); err != nil {
		t.Errorf("Entity with the four lines: %v", err)
	}
	if err := all.RevokeAccessor(ctx, "no-such-accessor"); err != nil {
		t.Errorf("RevokeAccessor with the four lines: %v", err)
	}
}
