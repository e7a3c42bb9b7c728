package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// Two real Vaults as two contexts of a config file, each behind a proxy
// that counts what reaches it. Switching with :ctx shows each one's
// leases and never mixes them; an action after a switch goes to the Vault
// shown and no other; read-only in the config wins; switching back is
// instant, with the data's age; a context whose Vault is down says so and
// does not keep the operator from switching back.
func TestEndToEndContextsSwitchLive(t *testing.T) {
	envA, envB := vaulttest.Start(t), vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := envA.Seed.LeasedKV(ctx, "ctx-a/x", time.Hour, 4); err != nil {
		t.Fatal(err)
	}
	if _, err := envB.Seed.LeasedKV(ctx, "ctx-b/y", time.Hour, 6); err != nil {
		t.Fatal(err)
	}
	pa, _ := envA.Proxied(t)
	pb, _ := envB.Proxied(t)
	t.Setenv("LT_TOKEN_A", envA.Server.RootToken)
	t.Setenv("LT_TOKEN_B", envB.Server.RootToken)
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(`current-context: staging
contexts:
  - name: staging
    address: `+pa.URL+`
    token: {env: LT_TOKEN_A}
    prefix: secret/
  - name: prod-eu
    address: `+pb.URL+`
    token: {env: LT_TOKEN_B}
    prefix: secret/
    read-only: true
    color: "#d70000"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	hour := time.Hour
	sw := ConfigSwitcher(f, "staging", config.Flags{Refresh: &hour}, Options{}, func(cfg vaultclient.Config) (Backend, error) { return vaultclient.New(cfg) })
	be, opt, err := sw.Open("")
	if err != nil {
		t.Fatal(err)
	}
	opt.Switch = sw
	r := startProgram(t, be, opt)
	r.waitFor("4 leases")
	r.waitFor("staging")

	r.press(":")
	r.typeText("ctx pr")
	r.press("tab") // completes prod-eu
	r.waitFor(":ctx prod-eu")
	r.press("enter")
	r.waitFor("6 leases")
	if s := r.screen(); !strings.Contains(lineWith(s, "leasetop"), "prod-eu") || !strings.Contains(s, "READ-ONLY") || strings.Contains(s, "ctx-a") {
		t.Fatalf("prod-eu should show alone, marked read-only from its config:\n%s", s)
	}
	r.waitIdle(pb)
	pb.Reset()
	r.press("x") // read-only: refused
	r.waitFor("revoke is off: the context prod-eu is read-only")
	if n := pb.Count(mutating); n != 0 {
		t.Errorf("a read-only context got %d mutating requests", n)
	}

	// Back to staging: at once, with the data's age; then an action there
	// reaches staging's Vault and not prod's.
	r.press(":")
	r.typeText("ctx staging")
	r.press("enter")
	r.waitFor("data from")
	r.waitFor("4 leases")
	r.waitIdle(pa)
	pa.Reset()
	pb.Reset()
	r.press("x")
	r.waitFor("Revoke this lease?")
	r.press("y")
	r.waitFor("revoked secret/ctx-a/")
	r.waitIdle(pa)
	if n := pa.Count(mutating); n != 1 {
		t.Errorf("staging's Vault got %d mutating requests, want the one revoke", n)
	}
	if n := pb.Count(func(faultproxy.Request) bool { return true }); n != 0 {
		t.Errorf("prod's Vault, not shown, got %d requests after the switch", n)
	}

	// prod's Vault goes away: switching to it says so, and back works.
	envB.Server.Kill()
	r.press(":")
	r.typeText("ctx prod-eu")
	r.press("enter")
	r.waitUntil("prod's Vault said unreachable", time.Minute, func(s string) bool {
		return strings.Contains(s, "STALE") || strings.Contains(s, "unreachable") || strings.Contains(s, "nothing listens")
	})
	r.press(":")
	r.typeText("ctx staging")
	r.press("enter")
	r.waitFor("3 leases")
}

// :ns switches the namespace: every request of the new view carries
// X-Vault-Namespace (counted at the proxy) and the title names it. OSS
// Vault ignores namespaces, so what Vault Enterprise does with them is not
// tested here.
func TestEndToEndNamespaceSwitchSendsTheHeader(t *testing.T) {
	env := vaulttest.Start(t)
	p, a := env.Proxied(t)
	r := startProgram(t, vaultclient.NewFromAPI(a, vaultclient.Config{}), Options{Prefix: "secret/", Refresh: time.Hour})
	r.waitFor("refreshed")
	r.waitIdle(p)
	p.Reset()
	r.press(":")
	r.typeText("ns team-a")
	r.press("enter")
	r.waitFor("ns team-a")
	r.waitIdle(p)
	reqs := p.Requests()
	if len(reqs) == 0 {
		t.Fatal("the new namespace's view sent no request")
	}
	for _, req := range reqs {
		if req.Namespace != "team-a" {
			t.Errorf("%s %s went with namespace %q, want team-a", req.Method, req.Path, req.Namespace)
		}
	}
	r.press(":")
	r.typeText("ns ")
	r.press("enter") // back to the root namespace: the first view, kept
	r.waitUntil("the root namespace again", 30*time.Second, func(s string) bool { return !strings.Contains(s, "ns team-a") })
}
