package vaultclient

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// ownBusy sees this process keep its processor busy, and sees it idle,
// each reading covering only the time since the last.
//
// A resting process stays idle however loaded the machine is, so each
// resting reading is taken once. How much of a processor the working
// goroutine gets depends on everything else the machine runs, so the
// working readings are taken window after window until one shows the
// work, within a generous deadline.
func TestOwnBusySeesTheProcessWorkAndRest(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if _, ok := processCPU(); !ok {
		t.Skip("this system does not say how much CPU a process used")
	}
	const window = 200 * time.Millisecond
	b := newOwnBusy()
	time.Sleep(window)
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
	var readings []float64
	b.share() // from here on, the goroutine is working
	for deadline := time.Now().Add(time.Minute); ; {
		time.Sleep(window)
		busy := b.share()
		readings = append(readings, busy)
		if busy >= 0.4 {
			break
		}
		if time.Now().After(deadline) {
			stop.Store(true)
			<-done
			t.Fatalf("working for a minute, no reading reached 0.4 of the processor: %.2f", readings)
		}
	}
	stop.Store(true)
	<-done

	// The first reading after the work covers the rest alone (and the
	// instant the goroutine took to stop): a share of the time since some
	// earlier point would still hold the work.
	time.Sleep(window)
	idle := b.share()
	t.Logf("share of one processor: working %.2f, then resting %.2f", readings, idle)
	if idle > 0.2 {
		t.Errorf("resting after the work: %.2f of the processor, want at most 0.2", idle)
	}
}
