package audit_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/internal/vaulttest"
)

// actor is someone who logged in, as Vault reported at login.
type actor struct {
	name     string
	token    string
	entityID string
	metadata map[string]string
	leases   []string
}

// TestRealVaultAuditLog runs a real dev server with a file audit device,
// has an AppRole and a userpass login each make leased-KV leases, and
// checks that the log names the right actor for every lease. With
// LEASETOP_AUDIT_CAPTURE=<file> it copies the log there (that is how
// testdata/vault-v1.21.4.log was made).
func TestRealVaultAuditLog(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	root := env.API
	logPath := filepath.Join(t.TempDir(), "vault_audit.log")
	if err := root.Sys().EnableAuditWithOptionsWithContext(ctx, "file", &api.EnableAuditOptions{
		Type: "file", Options: map[string]string{"file_path": logPath},
	}); err != nil {
		t.Fatalf("enable the file audit device: %v", err)
	}
	if err := root.Sys().PutPolicyWithContext(ctx, "kv-read", `path "secret/*" { capabilities = ["read"] }`); err != nil {
		t.Fatal(err)
	}
	write := func(path string, data map[string]any) *api.Secret {
		t.Helper()
		s, err := root.Logical().WriteWithContext(ctx, path, data)
		if err != nil {
			t.Fatalf("write %s: %v", path, err)
		}
		return s
	}
	read := func(path string) *api.Secret {
		t.Helper()
		s, err := root.Logical().ReadWithContext(ctx, path)
		if err != nil || s == nil {
			t.Fatalf("read %s: %v", path, err)
		}
		return s
	}

	// Two distinct logins: AppRole role "ci" and userpass user "alice".
	for _, m := range []struct{ path, typ string }{{"approle", "approle"}, {"userpass", "userpass"}} {
		if err := root.Sys().EnableAuthWithOptionsWithContext(ctx, m.path, &api.EnableAuthOptions{Type: m.typ}); err != nil {
			t.Fatal(err)
		}
	}
	write("auth/approle/role/ci", map[string]any{"token_policies": "kv-read", "token_ttl": "1h"})
	roleID := read("auth/approle/role/ci/role-id").Data["role_id"]
	secretID := write("auth/approle/role/ci/secret-id", nil).Data["secret_id"]
	write("auth/userpass/users/alice", map[string]any{"password": "alice-pw", "token_policies": "kv-read", "token_ttl": "1h"})

	login := func(name, path string, data map[string]any) *actor {
		t.Helper()
		c, err := root.Clone()
		if err != nil {
			t.Fatal(err)
		}
		c.ClearToken()
		s, err := c.Logical().WriteWithContext(ctx, path, data)
		if err != nil || s == nil || s.Auth == nil {
			t.Fatalf("login %s: %v", name, err)
		}
		if s.Auth.EntityID == "" {
			t.Fatalf("login %s: no entity id", name)
		}
		return &actor{name: name, token: s.Auth.ClientToken, entityID: s.Auth.EntityID, metadata: s.Auth.Metadata}
	}
	ci := login("approle ci", "auth/approle/login", map[string]any{"role_id": roleID, "secret_id": secretID})
	alice := login("userpass alice", "auth/userpass/login/alice", map[string]any{"password": "alice-pw"})
	if ci.metadata["role_name"] != "ci" || alice.metadata["username"] != "alice" {
		t.Fatalf("login metadata: %v, %v", ci.metadata, alice.metadata)
	}
	if ci.entityID == alice.entityID {
		t.Fatal("the two logins share an entity")
	}

	write("secret/app/ci", map[string]any{"ttl": "1h", "k": "v"})
	write("secret/app/shared", map[string]any{"ttl": "1h", "k": "v"})
	for _, a := range []*actor{ci, alice} {
		c, err := root.Clone()
		if err != nil {
			t.Fatal(err)
		}
		c.SetToken(a.token)
		for _, p := range []string{"secret/app/shared", "secret/app/ci", "secret/app/shared"} {
			s, err := c.Logical().ReadWithContext(ctx, p)
			if err != nil || s == nil || s.LeaseID == "" {
				t.Fatalf("%s reads %s: %v (no lease?)", a.name, p, err)
			}
			a.leases = append(a.leases, s.LeaseID)
		}
	}
	// The root token makes one too (no entity), and then renews and looks
	// up a lease of ci's: those answers repeat the lease id and must not
	// take it over.
	rootLease := read("secret/app/shared").LeaseID
	if _, err := root.Sys().RenewWithContext(ctx, ci.leases[0], 600); err != nil {
		t.Fatalf("renew: %v", err)
	}
	if _, err := root.Logical().WriteWithContext(ctx, "sys/leases/lookup", map[string]any{"lease_id": ci.leases[0]}); err != nil {
		t.Fatalf("lookup: %v", err)
	}

	// The device writes before Vault answers, but wait generously anyway.
	all := append(append([]string{rootLease}, ci.leases...), alice.leases...)
	var a *audit.Attribution
	var st audit.Stats
	deadline := time.Now().Add(30 * time.Second)
	for {
		a = audit.NewAttribution()
		var err error
		st, err = audit.Read(ctx, logPath, nil, a.AddAll)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		missing := 0
		for _, id := range all {
			if _, _, ok := a.Owner(id); !ok {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d leases not in the audit log", missing, len(all))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("audit log: %+v; %d leases, %d owners", st, a.Len(), a.Owners())
	if st.Garbage != 0 {
		t.Errorf("%d garbage lines in a real log", st.Garbage)
	}
	if a.Len() != len(all) {
		t.Errorf("%d leases attributed, want %d", a.Len(), len(all))
	}

	hmac := func(o *audit.Owner) string {
		vals := []string{o.EntityID, o.DisplayName, o.RemoteAddr, o.UserAgent, o.Mount, o.MountType, o.Path, o.ClientID}
		vals = append(vals, o.Policies...)
		for k, v := range o.Metadata {
			vals = append(vals, k, v)
		}
		for _, v := range vals {
			if strings.HasPrefix(v, audit.HMACPrefix) {
				return v
			}
		}
		return ""
	}
	for _, act := range []*actor{ci, alice} {
		for _, id := range act.leases {
			o, when, ok := a.Owner(id)
			if !ok {
				t.Fatalf("%s: no owner", id)
			}
			if o.EntityID != act.entityID || o.ClientID != act.entityID {
				t.Errorf("%s: entity %q client %q, want %s's %q", id, o.EntityID, o.ClientID, act.name, act.entityID)
			}
			for k, v := range act.metadata {
				if o.Metadata[k] != v {
					t.Errorf("%s: metadata %v, want %s's %v", id, o.Metadata, act.name, act.metadata)
				}
			}
			wantPath := id[:strings.LastIndex(id, "/")]
			if o.Path != wantPath || o.Mount != "secret/" || o.MountType != "kv" {
				t.Errorf("%s: path %q mount %q type %q", id, o.Path, o.Mount, o.MountType)
			}
			if o.RemoteAddr != "127.0.0.1" {
				t.Errorf("%s: remote address %q", id, o.RemoteAddr)
			}
			if !strings.Contains(strings.Join(o.Policies, ","), "kv-read") {
				t.Errorf("%s: policies %v", id, o.Policies)
			}
			if when.IsZero() || time.Since(when) > 5*time.Minute || time.Until(when) > time.Minute {
				t.Errorf("%s: created at %v", id, when)
			}
			if v := hmac(o); v != "" {
				t.Errorf("%s: an HMAC'd value in its owner: %q", id, v)
			}
		}
	}
	if o, _, _ := a.Owner(ci.leases[1]); o.DisplayName != "approle" {
		t.Errorf("approle display name %q", o.DisplayName)
	}
	if o, _, _ := a.Owner(alice.leases[1]); o.DisplayName != "userpass-alice" {
		t.Errorf("userpass display name %q", o.DisplayName)
	}
	if o, _, _ := a.Owner(rootLease); o.EntityID != "" || o.DisplayName != "token" || hmac(o) != "" {
		t.Errorf("root's lease: %+v", o)
	}
	// Same actor, same path: one interned owner.
	o0, _, _ := a.Owner(ci.leases[0])
	o2, _, _ := a.Owner(ci.leases[2])
	if o0 != o2 {
		t.Error("one actor reading one path twice made two owners")
	}
	if a.Since().IsZero() || a.Since().After(st.Last) {
		t.Errorf("Since %v, log %v..%v", a.Since(), st.First, st.Last)
	}

	// What the log says beyond the attribution, for the record.
	raw, _ := os.ReadFile(logPath)
	if bytes.Contains(raw, []byte(`"user-agent"`)) {
		t.Logf("the user-agent header is audited by default")
	}
	if capture := os.Getenv("LEASETOP_AUDIT_CAPTURE"); capture != "" {
		if err := os.WriteFile(capture, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
