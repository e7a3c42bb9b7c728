package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/vaulttest"
)

// The exit codes scripts and monitoring act on: check's, as monitoring
// plugins expect them, and who's. The tests compare with the constants,
// so their numbers are pinned here.
func TestExitCodesKeepTheirNumbers(t *testing.T) {
	for _, tt := range []struct {
		name      string
		got, want int
	}{
		{"exitOK", exitOK, 0},
		{"exitWarning", exitWarning, 1},
		{"exitCritical", exitCritical, 2},
		{"exitUnknown", exitUnknown, 3},
		{"whoKnown", whoKnown, 0},
		{"whoUnknown", whoUnknown, 3},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}

// scriptEnv seeds a fixed estate on a real dev server and points the
// environment at it, as a user's shell would.
func scriptEnv(t *testing.T) *vaulttest.Env {
	t.Helper()
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, s := range []struct {
		path string
		ttl  time.Duration
		n    int
	}{{"app/short", 2 * time.Minute, 3}, {"app/hour", 50 * time.Minute, 4}, {"app/day", 20 * time.Hour, 5}} {
		if _, err := env.Seed.LeasedKV(ctx, s.path, s.ttl, s.n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.Seed.PKI(ctx, "pki", "web", 30*time.Minute, 2); err != nil {
		t.Fatal(err)
	}
	useVault(t, env.Server.Addr, env.Server.RootToken)
	return env
}

// useVault points the environment at the Vault at addr, as a user's shell
// would, and leasetop at a config file that does not exist, so that the
// tests run from VAULT_* whatever the machine's own config holds.
func useVault(t *testing.T, addr, token string) {
	t.Helper()
	t.Setenv("VAULT_ADDR", addr)
	t.Setenv("VAULT_TOKEN", token)
	t.Setenv("VAULT_NAMESPACE", "")
	t.Setenv("LEASETOP_CONFIG", filepath.Join(t.TempDir(), "absent.yaml"))
}

func runCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, os.Stdin, &out, &errb)
	return out.String(), errb.String(), code
}

// vaultLeases is Vault's whole lease set, from a recursive listing read
// by code that is not leasetop's (vaulttest.AllLeaseIDs).
func vaultLeases(t *testing.T, env *vaulttest.Env) map[string]bool {
	t.Helper()
	return env.AllLeaseIDs(t)
}
