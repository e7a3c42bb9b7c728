package vaultclient

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// ownBusy sees this process keep its processor busy, and sees it idle.
func TestOwnBusySeesTheProcessWorkAndRest(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if _, ok := processCPU(); !ok {
		t.Skip("this system does not say how much CPU a process used")
	}
	b := newOwnBusy()
	time.Sleep(300 * time.Millisecond)
	idle := b.share()
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
	time.Sleep(300 * time.Millisecond)
	busy := b.share()
	stop.Store(true)
	<-done
	t.Logf("share of one processor: %.2f resting, %.2f working", idle, busy)
	if idle > 0.2 || busy < 0.4 {
		t.Errorf("resting %.2f (want at most 0.2), working %.2f (want at least 0.4)", idle, busy)
	}
}
