// Command leasetop is `top` for the leases of HashiCorp Vault and OpenBao:
// a prefix tree with lease counts beside a table of leases with live TTL
// countdowns, and renew/revoke from the keyboard. The commands live in
// package cli.
package main

import (
	"io"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/leasetop/leasetop/cli"
)

//go:generate go run . man docs/man

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	shareCores(os.Getenv("GOMAXPROCS"))
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

// shareCores runs leasetop on half the cores it may use (at least one),
// unless GOMAXPROCS is set. Its work is waiting on Vault: crawling a
// million leases it needs 0.4 of a core, and the runtime's spare Ps
// spent about as much again looking for work (spinning, futex
// wake-ups), on cores that a Vault on the same machine was short of (a
// dev server, a bastion). With one P instead of two on 2 cores, the
// UI's crawl of 200,000 leases went from 0.63x to 0.83x the raw loop's
// rate and its CPU from 63 s to 30 s (bench figure 13 with and without
// -leasetop-env GOMAXPROCS=2). It returns the number of Ps.
func shareCores(env string) int {
	if env != "" {
		return runtime.GOMAXPROCS(0)
	}
	n := max(1, runtime.GOMAXPROCS(0)/2)
	runtime.GOMAXPROCS(n)
	return n
}

// run is the whole program, for tests: the arguments without the program
// name, and the streams.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cli.Version = version
	return cli.Run(args, stdin, stdout, stderr)
}
