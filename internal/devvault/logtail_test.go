package devvault

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A failing test prints the server's log tail: the dev server's banner
// names its root token and unseal key, which must not reach the output.
func TestLogTailLeavesOutTheTokenAndTheUnsealKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vault.log")
	log := strings.Join([]string{
		"WARNING! dev mode is enabled!",
		"Unseal Key: 9kZ2Xw1bXb5y8Y1kR7wz4F0n2m3l6Q0aS1dF2gH3jK4=",
		"Root Token: root-5706398e27929c3c",
		"2026-12-02T06:56:40.019Z [INFO]  core: request by root-5706398e27929c3c",
		"2026-12-02T06:56:40.024Z [INFO]  expiration: revoked lease: lease_id=secret/a/b",
	}, "\n") + "\n"
	if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Server{LogPath: path, RootToken: "root-5706398e27929c3c"}
	tail := s.LogTail(10)
	for _, secret := range []string{"root-5706398e27929c3c", "9kZ2Xw1bXb5y8Y1kR7wz4F0n2m3l6Q0aS1dF2gH3jK4="} {
		if strings.Contains(tail, secret) {
			t.Errorf("the log tail shows %q:\n%s", secret, tail)
		}
	}
	if !strings.Contains(tail, "revoked lease: lease_id=secret/a/b") || !strings.Contains(tail, "Root Token: (left out)") {
		t.Errorf("the log tail lost what it should keep:\n%s", tail)
	}
	if got := s.LogTail(2); strings.Count(got, "\n") != 1 {
		t.Errorf("LogTail(2) gave %q", got)
	}
}
