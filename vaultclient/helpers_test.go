package vaultclient_test

import (
	"os"
	"strconv"

	"github.com/leasetop/leasetop/internal/devvault"
)

func freePort() (string, error) {
	p, err := devvault.FreePort()
	return strconv.Itoa(p), err
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }
