package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/leasetop/leasetop/internal/golden"
	"github.com/leasetop/leasetop/vaultclient"
)

var (
	reKey  = regexp.MustCompile(`/[A-Za-z0-9]{24}\b`)
	reTime = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
	reTTL  = regexp.MustCompile(`\b(\d+d\d\dh|\d+h\d\dm|\d+m\d\ds|\d+s)\b`)
	reSecs = regexp.MustCompile(`("soonest_ttl_seconds": |"ttl_seconds":)-?\d+`)
	reCSV  = regexp.MustCompile(`,-?\d+,(true|false),(true|false)$`)
	reWide = regexp.MustCompile(`(\S) {2,}`)
)

// normalise replaces what changes between runs (random ids, times, TTLs)
// and sorts the lines after the header, since rows stream in crawl order.
func normalise(s string, sortLines bool) string {
	s = reKey.ReplaceAllString(s, "/<id>")
	s = reTime.ReplaceAllString(s, "<time>")
	s = reTTL.ReplaceAllString(s, "<ttl>")
	s = reSecs.ReplaceAllString(s, "${1}<secs>")
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		// Column widths follow the TTLs' widths; keep only the columns.
		lines[i] = reWide.ReplaceAllString(reCSV.ReplaceAllString(l, ",<secs>,$1,$2"), "$1  ")
	}
	if sortLines && len(lines) > 1 {
		sort.Strings(lines[1:])
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestLsAgainstARealServer(t *testing.T) {
	scriptEnv(t)
	out, errs, code := runCmd(t, "ls", "-r", "secret/app/")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden.Check(t, "ls_table", normalise(out, true))

	out, _, code = runCmd(t, "ls", "secret/app/", "-r", "--expiring-within", "1h", "-o", "jsonl")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 7 {
		t.Errorf("leases expiring within 1h: %d lines, want 7 (3 short + 4 hour)", len(lines))
	}
	var row map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &row); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"id", "prefix", "issue_time", "expire_time", "last_renewal", "ttl_seconds", "renewable", "token"} {
		if _, ok := row[field]; !ok {
			t.Errorf("JSON row lacks %q: %v", field, row)
		}
	}

	out, _, _ = runCmd(t, "ls", "-r", "-o", "json", "--renewable")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("-o json must be one array: %v\n%s", err, out)
	}
	for _, r := range rows {
		if strings.HasPrefix(r["id"].(string), "pki/") || strings.HasPrefix(r["id"].(string), "auth/") {
			t.Errorf("--renewable kept %v", r["id"])
		}
	}
	if len(rows) != 12 {
		t.Errorf("--renewable: %d rows, want the 12 KV leases", len(rows))
	}

	out, _, _ = runCmd(t, "ls", "secret/app/short", "-o", "csv")
	golden.Check(t, "ls_csv", normalise(out, true))

	_, errs, code = runCmd(t, "ls", "-o", "yaml")
	if code != 2 || !strings.Contains(errs, "use one of table, json, jsonl, csv") {
		t.Errorf("bad format: exit %d, %q", code, errs)
	}
}

