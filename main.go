// Command leasetop is `top` for the leases of HashiCorp Vault and OpenBao:
// a prefix tree with lease counts beside a table of leases with live TTL
// countdowns, and renew/revoke from the keyboard. The commands live in
// package cli.
package main

import (
	"io"
	"os"
	"runtime/pprof"

	"github.com/leasetop/leasetop/cli"
)

//go:generate go run . man docs/man

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(profiled(os.Getenv("LEASETOP_CPUPROFILE"), func() int {
		return run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	}))
}

// profiled runs f with a CPU profile written to path, when path is set:
// the whole program as the operator runs it (in a terminal, against a
// real Vault) can be profiled, not only the packages under it.
func profiled(path string, f func() int) int {
	if path == "" {
		return f()
	}
	out, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(out)
	}
	if err != nil {
		os.Stderr.WriteString("leasetop: LEASETOP_CPUPROFILE: " + err.Error() + "\n")
		return f()
	}
	defer out.Close()
	defer pprof.StopCPUProfile()
	return f()
}

// run is the whole program, for tests: the arguments without the program
// name, and the streams.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cli.Version = version
	return cli.Run(args, stdin, stdout, stderr)
}
