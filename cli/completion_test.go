package cli

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/vaultclient"
)

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
