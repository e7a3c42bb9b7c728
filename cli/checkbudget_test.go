package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/vaulttest"
)

// Budgets crossed by seeding a real Vault: secret/app/a/ over its budget,
// secret/app/b/ at its warn share, the AppRole role web over its budget
// (from the file audit log), and the same budgets raised: all under. The
// counts are Vault's own listing's, read by code that is not leasetop's.
func TestCheckBudgetAgainstSeededLeases(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	auditLog := filepath.Join(t.TempDir(), "vault_audit.log")
	if err := env.Seed.EnableFileAudit(ctx, auditLog); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Seed.LeasedKV(ctx, "app/a", time.Hour, 30); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Seed.LeasedKV(ctx, "app/b", time.Hour, 5); err != nil {
		t.Fatal(err)
	}
	web, err := env.Seed.AppRoleActor(ctx, "approle", "web")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Seed.LeasedKV(ctx, "web/db", time.Hour, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := web.Seeder.ReadLeasedKV(ctx, "web/db", 12); err != nil {
		t.Fatal(err)
	}
	useVault(t, env.Server.Addr, env.Server.RootToken)

	live := vaultLeases(t, env)
	count := func(prefix string) int {
		n := 0
		for id := range live {
			if strings.HasPrefix(id, prefix) {
				n++
			}
		}
		return n
	}
	a, b, w := count("secret/app/a/"), count("secret/app/b/"), count("secret/web/db/")
	if a != 30 || b != 5 || w != 12 {
		t.Fatalf("Vault holds %d, %d and %d leases; the seeding made 30, 5 and 12", a, b, w)
	}
	// web's login: a token lease, which only the token store names.
	if n := count("auth/approle/login/"); n != 1 {
		t.Fatalf("Vault holds %d approle login leases; web logged in once", n)
	}

	config := func(budgets string) string {
		p := filepath.Join(t.TempDir(), "config.yaml")
		audit := ""
		if !strings.HasPrefix(budgets, "#no audit") {
			audit = "    vault-audit: " + auditLog + "\n"
		}
		src := fmt.Sprintf("contexts:\n  - name: dev\n    address: %s\n    token: {env: VAULT_TOKEN}\n%sbudgets:\n%s", env.Server.Addr, audit, budgets)
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	crossed := config(fmt.Sprintf("  prefix:\n    secret/app/a/: %d\n    secret/app/b: {max: %d, warn: 80%%}\n    secret/none/: 10\n  role:\n    web: %d\n", a-5, b+1, w-2))
	noAudit := config(fmt.Sprintf("#no audit\n  prefix:\n    secret/app/a/: %d\n  role:\n    web: %d\n", 2*a, w-2))
	under := config(fmt.Sprintf("  prefix:\n    secret/app/a/: %d\n    secret/app/b/: %d\n  role:\n    web: %d\n", 2*a, 2*b, 2*w))

	for _, tt := range []struct {
		name  string
		args  []string
		code  int
		lines []string
	}{
		{"crossed", []string{"--config", crossed}, exitCritical, []string{
			fmt.Sprintf("LEASETOP CRITICAL - 2 of 4 budgets over, 1 near: prefix secret/app/a/ 30/25 (120%%) | 'budget prefix secret/app/a/'=30;20;25;0 'budget role web'=12;8;10;0 'budget prefix secret/app/b/'=5;5;6;0 'budget prefix secret/none/'=0;8;10;0"),
			"CRITICAL: prefix secret/app/a/ holds 30 leases, over its budget of 25 (120%)",
			"CRITICAL: role web holds 12 leases, over its budget of 10 (120%)",
			"WARNING: prefix secret/app/b/ holds 5 leases, near its budget of 6 (83%)",
		}},
		{"the owners' token leases with --token-store", []string{"--config", crossed, "--token-store"}, exitCritical, []string{
			"LEASETOP CRITICAL - 2 of 4 budgets over, 1 near: role web 13/10 (130%) | 'budget role web'=13;8;10;0 'budget prefix secret/app/a/'=30;20;25;0",
			"CRITICAL: role web holds 13 leases, over its budget of 10 (130%)",
			"CRITICAL: prefix secret/app/a/ holds 30 leases, over its budget of 25 (120%)",
			"WARNING: prefix secret/app/b/ holds 5 leases, near its budget of 6 (83%)",
		}},
		{"only what is under the prefix", []string{"--config", crossed, "secret/app/b/"}, exitWarning, []string{
			"LEASETOP WARNING - 0 of 2 budgets over, 1 near: prefix secret/app/b/ 5/6 (83%) (under secret/app/b/) | 'budget prefix secret/app/b/'=5;5;6;0 'budget role web'=0;8;10;0",
			"WARNING: prefix secret/app/b/ holds 5 leases, near its budget of 6 (83%)",
		}},
		{"under", []string{"--config", under}, exitOK, []string{
			"LEASETOP OK - 3 of 3 budgets under their warn share, the fullest prefix secret/app/a/ 30/60 (50%) | 'budget prefix secret/app/a/'=30;48;60;0 'budget prefix secret/app/b/'=5;8;10;0 'budget role web'=12;20;24;0",
		}},
		{"with --expiring-within", []string{"--config", crossed, "--expiring-within", "1m", "--warn", "0"}, exitCritical, []string{
			fmt.Sprintf("LEASETOP CRITICAL - 0 of %d leases under / expire within 1m; 2 of 4 budgets over, 1 near: prefix secret/app/a/ 30/25 (120%%) | expiring=0;;;0 total=%d;;;0 'budget prefix secret/app/a/'=30;20;25;0", len(live), len(live)),
			"CRITICAL: prefix secret/app/a/",
			"CRITICAL: role web",
			"WARNING: prefix secret/app/b/",
		}},
		{"an owner's budget without the audit log", []string{"--config", noAudit}, exitUnknown, []string{
			"LEASETOP UNKNOWN - 1 of 2 budgets under their warn share, the fullest prefix secret/app/a/ 30/60 (50%); 1 not counted | 'budget prefix secret/app/a/'=30;48;60;0",
			"UNKNOWN: role web: an owner's budget needs Vault's audit log to know who made each lease (--vault-audit, or vault-audit in the context)",
		}},
		{"an audit log that is not there", []string{"--config", under, "--vault-audit", filepath.Join(t.TempDir(), "none.log")}, exitUnknown, []string{
			"LEASETOP UNKNOWN - --vault-audit: stat",
		}},
		{"--growth without --expiring-within", []string{"--config", under, "--growth", "5/m"}, exitUnknown, []string{"LEASETOP UNKNOWN - --growth goes with --expiring-within"}},
		{"no config file", nil, exitUnknown, []string{"LEASETOP UNKNOWN - --budget: no config file, so no budgets"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := runCmd(t, append([]string{"check", "--budget"}, tt.args...)...)
			got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if code != tt.code || len(got) != len(tt.lines) {
				t.Fatalf("exit %d, %d lines:\n%s\n(stderr %s); want exit %d and %d lines", code, len(got), out, errs, tt.code, len(tt.lines))
			}
			for i, want := range tt.lines {
				if !strings.HasPrefix(got[i], want) {
					t.Errorf("line %d:\n %s\nwant\n %s", i+1, got[i], want)
				}
			}
		})
	}

	out, _, code := runCmd(t, "check", "--expiring-within", "1h", "--token-store")
	if code != exitUnknown || !strings.HasPrefix(out, "LEASETOP UNKNOWN - --token-store goes with --budget") {
		t.Errorf("--token-store without --budget: exit %d\n%s", code, out)
	}
	// A token that may not list the tokens: the verdict would undercount,
	// so there is none, and the line says which capability is missing.
	t.Setenv("VAULT_TOKEN", env.TokenWithPolicy(t, "leasetop-read", docPolicy(t, "../docs/serve.md", "## The policy it needs")))
	out, _, code = runCmd(t, "check", "--budget", "--config", crossed, "--token-store")
	if code != exitUnknown || !strings.HasPrefix(out, "LEASETOP UNKNOWN - owners' budgets: reading the token store: ") || !strings.Contains(out, "auth/token/accessors") {
		t.Errorf("--token-store with a token that may not read the store: exit %d\n%s", code, out)
	}
}
