package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/leasetop/leasetop/vaultclient"
)

// The man pages in docs/man are generated from the same declarations as
// --help: regenerating them changes nothing.
func TestManPagesAreCurrent(t *testing.T) {
	dir := t.TempDir()
	if _, errs, code := runCmd(t, "man", dir); code != 0 {
		t.Fatalf("leasetop man: exit %d: %s", code, errs)
	}
	fresh, _ := filepath.Glob(filepath.Join(dir, "*.1"))
	committed, _ := filepath.Glob(filepath.Join("..", "docs", "man", "*.1"))
	names := func(paths []string) []string {
		var out []string
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	if !slices.Equal(names(fresh), names(committed)) {
		t.Fatalf("docs/man holds %v, the commands make %v: run go generate", names(committed), names(fresh))
	}
	for _, p := range fresh {
		want, _ := os.ReadFile(p)
		got, _ := os.ReadFile(filepath.Join("..", "docs", "man", filepath.Base(p)))
		if !bytes.Equal(got, want) {
			t.Errorf("docs/man/%s is out of date: run go generate", filepath.Base(p))
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, "leasetop-revoke.1"))
	for _, want := range []string{"--prefix", "--addr", "--context", "--force"} {
		if !strings.Contains(string(page), `\fB`+want+`\fP`) {
			t.Errorf("leasetop-revoke(1) does not document %s", want)
		}
	}
}

// The bash script loads in a real bash and registers the completion.
func TestBashCompletionScriptLoads(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	bin := filepath.Join(t.TempDir(), "leasetop")
	if out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bash, "--norc", "--noprofile", "-c", "source <('"+bin+"' completion bash) && complete -p leasetop").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "complete -o default -F __start_leasetop leasetop") {
		t.Errorf("bash did not register the completion: %v\n%s", err, out)
	}
	for _, shell := range []string{"zsh", "fish", "powershell"} {
		out, err := exec.Command(bin, "completion", shell).Output()
		if err != nil || !strings.Contains(string(out), "__complete") {
			t.Errorf("completion %s: %v, %d bytes", shell, err, len(out))
		}
	}
}

