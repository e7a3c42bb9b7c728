package vaultclient

import (
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// kernelCPU is the CPU time (user and system) this process has used, as
// /proc/self/stat counts it in the kernel's ticks (USER_HZ, 100 a second
// on every Linux): read apart from getrusage, which ownBusy reads.
func kernelCPU() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	// The fields after the command's closing parenthesis start at the
	// third, the state; utime and stime are the 14th and 15th.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, true
}

// ownBusy reads the share of its processor this process used, as the
// kernel counts it, each reading covering only the time since the last:
// low at rest, and while a goroutine works, what the kernel says it got.
//
// How much of a processor the working goroutine gets depends on the rest
// of the machine (on a loaded 2-core machine, a tenth), so the work goes
// on until the kernel has counted 500 ms of it, however long that takes,
// and the reading over that time is compared with the kernel's own
// figure, not with a fixed share. A resting process stays idle however
// loaded the machine is, so the resting readings are compared with a
// fixed ceiling.
func TestOwnBusySeesTheProcessWorkAndRest(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if _, ok := processCPU(); !ok {
		t.Skip("this system does not say how much CPU a process used")
	}
	if _, ok := kernelCPU(); !ok {
		t.Skip("no /proc/self/stat to check the reading against")
	}
	const rest = 200 * time.Millisecond
	b := newOwnBusy()
	time.Sleep(rest)
	if idle := b.share(); idle > 0.2 {
		t.Errorf("resting before the work: %.2f of the processor, want at most 0.2", idle)
	}

	var stop atomic.Bool
	done := make(chan struct{})
	go func() { // CPU-bound, as a big sort is
		defer close(done)
		x := 0
		for !stop.Load() {
			x++
		}
		_ = x
	}()
	b.share() // from here on, the goroutine is working
	start := time.Now()
	cpu0, _ := kernelCPU()
	var cpu time.Duration
	for deadline := start.Add(2 * time.Minute); cpu < 500*time.Millisecond; time.Sleep(20 * time.Millisecond) {
		c, _ := kernelCPU()
		cpu = c - cpu0
		if time.Now().After(deadline) {
			stop.Store(true)
			<-done
			t.Fatalf("in two minutes of work the kernel counted %s of CPU for this process", cpu)
		}
	}
	busy := b.share()
	c, _ := kernelCPU()
	wall := time.Since(start)
	stop.Store(true)
	<-done
	kernel := (c - cpu0).Seconds() / wall.Seconds()
	// The kernel's figure is in whole ticks: two of them over 500 ms is
	// 4%.
	if math.Abs(busy-kernel) > 0.15*kernel+0.005 {
		t.Errorf("working %s: a reading of %.2f of the processor, the kernel says %.2f", wall.Round(time.Millisecond), busy, kernel)
	}

	// The first reading after the work covers the rest alone (and the
	// instant the goroutine took to stop): a share of the time since some
	// earlier point would still hold the work, at least 0.7 of its share
	// (500 ms of CPU took at least 500 ms, the rest is 200 ms).
	time.Sleep(rest)
	idle := b.share()
	t.Logf("share of one processor: working %.2f (the kernel: %.2f over %s), then resting %.2f", busy, kernel, wall.Round(time.Millisecond), idle)
	if ceiling := min(0.2, kernel/4+0.01); idle > ceiling {
		t.Errorf("resting after the work: %.2f of the processor, want at most %.2f", idle, ceiling)
	}
}