func TestCountAgainstARealServer(t *testing.T) {
	scriptEnv(t)
	out, errs, code := runCmd(t, "count", "--depth", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden.Check(t, "count_table", normalise(out, false))
	out, _, _ = runCmd(t, "count", "secret/", "--by-count", "-o", "json", "--depth", "2")
	golden.Check(t, "count_json", normalise(out, false))
}

func TestCheckExitCodesAtEachThreshold(t *testing.T) {
	scriptEnv(t)
	tests := []struct {
		args []string
		code int
		want string
	}{
		// OK: the 20h leases lie an hour beyond a 19h window, a margin no
		// slow machine eats (a 1m window against the 2m leases raced one).
		{[]string{"--expiring-within", "19h", "secret/app/day/"}, exitOK, "LEASETOP OK - 0 of 5 leases under secret/app/day/ expire within 19h | expiring=0;1;;0 total=5;;;0"},
		{[]string{"--expiring-within", "5m", "--warn", "3", "--crit", "10"}, exitWarning, "LEASETOP WARNING - 3 of 15 leases under / expire within 5m"},
		{[]string{"--expiring-within", "1h", "--warn", "3", "--crit", "7"}, exitCritical, "LEASETOP CRITICAL - 9 of 15 leases"},
		{[]string{"--expiring-within", "1h", "--warn", "0", "--crit", "0"}, exitOK, "LEASETOP OK - 9 of 15"},
		{[]string{"--expiring-within", "banana"}, exitUnknown, `LEASETOP UNKNOWN - --expiring-within: "banana" is not a duration`},
		{[]string{}, exitUnknown, "LEASETOP UNKNOWN - --expiring-within is required"},
		{[]string{"--expiring-within", "1h", "secret/../x"}, exitUnknown, "LEASETOP UNKNOWN"},
	}
	for _, tt := range tests {
		out, _, code := runCmd(t, append([]string{"check"}, tt.args...)...)
		if code != tt.code || !strings.Contains(out, tt.want) {
			t.Errorf("check %v: exit %d, %q; want exit %d and %q", tt.args, code, out, tt.code, tt.want)
		}
		if n := strings.Count(out, "\n"); n != 1 {
			t.Errorf("check %v printed %d lines, want one summary line", tt.args, n)
		}
	}
	t.Setenv("VAULT_ADDR", "http://127.0.0.1:1")
	out, _, code := runCmd(t, "check", "--expiring-within", "1h")
	if code != exitUnknown || !strings.Contains(out, "UNKNOWN") {
		t.Errorf("unreachable Vault: exit %d, %q", code, out)
	}
}

func TestRevokeAndRenewSubcommands(t *testing.T) {
	env := scriptEnv(t)
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"revoke", "--prefix", "secret/app/short/"}, strings.NewReader("secret/app/short/\n"), &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "add --yes") {
		t.Errorf("no --yes off a terminal must refuse: exit %d, %q", code, errb.String())
	}
	ctx := context.Background()
	c := env.Client(t, "", vaultclient.Config{})
	if l, _ := c.List(ctx, "secret/app/short/"); len(l.LeaseIDs) != 3 {
		t.Fatalf("a refused revoke touched leases: %d left", len(l.LeaseIDs))
	}
	out.Reset()
	errb.Reset()
	code = Run(context.Background(), []string{"revoke", "--prefix", "secret/app/short/", "--yes", "--sync"}, strings.NewReader(""), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "revoked 3 leases under secret/app/short/") {
		t.Errorf("revoke --yes --sync: exit %d, %q %q", code, out.String(), errb.String())
	}
	if l, _ := c.List(ctx, "secret/app/short/"); len(l.LeaseIDs) != 0 {
		t.Errorf("%d left after revoke", len(l.LeaseIDs))
	}
	if l, _ := c.List(ctx, "secret/app/hour/"); len(l.LeaseIDs) != 4 {
		t.Errorf("a sibling prefix changed: %d left", len(l.LeaseIDs))
	}

	hour, _ := c.List(ctx, "secret/app/hour/")
	stdout, errs, code := runCmd(t, "renew", hour.LeaseIDs[0], "--increment", "30m")
	if code != 0 || !strings.Contains(stdout, "asked 30m, granted") {
		t.Errorf("renew: exit %d, %q %q", code, stdout, errs)
	}
	pki, _ := c.List(ctx, "pki/issue/web/")
	_, errs, code = runCmd(t, "renew", pki.LeaseIDs[0])
	if code != 1 || !strings.Contains(errs, "not renewable") {
		t.Errorf("renew of a PKI lease: exit %d, %q", code, errs)
	}
	stdout, _, code = runCmd(t, "revoke", hour.LeaseIDs[1])
	if code != 0 || !strings.Contains(stdout, "revoked "+hour.LeaseIDs[1]) {
		t.Errorf("revoke one id: exit %d, %q", code, stdout)
	}
}

