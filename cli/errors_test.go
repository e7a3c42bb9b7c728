package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each command that cannot go on says why in one line on stderr, "leasetop
// CMD: why", and exits with its code: 2 for what the user gave, 1 for
// what failed. The words and the codes are what scripts match on, so they
// are pinned byte for byte. None of these cases reaches Vault (the
// address is a closed port).
func TestErrorsKeepTheirWordsAndCodes(t *testing.T) {
	dir := t.TempDir()
	audit := filepath.Join(dir, "audit.log")
	readOnly := filepath.Join(dir, "ro.yaml")
	notADir := filepath.Join(dir, "file")
	for path, text := range map[string]string{
		audit:    "{}\n",
		readOnly: "current-context: ro\ncontexts:\n  - name: ro\n    address: http://127.0.0.1:1\n    read-only: true\n",
		notADir:  "",
	} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("VAULT_ADDR", "http://127.0.0.1:1")
	t.Setenv("VAULT_TOKEN", "hvs.not-a-token")
	t.Setenv("VAULT_NAMESPACE", "")
	t.Setenv("LEASETOP_CONFIG", filepath.Join(dir, "absent.yaml"))

	for _, tt := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"a/", "b/"}, 2, "leasetop: one prefix at most, got 2: a/ b/"},
		{[]string{"--increment", "banana"}, 2, `leasetop: --increment: "banana" is not a duration: use forms like 30m, 1h, 2d`},
		{[]string{"--refresh", "-1s"}, 2, "leasetop: --refresh must not be negative"},
		{[]string{"--concurrency", "300"}, 2, "leasetop: --concurrency must be between 1 and 256"},
		{[]string{"--context", "nope"}, 2, "leasetop: --context nope: no config file at {dir}/absent.yaml"},
		{[]string{"ls", "a/", "b/"}, 2, `leasetop ls: one prefix at most, got "a/ b/"`},
		{[]string{"ls", "--expiring-within", "banana"}, 2, `leasetop ls: --expiring-within: "banana" is not a duration: use forms like 30m, 1h, 2d`},
		{[]string{"ls", "-o", "xml"}, 2, `leasetop ls: unknown output format "xml": use one of table, json, jsonl, csv`},
		{[]string{"ls", "--rate", "-1"}, 2, "leasetop ls: --rate must not be negative"},
		{[]string{"count", "-o", "xml"}, 2, `leasetop count: unknown output format "xml": use table or json`},
		{[]string{"count", "--depth", "-1"}, 2, "leasetop count: --depth must not be negative"},
		{[]string{"revoke", "--vault-audit", audit}, 2, "leasetop revoke: --vault-audit and --by go with --owner NAME"},
		{[]string{"revoke", "a", "b"}, 2, "leasetop revoke: give either --prefix P or one lease id"},
		{[]string{"revoke", "--prefix", "secret/", "--sync", "--force"}, 2, "leasetop revoke: --force is always synchronous; give --sync or --force, not both"},
		{[]string{"revoke", "--prefix", "/"}, 2, "leasetop revoke: refusing to revoke the empty prefix (every lease in the namespace)"},
		{[]string{"--config", readOnly, "revoke", "lease/x"}, 2, `leasetop revoke: the context "ro" is read-only: revoke refused, nothing was changed`},
		{[]string{"revoke", "--owner", "bob", "--force", "--vault-audit", audit}, 2, "leasetop revoke: --force revokes a prefix; it does not go with --owner"},
		{[]string{"revoke", "--owner", "bob", "--by", "nope", "--vault-audit", audit}, 2, `leasetop revoke: unknown grouping "nope": use one of entity, role, mount, remote, agent`},
		{[]string{"--config", readOnly, "revoke", "--owner", "bob", "--vault-audit", audit}, 2, `leasetop revoke: the context "ro" is read-only: revoke refused, nothing was changed`},
		{[]string{"renew", "x", "--increment", "banana"}, 2, `leasetop renew: --increment: "banana" is not a duration: use forms like 30m, 1h, 2d`},
		{[]string{"--config", readOnly, "renew", "x"}, 2, `leasetop renew: the context "ro" is read-only: renew refused, nothing was changed`},
		{[]string{"owners", "--recent", "x", "--vault-audit", audit}, 2, `leasetop owners: --recent: "x" is not a duration: use forms like 30m, 1h, 2d`},
		{[]string{"owners", "-o", "xml", "--vault-audit", audit}, 2, `leasetop owners: unknown output format "xml": use one of table, json, csv`},
		{[]string{"who", "a", "b"}, 2, "leasetop who: give one lease id"},
		{[]string{"who", "x", "-o", "xml"}, 2, `leasetop who: unknown output format "xml": use text or json`},
		{[]string{"completion", "tcsh"}, 2, `leasetop completion: unknown shell "tcsh": use bash, zsh, fish or powershell`},
		{[]string{"man", filepath.Join(notADir, "x")}, 1, "leasetop man: mkdir {dir}/file: not a directory"},
		{[]string{"ctx", "use", "nope"}, 2, "leasetop ctx use: no config file at {dir}/absent.yaml"},
		{[]string{"--config", readOnly, "ctx", "use", "nope"}, 2, `leasetop ctx use: {dir}/ro.yaml: no context "nope" (contexts: ro)`},
		{[]string{"demo", "--scale", "0"}, 2, "leasetop demo: --scale must be 1 or more"},
		{[]string{"demo", "--serve", "19155"}, 2, "leasetop demo: --serve 19155: give a host and port, e.g. 127.0.0.1:19155"},
		{[]string{"demo", "--serve", "127.0.0.1:0", "--seed-only"}, 2, "leasetop demo: --seed-only and --serve: choose one"},
		{[]string{"demo", "--concurrency", "0"}, 2, "leasetop demo: --concurrency must be between 1 and 256"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Run(context.Background(), tt.args, strings.NewReader(""), &out, &errb)
			want := strings.ReplaceAll(tt.stderr, "{dir}", dir) + "\n"
			if code != tt.code || errb.String() != want || out.Len() != 0 {
				t.Errorf("exit %d, stderr %q, stdout %q; want exit %d, stderr %q and no stdout", code, errb.String(), out.String(), tt.code, want)
			}
		})
	}
}
