// Package devvault runs real Vault dev servers (and, for the database
// engine, a private PostgreSQL) on loopback, for leasetop's tests,
// benchmarks and demo. It starts and stops processes; it knows nothing of
// testing, so the demo uses it as the tests do.
package devvault

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BinEnv names the environment variable that points at a vault binary.
const BinEnv = "LEASETOP_VAULT_BIN"

// ErrNoBinary means no vault binary was found anywhere leasetop looks.
var ErrNoBinary = errors.New("no vault binary: set " + BinEnv + ", put vault on PATH, or build one with tools/devvault/build.sh")

// Binary finds a vault (or OpenBao) binary: $LEASETOP_VAULT_BIN, then
// vault on PATH, then the one tools/devvault/build.sh leaves in the user's
// cache folder.
func Binary() (string, error) {
	if p := os.Getenv(BinEnv); p != "" {
		if isExecutable(p) {
			return p, nil
		}
		return "", fmt.Errorf("%s=%s is not an executable file", BinEnv, p)
	}
	if p, err := exec.LookPath("vault"); err == nil {
		return p, nil
	}
	if p, err := BuiltBinaryPath(); err == nil && isExecutable(p) {
		return p, nil
	}
	return "", ErrNoBinary
}

// BuiltVersion is the Vault release tools/devvault/build.sh builds.
const BuiltVersion = "v1.21.4"

// BuiltBinaryPath is where tools/devvault/build.sh puts the binary
// ($LEASETOP_VAULT_OUT, else <user cache dir>/leasetop/vault-<version>).
func BuiltBinaryPath() (string, error) {
	if p := os.Getenv("LEASETOP_VAULT_OUT"); p != "" {
		return p, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "leasetop", "vault-"+BuiltVersion), nil
}

// RepoRoot walks up from the working directory to the leasetop checkout
// (the folder holding tools/devvault/build.sh).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "tools", "devvault", "build.sh")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside a leasetop checkout")
		}
		dir = parent
	}
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}