// The gaps issue 11 found in the script tests.
func TestScriptCommandsAgainstVaultItself(t *testing.T) {
	env := scriptEnv(t)
	ctx := context.Background()
	c := env.Client(t, "", vaultclient.Config{})

	// ls -o json: exactly Vault's own recursive listing.
	out, errs, code := runCmd(t, "ls", "-r", "-o", "json")
	if code != 0 {
		t.Fatalf("ls: exit %d: %s", code, errs)
	}
	var rows []struct{ ID string }
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, r := range rows {
		if listed[r.ID] {
			t.Errorf("ls lists %s twice", r.ID)
		}
		listed[r.ID] = true
	}
	if want := vaultLeases(t, env); !maps.Equal(listed, want) {
		t.Errorf("ls -r -o json: %d ids, Vault lists %d: %v\nwant %v", len(listed), len(want), slices.Sorted(maps.Keys(listed)), slices.Sorted(maps.Keys(want)))
	}

	// The empty prefix, however written, is refused; nothing is revoked.
	before := vaultLeases(t, env)
	for _, args := range [][]string{
		{"--prefix", "/"}, {"--prefix", "//"}, {"--prefix=/", "--force"}, {"--prefix", ""}, {"--prefix", "/", "--sync"},
	} {
		_, errs, code := runCmd(t, append(append([]string{"revoke"}, args...), "--yes")...)
		if code != 2 || !strings.Contains(errs, "refusing to revoke the empty prefix") && !strings.Contains(errs, "give either --prefix P or one lease id") {
			t.Errorf("revoke %v: exit %d, %q", args, code, errs)
		}
	}
	if _, errs, code := runCmd(t, "revoke", "--prefix", "secret/app/day/", "--sync", "--force", "--yes"); code != 2 || !strings.Contains(errs, "give --sync or --force, not both") {
		t.Errorf("--sync with --force: exit %d, %q", code, errs)
	}
	if got := vaultLeases(t, env); !maps.Equal(got, before) {
		t.Fatalf("a refused revoke changed Vault's leases")
	}

	// --force, then the queued (async) revocation, followed to zero.
	out, errs, code = runCmd(t, "revoke", "--prefix", "secret/app/day/", "--force", "--yes")
	if code != 0 || out != "revoked 5 leases under secret/app/day/\n" || !strings.Contains(errs, "FORCE-revoke") {
		t.Errorf("revoke --force: exit %d, %q %q", code, out, errs)
	}
	if l, _ := c.List(ctx, "secret/app/day/"); len(l.LeaseIDs) != 0 {
		t.Errorf("%d left after revoke --force", len(l.LeaseIDs))
	}
	out, errs, code = runCmd(t, "revoke", "--prefix", "secret/app/hour/", "--yes")
	if code != 0 || out != "queued the revocation of 4 leases under secret/app/hour/\n" {
		t.Errorf("revoke (async): exit %d, %q %q", code, out, errs)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		l, err := c.List(ctx, "secret/app/hour/")
		if err == nil && len(l.LeaseIDs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queued revocation never finished: %v %v", l.LeaseIDs, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if l, _ := c.List(ctx, "secret/app/short/"); len(l.LeaseIDs) != 3 {
		t.Errorf("a sibling prefix changed: %d left of 3", len(l.LeaseIDs))
	}

	// check with a token that may list but lacks sudo: UNKNOWN, naming
	// the policy line it needs.
	if err := env.API.Sys().PutPolicy("list-no-sudo", `path "sys/leases/lookup/*" { capabilities = ["list"] }`); err != nil {
		t.Fatal(err)
	}
	tok, err := env.API.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"list-no-sudo"}, NoDefaultPolicy: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("VAULT_TOKEN", tok.Auth.ClientToken)
	out, _, code = runCmd(t, "check", "--expiring-within", "1h")
	line := vaultclient.Policy{Pattern: "sys/leases/lookup/*", Caps: []string{"list", "sudo"}}.Line()
	if code != exitUnknown || !strings.HasPrefix(out, "LEASETOP UNKNOWN - ") || !strings.Contains(out, line) || strings.Count(out, "\n") != 1 {
		t.Errorf("check without sudo: exit %d, %q; want UNKNOWN naming %s", code, out, line)
	}
}