// complete runs cobra's hidden __complete command as a shell would: the
// words, the last one being completed; it returns the candidates and the
// directive.
func complete(t *testing.T, words ...string) ([]string, string) {
	t.Helper()
	out, errs, code := runCmd(t, append([]string{"__complete"}, words...)...)
	if code != 0 {
		t.Fatalf("__complete %v: exit %d: %s", words, code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[:len(lines)-1], lines[len(lines)-1]
}

func TestDynamicCompletionListsVault(t *testing.T) {
	env := scriptEnv(t)
	got, dir := complete(t, "ls", "secret/app/")
	if want := []string{"secret/app/day/", "secret/app/hour/", "secret/app/short/"}; !slices.Equal(got, want) || dir != ":6" {
		t.Errorf("ls secret/app/<tab>: %v %s; want %v :6 (no space, no files)", got, dir, want)
	}
	if got, _ := complete(t, "count", "/secret/app/s"); !slices.Equal(got, []string{"/secret/app/short/"}) {
		t.Errorf("a leading slash is kept: %v", got)
	}
	if got, _ := complete(t, "ls", "secret/app/short/"); len(got) != 0 {
		t.Errorf("ls completes prefixes, not lease ids: %v", got)
	}
	if got, _ := complete(t, "ls", "a/", ""); len(got) != 0 {
		t.Errorf("ls takes one prefix: %v", got)
	}
	if got, _ := complete(t, "revoke", "--prefix", "se"); !slices.Equal(got, []string{"secret/"}) {
		t.Errorf("revoke --prefix se<tab>: %v", got)
	}
	c := env.Client(t, "", vaultclient.Config{})
	short, _ := c.List(context.Background(), "secret/app/short/")
	got, _ = complete(t, "renew", "secret/app/short/")
	if !slices.Equal(got, short.LeaseIDs) || len(got) != 3 {
		t.Errorf("renew secret/app/short/<tab>: %v, want the 3 ids %v", got, short.LeaseIDs)
	}
	one := short.LeaseIDs[0]
	if got, dir := complete(t, "who", one[:len(one)-3]); !slices.Equal(got, []string{one}) || dir != ":4" {
		t.Errorf("one lease id completes with a space after it: %v %s", got, dir)
	}
	if got, _ := complete(t, "--addr", env.Server.Addr, "ls", "pk"); !slices.Equal(got, []string{"pki/"}) {
		t.Errorf("the connection flags apply to completion: %v", got)
	}

	// Without a Vault, or with one that never answers: no candidates, no
	// message, and an end set by the completion's own 2 s bound. Allowed
	// 20 s for a loaded machine: still short of the 30 s a request of the
	// client may take by itself, so a completion without its bound fails.
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	for _, addr := range []string{"http://127.0.0.1:1", "http://" + hang.Addr().String()} {
		t.Setenv("VAULT_ADDR", addr)
		start := time.Now()
		out, errs, code := runCmd(t, "__complete", "ls", "secret/")
		if code != 0 || out != ":4\n" || errs != "" && !strings.HasPrefix(errs, "Completion ended with directive") {
			t.Errorf("completion against %s: exit %d, %q %q", addr, code, out, errs)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("completion against %s took %s", addr, d)
		}
	}
}

// writeConfig writes a config file of contexts and points LEASETOP_CONFIG
// at it.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LEASETOP_CONFIG", p)
	return p
}

func TestContexts(t *testing.T) {
	env := scriptEnv(t)
	t.Setenv("LEASETOP_TEST_TOKEN", env.Server.RootToken)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + closed.Addr().String()
	closed.Close()
	path := writeConfig(t, fmt.Sprintf(`current-context: dev
contexts:
  - name: dev
    address: %[1]s
    token: {env: LEASETOP_TEST_TOKEN}
  - name: ro
    address: %[1]s
    token: {env: LEASETOP_TEST_TOKEN}
    read-only: true
  - name: gone
    address: %[2]s
    token: {env: LEASETOP_TEST_TOKEN}
`, env.Server.Addr, dead))
	// The context wins over the environment.
	t.Setenv("VAULT_ADDR", dead)
	t.Setenv("VAULT_TOKEN", "")

	out, errs, code := runCmd(t, "ctx")
	if code != 0 || out != "* dev\t"+env.Server.Addr+"\n  ro\t"+env.Server.Addr+"\tread-only\n  gone\t"+dead+"\n" {
		t.Errorf("ctx: exit %d, %q %q", code, out, errs)
	}
	if got, _ := complete(t, "ls", "--context", ""); !slices.Equal(got, []string{"dev", "ro", "gone"}) {
		t.Errorf("--context <tab>: %v", got)
	}
	if got, _ := complete(t, "ctx", "use", "g"); !slices.Equal(got, []string{"dev", "ro", "gone"}) {
		t.Errorf("ctx use <tab>: %v", got)
	}

	// The current context, another one, and a flag over the context.
	if out, errs, code = runCmd(t, "ls", "-r", "secret/app/short/"); code != 0 || strings.Count(out, "secret/app/short/") != 3 {
		t.Errorf("ls with the current context: exit %d, %q %q", code, out, errs)
	}
	if _, errs, code = runCmd(t, "ls", "--context", "gone"); code != 1 || !strings.Contains(errs, "check VAULT_ADDR") {
		t.Errorf("ls --context gone: exit %d, %q", code, errs)
	}
	if out, errs, code = runCmd(t, "count", "--context", "gone", "--addr", env.Server.Addr, "secret/"); code != 0 || !regexp.MustCompile(`short/\s+3\s`).MatchString(out) {
		t.Errorf("--addr over the context: exit %d, %q %q", code, out, errs)
	}

	// A read-only context cannot be acted on, whatever the flags say.
	c := env.Client(t, "", vaultclient.Config{})
	hour, _ := c.List(context.Background(), "secret/app/hour/")
	for _, args := range [][]string{
		{"revoke", "--context", "ro", hour.LeaseIDs[0]},
		{"revoke", "--context", "ro", "--prefix", "secret/app/hour/", "--yes", "--sync"},
		{"renew", "--context", "ro", hour.LeaseIDs[0]},
	} {
		if _, errs, code := runCmd(t, args...); code != 2 || !strings.Contains(errs, `the context "ro" is read-only`) {
			t.Errorf("%v: exit %d, %q", args, code, errs)
		}
	}
	if l, _ := c.List(context.Background(), "secret/app/hour/"); len(l.LeaseIDs) != 4 {
		t.Errorf("a read-only context revoked leases: %d left of 4", len(l.LeaseIDs))
	}
	if out, _, code := runCmd(t, "check", "--context", "ro", "--expiring-within", "1h"); code != exitCritical && code != exitWarning {
		t.Errorf("looking is fine on a read-only context: exit %d, %q", code, out)
	}

	// ctx use switches the default and saves the file.
	if out, errs, code = runCmd(t, "ctx", "use", "gone"); code != 0 || !strings.Contains(out, "current context: gone") {
		t.Errorf("ctx use gone: exit %d, %q %q", code, out, errs)
	}
	if out, _, _ = runCmd(t, "ctx"); !strings.Contains(out, "* gone\t") || !strings.Contains(out, "  dev\t") {
		t.Errorf("ctx after use: %q", out)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "current-context: gone") {
		t.Errorf("ctx use did not save the file:\n%s", b)
	}

	// A context that does not exist, a bad file: a clear message and 2
	// (check: UNKNOWN, 3).
	for _, args := range [][]string{{"ls", "--context", "nope"}, {"ctx", "use", "nope"}, {"--context", "nope"}} {
		if _, errs, code := runCmd(t, args...); code != 2 || !strings.Contains(errs, `no context "nope" (contexts: dev, ro, gone)`) {
			t.Errorf("%v: exit %d, %q", args, code, errs)
		}
	}
	if out, _, code := runCmd(t, "check", "--context", "nope", "--expiring-within", "1h"); code != exitUnknown || !strings.HasPrefix(out, "LEASETOP UNKNOWN - ") || !strings.Contains(out, `no context "nope"`) {
		t.Errorf("check --context nope: exit %d, %q", code, out)
	}
	bad := writeConfig(t, "contexts:\n  - name: x\n    adress: http://127.0.0.1:8200\n")
	for _, args := range [][]string{{"ls"}, {"ctx"}, {"count", "--config", bad}} {
		if _, errs, code := runCmd(t, args...); code != 2 || !strings.Contains(errs, bad+":3:") {
			t.Errorf("%v with a bad config file: exit %d, %q", args, code, errs)
		}
	}
	missing := filepath.Join(t.TempDir(), "none.yaml")
	if _, errs, code := runCmd(t, "ls", "--config", missing); code != 2 || !strings.Contains(errs, "no config file at "+missing) {
		t.Errorf("--config naming no file: exit %d, %q", code, errs)
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
