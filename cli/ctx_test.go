package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/leasetop/leasetop/vaultclient"
)

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
