package cli

import (
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// Bad input gets a clear message and an exit code, never a panic or a Go
// error dumped raw, and never the token.
func TestBadInputGetsAClearMessage(t *testing.T) {
	env := scriptEnv(t)
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler()) // a certificate nobody trusts
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := "http://" + closed.Addr().String()
	closed.Close()
	const secret = "hvs.SECRET-TOKEN-VALUE-123"

	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		code     int
		contains string
	}{
		{"unreachable", map[string]string{"VAULT_ADDR": deadAddr}, []string{"ls"}, 1, "check VAULT_ADDR"},
		{"no scheme", map[string]string{"VAULT_ADDR": "127.0.0.1:8200"}, []string{"ls"}, 1, "leasetop ls:"},
		{"bad port", map[string]string{"VAULT_ADDR": "http://127.0.0.1:99999"}, []string{"ls"}, 1, "leasetop ls:"},
		{"http against https", map[string]string{"VAULT_ADDR": strings.Replace(tlsSrv.URL, "https", "http", 1)}, []string{"ls"}, 1, "https://"},
		{"untrusted certificate", map[string]string{"VAULT_ADDR": tlsSrv.URL}, []string{"ls"}, 1, "VAULT_CACERT"},
		{"https against http", map[string]string{"VAULT_ADDR": strings.Replace(env.Server.Addr, "http", "https", 1)}, []string{"ls"}, 1, "http:// VAULT_ADDR"},
		{"malformed token", map[string]string{"VAULT_TOKEN": secret}, []string{"ls"}, 1, "token is not valid"},
		{"token with a newline", map[string]string{"VAULT_TOKEN": "abc\ndef"}, []string{"ls"}, 1, "non-printable"},
		{"dot-dot prefix", nil, []string{"ls", "secret/../auth/"}, 2, `".." segment`},
		{"double slash prefix", nil, []string{"ls", "secret//x/"}, 2, "empty segment"},
		{"leading slash is fine", nil, []string{"ls", "-r", "/secret/app/"}, 0, ""},
		{"unicode and spaces are fine", nil, []string{"ls", "secret/ünï cödé/"}, 0, ""},
		{"bad increment", nil, []string{"renew", "secret/app/x", "--increment", "banana"}, 2, "is not a duration"},
		{"negative increment", nil, []string{"renew", "secret/app/x", "--increment", "-5m"}, 2, "negative"},
		{"vanished lease", nil, []string{"renew", "secret/app/gone"}, 1, "no longer exists"},
		{"two prefixes", nil, []string{"ls", "a/", "b/"}, 2, "one prefix at most"},
		{"bad concurrency", nil, []string{"--concurrency", "0"}, 2, "--concurrency"},
		{"bad ui increment", nil, []string{"--increment", "banana"}, 2, "--increment"},
		{"ui against nothing", map[string]string{"VAULT_ADDR": deadAddr}, []string{}, 1, "check VAULT_ADDR"},
		{"ui without a token", map[string]string{"VAULT_TOKEN": "", "HOME": t.TempDir()}, []string{}, 1, "no Vault token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if _, ok := tt.env["VAULT_TOKEN"]; ok {
				t.Setenv("VAULT_CONFIG_PATH", t.TempDir()+"/none")
			}
			var out, errb bytes.Buffer
			code := Run(context.Background(), tt.args, os.Stdin, &out, &errb)
			all := out.String() + errb.String()
			if code != tt.code || !strings.Contains(all, tt.contains) {
				t.Errorf("exit %d, output %q; want exit %d and %q", code, all, tt.code, tt.contains)
			}
			if strings.Contains(all, secret) || strings.Contains(all, env.Server.RootToken) {
				t.Errorf("the token is in the output: %q", all)
			}
			if strings.Contains(all, "panic") || strings.Contains(all, "goroutine ") {
				t.Errorf("a panic: %q", all)
			}
		})
	}
}
