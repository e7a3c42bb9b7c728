package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/hygiene"
	"github.com/leasetop/leasetop/internal/vaulttest"
)

func TestDoctorExitCodes(t *testing.T) {
	warn := hygiene.Finding{Severity: hygiene.Warning}
	crit := hygiene.Finding{Severity: hygiene.Critical}
	info := hygiene.Finding{Severity: hygiene.Info}
	un := []hygiene.Unchecked{{Kind: hygiene.OrphanRole}}
	for _, tt := range []struct {
		name string
		fs   []hygiene.Finding
		un   []hygiene.Unchecked
		want int
	}{
		{"nothing", nil, nil, exitOK},
		{"advice only", []hygiene.Finding{info}, nil, exitOK},
		{"a warning", []hygiene.Finding{info, warn}, nil, exitWarning},
		{"a critical beside a warning", []hygiene.Finding{warn, crit}, nil, exitCritical},
		{"nothing found, a check could not run", nil, un, exitUnknown},
		{"a warning and a check that could not run", []hygiene.Finding{warn}, un, exitWarning},
	} {
		if got := doctorExit(tt.fs, tt.un); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}

// doctorJSON is the part of `doctor -o json` the tests read.
type doctorJSON struct {
	Leases   int `json:"leases"`
	Findings []struct {
		Kind     string   `json:"kind"`
		Severity string   `json:"severity"`
		Prefix   string   `json:"prefix"`
		Leases   int      `json:"leases"`
		LeaseIDs []string `json:"lease_ids"`
		Action   struct {
			Kind    string `json:"kind"`
			Command string `json:"command"`
		} `json:"action"`
	} `json:"findings"`
	Unchecked []struct {
		Kind    string `json:"kind"`
		Missing string `json:"missing_policy"`
	} `json:"unchecked"`
}

// A PKI role deleted with its certificates' leases alive: doctor names it
// with Vault's count, shows the command that fixes it, and that command
// revokes exactly those leases.
func TestDoctorFindsADeletedRoleAndItsCommandRevokesExactlyItsLeases(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := env.Seed.PKI(ctx, "pki", "gone", 30*time.Minute, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Seed.PKI(ctx, "pki", "kept", 30*time.Minute, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := env.API.Logical().Delete("pki/roles/gone"); err != nil {
		t.Fatal(err)
	}
	useVault(t, env.Server.Addr, env.Server.RootToken)
	before := vaultLeases(t, env)
	var want []string
	for id := range before {
		if strings.HasPrefix(id, "pki/issue/gone/") {
			want = append(want, id)
		}
	}
	slices.Sort(want)

	stdout, stderr, code := runCmd(t, "doctor", "-o", "json", "pki/")
	if code != exitWarning {
		t.Fatalf("exit %d, want %d (WARNING); stderr %s", code, exitWarning, stderr)
	}
	var out doctorJSON
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v in %s", err, stdout)
	}
	if len(out.Findings) != 1 || len(out.Unchecked) != 0 {
		t.Fatalf("want one finding and nothing unchecked: %s", stdout)
	}
	f := out.Findings[0]
	if f.Kind != "orphan-role" || f.Prefix != "pki/issue/gone/" || f.Leases != len(want) || !slices.Equal(f.LeaseIDs, want) {
		t.Errorf("finding %+v, want orphan-role at pki/issue/gone/ with Vault's %v", f, want)
	}
	if f.Action.Command != "leasetop revoke --prefix pki/issue/gone/" {
		t.Fatalf("command %q", f.Action.Command)
	}
	text, _, code := runCmd(t, "doctor", "pki/")
	if code != exitWarning || !strings.Contains(text, "$ leasetop revoke --prefix pki/issue/gone/") ||
		!strings.Contains(text, "pki role gone is gone; 3 leases live on under pki/issue/gone/") {
		t.Errorf("text output (exit %d):\n%s", code, text)
	}

	args := append(strings.Fields(f.Action.Command)[1:], "--sync", "--yes")
	if _, stderr, code := runCmd(t, args...); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
	after := vaultLeases(t, env)
	var gone []string
	for id := range before {
		if !after[id] {
			gone = append(gone, id)
		}
	}
	slices.Sort(gone)
	if !slices.Equal(gone, want) {
		t.Errorf("the command revoked %v, want exactly %v", gone, want)
	}
	if _, _, code := runCmd(t, "doctor", "pki/"); code != exitOK {
		t.Errorf("after the fix, exit %d, want 0", code)
	}
}

// A token that may list and look up leases but read nothing else: doctor
// says which policy lines it lacks and exits UNKNOWN rather than OK.
func TestDoctorNamesTheMissingPolicyLinesAndExitsUnknown(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := env.Seed.PKI(ctx, "pki", "web", 30*time.Minute, 2); err != nil {
		t.Fatal(err)
	}
	tok := env.TokenWithPolicy(t, "crawl-only", `
path "sys/leases/lookup/*" { capabilities = ["list", "sudo"] }
path "sys/leases/lookup" { capabilities = ["update"] }
`)
	useVault(t, env.Server.Addr, tok)
	stdout, stderr, code := runCmd(t, "doctor", "pki/")
	if code != exitUnknown {
		t.Errorf("exit %d, want %d; stderr %s", code, exitUnknown, stderr)
	}
	for _, line := range []string{
		`path "sys/mounts" { capabilities = ["read"] }`,
		`path "sys/leases" { capabilities = ["read", "sudo"] }`,
		`path "sys/audit" { capabilities = ["read", "sudo"] }`,
	} {
		if !strings.Contains(stdout, line) {
			t.Errorf("output lacks %s:\n%s", line, stdout)
		}
	}
	if strings.Contains(stdout+stderr, tok) {
		t.Error("the token is in the output")
	}
}

// doctor runs the checks that read the crawl and the config file too: a
// client that made a lease on each of 60 reads of leased KV (named by its
// path without the audit log) and a prefix over its budget, each with
// Vault's own ids and counts; a prefix under its budget is no finding.
func TestDoctorFindsALeasePerReadClientAndAPrefixOverItsBudget(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := env.Seed.LeasedKV(ctx, "perread", time.Hour, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Seed.ReadLeasedKV(ctx, "perread", 59); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Seed.LeasedKV(ctx, "calm", time.Hour, 3); err != nil {
		t.Fatal(err)
	}
	useVault(t, env.Server.Addr, env.Server.RootToken)
	want := vaultIDsUnder(t, env, "secret/perread/", 60)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	src := fmt.Sprintf("contexts:\n  - name: dev\n    address: %s\n    token: {env: VAULT_TOKEN}\nbudgets:\n  prefix:\n    secret/perread/: 40\n    secret/calm/: 10\n", env.Server.Addr)
	if err := os.WriteFile(cfg, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}

	stdout, stderr, code := runCmd(t, "doctor", "--config", cfg, "-o", "json", "secret/")
	if code != exitCritical {
		t.Fatalf("exit %d, want %d (CRITICAL: over a budget); stderr %s\n%s", code, exitCritical, stderr, stdout)
	}
	var out doctorJSON
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v in %s", err, stdout)
	}
	kinds := map[string]int{}
	for _, f := range out.Findings {
		kinds[f.Kind]++
		switch f.Kind {
		case "no-reuse":
			ids := slices.Clone(f.LeaseIDs)
			slices.Sort(ids)
			if f.Prefix != "secret/perread/" || f.Leases != 60 || !slices.Equal(ids, want) {
				t.Errorf("no-reuse finding at %s with %d leases; want secret/perread/ with Vault's 60", f.Prefix, f.Leases)
			}
		case "over-budget":
			if f.Prefix != "secret/perread/" || f.Leases != 60 || f.Severity != "critical" {
				t.Errorf("over-budget finding %+v; want secret/perread/, 60 leases, critical", f)
			}
		}
	}
	if kinds["no-reuse"] != 1 || kinds["over-budget"] != 1 {
		t.Errorf("findings by kind %v; want one no-reuse and one over-budget (secret/calm/ is under its budget):\n%s", kinds, stdout)
	}
}

// A client that logs in for every request (55 AppRole logins of one role,
// none renewed): doctor names its role from the token store, with Vault's
// own lease ids, and says to log in once and renew.
func TestDoctorNamesAClientThatLogsInForEveryRequest(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := env.Seed.AppRole(ctx, "approle", "nightly-job", time.Hour, 55); err != nil {
		t.Fatal(err)
	}
	useVault(t, env.Server.Addr, env.Server.RootToken)
	want := vaultIDsUnder(t, env, "auth/approle/login/", 55)

	stdout, stderr, code := runCmd(t, "doctor", "auth/")
	if code != exitWarning {
		t.Fatalf("exit %d, want %d (WARNING); stderr %s\n%s", code, exitWarning, stderr, stdout)
	}
	for _, w := range []string{"nightly-job logs in for every request: 55 live login tokens on auth/approle/login/", "log in once and renew its token"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("doctor lacks %q:\n%s", w, stdout)
		}
	}
	// From a prefix below auth/, and from the root, the same.
	for _, p := range []string{"auth/approle/", ""} {
		out, _, _ := runCmd(t, "doctor", p)
		if !strings.Contains(out, "nightly-job logs in for every request") {
			t.Errorf("doctor %s does not name the role:\n%s", p, out)
		}
	}
	stdout, _, _ = runCmd(t, "doctor", "-o", "json", "auth/")
	var out doctorJSON
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v in %s", err, stdout)
	}
	found := 0
	for _, f := range out.Findings {
		if f.Kind == "no-reuse" {
			found++
			ids := slices.Clone(f.LeaseIDs)
			slices.Sort(ids)
			if f.Prefix != "auth/approle/login/" || !slices.Equal(ids, want) {
				t.Errorf("no-reuse finding at %s with %d leases; want auth/approle/login/ with Vault's 55", f.Prefix, f.Leases)
			}
		}
	}
	if found != 1 {
		t.Errorf("%d no-reuse findings, want 1:\n%s", found, stdout)
	}
}

// vaultIDsUnder is Vault's own listing under prefix (read by vaulttest),
// sorted; the test stops unless the seeding made exactly n there.
func vaultIDsUnder(t *testing.T, env *vaulttest.Env, prefix string, n int) []string {
	t.Helper()
	var ids []string
	for id := range vaultLeases(t, env) {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if len(ids) != n {
		t.Fatalf("Vault holds %d leases under %s, the seeding made %d", len(ids), prefix, n)
	}
	return ids
}
