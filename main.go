// Command leasetop is `top` for the leases of HashiCorp Vault and OpenBao:
// a prefix tree with lease counts beside a table of leases with live TTL
// countdowns, and renew/revoke from the keyboard. The commands live in
// package cli.
package main

import (
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"time"

	"github.com/leasetop/leasetop/cli"
)

//go:generate go run . man docs/man

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	shareCores(os.Getenv("GOMAXPROCS"))
	capHeap(os.Getenv("GOMEMLIMIT"), liveHeap, time.Second)
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

// heapCap is the soft limit on leasetop's memory while its live data fits
// well inside it; capLift is the live heap at which the limit is lifted.
const (
	heapCap = 232 << 20
	capLift = 200 << 20
)

// capHeap keeps the memory leasetop's Go runtime maps under heapCap (a
// soft limit for the garbage collector), unless GOMEMLIMIT is set. Left
// to itself the collector lets the heap grow to twice the live data before
// it collects: crawling a million leases the live data (the index, and the
// ids listed and not yet looked up) peaks at 188 MB, and the process
// peaked at 409 MB of RSS. With a limit of 240 MiB it peaked at 258 MB
// (the binary and what the runtime does not count come on top), the
// crawl took 188 s of CPU against 202 s without, and 213 collections
// against 136 (throwaway runs in tmux at 1M, one after the other); with
// 232 MiB, 248 MB (bench figure 14a). A limit that the live data outgrows
// would make the collector run back to back, so once live (read every
// poll) passes capLift the limit is lifted for good and the collector
// paces as it would without it. It returns the limit in force.
func capHeap(env string, live func() uint64, poll time.Duration) int64 {
	if env != "" {
		return debug.SetMemoryLimit(-1)
	}
	debug.SetMemoryLimit(heapCap)
	go func() {
		for live() <= capLift {
			time.Sleep(poll)
		}
		debug.SetMemoryLimit(math.MaxInt64)
	}()
	return heapCap
}

// liveHeap is the heap the last garbage collection left live.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// run is the whole program, for tests: the arguments without the program
// name, and the streams.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cli.Version = version
	return cli.Run(args, stdin, stdout, stderr)
}
