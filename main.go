// Command leasetop is `top` for the leases of HashiCorp Vault and OpenBao:
// a prefix tree with lease counts beside a table of leases with live TTL
// countdowns, and renew/revoke from the keyboard. The commands live in
// package cli.
package main

import (
	"context"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"syscall"
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
	// Written however the program ends: tmux, a terminal closed, or a
	// benchmark stops leasetop with SIGHUP or SIGTERM, which would kill it
	// with the profile unwritten.
	var once sync.Once
	stop := func() { once.Do(func() { pprof.StopCPUProfile(); out.Close() }) }
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM)
	go func() {
		s := <-sigs
		stop()
		os.Exit(128 + int(s.(syscall.Signal)))
	}()
	defer stop()
	return f()
}

// shareCores runs leasetop on half the cores it may use (at least one),
// unless GOMAXPROCS is set. Its work is waiting on Vault, and the
// runtime's spare Ps spend about as much CPU again looking for work
// (spinning, futex wake-ups), on cores that a Vault on the same machine
// (a dev server, a bastion) is short of: with fewer Ps the crawl is
// faster and cheaper (bench figure 13 with and without -leasetop-env
// GOMAXPROCS=2; bench/RESULTS.md). It returns the number of Ps.
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
// it collects, and a crawl of a million leases has a peak of live data
// (the index, and the ids listed and not yet looked up) that would double
// into a peak of RSS well over bench figure 14a's target; under the limit
// the collector works harder near it instead, with no measurable cost in
// the crawl's CPU. heapCap sits above that peak of live data, since a
// limit the live data outgrows makes the collector run back to back: once
// live (read every poll) passes capLift the limit is lifted for good and
// the collector paces as it would without it. bench/RESULTS.md has the
// measurements. It returns the limit in force.
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

// run is the whole program: the arguments without the program name, and
// the streams. The commands' tests call cli.Run.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cli.Version = version
	return cli.Run(context.Background(), args, stdin, stdout, stderr)
}
