// Command leasetop is `top` for the leases of HashiCorp Vault and OpenBao:
// a prefix tree with lease counts beside a table of leases with live TTL
// countdowns, and renew/revoke from the keyboard. The commands live in
// package cli.
package main

import (
	"io"
	"os"

	"github.com/leasetop/leasetop/cli"
)

//go:generate go run . man docs/man

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program, for tests: the arguments without the program
// name, and the streams.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cli.Version = version
	return cli.Run(args, stdin, stdout, stderr)
}
