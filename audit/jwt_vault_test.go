package audit_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/internal/seed"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/owners"
)

// TestRealVaultAuditLogJWT: Kubernetes-style workloads log in with JWTs
// (the jwt auth method, static key, Kubernetes claims mapped to metadata)
// and read leased KV; the audit log names each lease's workload by its
// entity, role and service account, and grouping by role puts the two
// service accounts of one role together.
//
// What Vault v1.21.4 writes for a jwt login (mount "jwt", user_claim sub,
// the claim_mappings of seed.JWTActor), on every request the token makes:
//
//	auth.display_name: "jwt-system:serviceaccount:prod:payments"
//	                   ("jwt-" is the mount path, the rest the sub claim)
//	auth.metadata:     {"role": "k8s-prod",
//	                    "service_account_name": "payments",
//	                    "service_account_namespace": "prod"}
//
// that is, "role" (always, the role logged in with) plus one key per
// claim_mappings target; none of them HMAC'd. owners.Name picks "role"
// over "service_account_name", so role is what the owners screen shows.
func TestRealVaultAuditLogJWT(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logPath := filepath.Join(t.TempDir(), "vault_audit.log")
	if err := env.Seed.EnableFileAudit(ctx, logPath); err != nil {
		t.Fatal(err)
	}
	const path = "k8s/db"
	if _, err := env.Seed.LeasedKV(ctx, path, time.Hour, 0); err != nil {
		t.Fatal(err)
	}

	type workload struct {
		role, ns, sa string
		actor        *seed.Actor
		leases       []string
	}
	ws := []*workload{
		{role: "k8s-prod", ns: "prod", sa: "payments"},
		{role: "k8s-prod", ns: "prod", sa: "ledger"},
		{role: "k8s-batch", ns: "batch", sa: "reports"},
	}
	for _, w := range ws {
		sub, claims := seed.KubernetesClaims(w.ns, w.sa)
		a, err := env.Seed.JWTActor(ctx, "jwt", w.role, sub, claims)
		if err != nil {
			t.Fatal(err)
		}
		if a.EntityID == "" || a.Name != w.role {
			t.Fatalf("%s: actor %+v", sub, a)
		}
		w.actor = a
		if w.leases, err = a.Seeder.ReadLeasedKV(ctx, path, 3); err != nil {
			t.Fatal(err)
		}
	}
	if ws[0].actor.EntityID == ws[1].actor.EntityID || ws[0].actor.EntityID == ws[2].actor.EntityID {
		t.Fatal("two service accounts share an entity")
	}

	var all []string
	for _, w := range ws {
		all = append(all, w.leases...)
	}
	var a *audit.Attribution
	var st audit.Stats
	deadline := time.Now().Add(30 * time.Second)
	for {
		a = audit.NewAttribution()
		var err error
		if st, err = audit.Read(ctx, logPath, nil, a.AddAll); err != nil {
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

	groups := map[string]owners.Group{} // by role: each workload's
	for _, w := range ws {
		sub := "system:serviceaccount:" + w.ns + ":" + w.sa
		want := map[string]string{"role": w.role, "service_account_name": w.sa, "service_account_namespace": w.ns}
		for i, id := range w.leases {
			o, _, ok := a.Owner(id)
			if !ok {
				t.Fatalf("%s: no owner", id)
			}
			if i == 0 {
				t.Logf("%s: display name %q, metadata %v", sub, o.DisplayName, o.Metadata)
			}
			if o.EntityID != w.actor.EntityID || o.ClientID != w.actor.EntityID {
				t.Errorf("%s (%s): entity %q client %q, want %q", id, sub, o.EntityID, o.ClientID, w.actor.EntityID)
			}
			if o.DisplayName != "jwt-"+sub {
				t.Errorf("%s: display name %q, want %q", id, o.DisplayName, "jwt-"+sub)
			}
			for k, v := range want {
				if o.Metadata[k] != v {
					t.Errorf("%s: metadata %v, want %s=%s", id, o.Metadata, k, v)
				}
			}
			if !strings.Contains(strings.Join(o.Policies, ","), seed.ReaderPolicy) {
				t.Errorf("%s: policies %v", id, o.Policies)
			}
			if o.Mount != "secret/" || o.Path != id[:strings.LastIndex(id, "/")] {
				t.Errorf("%s: mount %q path %q", id, o.Mount, o.Path)
			}
			if v := hmacd(o); v != "" {
				t.Errorf("%s: an HMAC'd value in its owner: %q", id, v)
			}
			if n := owners.Name(o); n != w.role {
				t.Errorf("%s: owners.Name %q, want the role %q", id, n, w.role)
			}
			g := owners.OfOwner(o, owners.ByRole)
			if !g.Owned || g.Name != w.role || g.Key != "role:role="+w.role {
				t.Errorf("%s: by role %+v", id, g)
			}
			if i == 0 {
				groups[w.sa] = g
			} else if g != groups[w.sa] {
				t.Errorf("%s: by role %+v, its first lease %+v", id, g, groups[w.sa])
			}
			if e := owners.OfOwner(o, owners.ByEntity); e.Key != "entity:"+w.actor.EntityID {
				t.Errorf("%s: by entity %+v", id, e)
			}
		}
	}
	// payments and ledger share role k8s-prod, reports has its own.
	if groups["payments"] != groups["ledger"] || groups["payments"] == groups["reports"] {
		t.Errorf("by role: payments %+v, ledger %+v, reports %+v", groups["payments"], groups["ledger"], groups["reports"])
	}
}

// hmacd is the first HMAC'd value among o's fields, "" when none is.
func hmacd(o *audit.Owner) string {
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
