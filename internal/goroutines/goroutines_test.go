package goroutines

import (
	"sync"
	"testing"
	"time"
)

func parkedHere(g G) bool {
	return g.Parked() && g.In("goroutines.TestParkedSeesWhereAGoroutineWaits.func")
}

// A goroutine waiting on a channel, a condition variable or a timer is
// seen parked, where it waits; one that computes is not, and one that
// has returned is gone.
func TestParkedSeesWhereAGoroutineWaits(t *testing.T) {
	waitUntil := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); !ok(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waited a minute for %s", what)
			}
		}
	}
	release := make(chan struct{})
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	woken := false
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); <-release }()
	go func() {
		defer wg.Done()
		mu.Lock()
		for !woken {
			cond.Wait()
		}
		mu.Unlock()
	}()
	go func() {
		defer wg.Done()
		select {
		case <-release:
		case <-time.After(time.Hour):
		}
	}()
	waitUntil("three parked goroutines", func() bool { return Count(parkedHere) == 3 })

	var stop sync.WaitGroup
	stop.Add(1)
	spinning := make(chan int)
	go func() {
		defer stop.Done()
		spinning <- Self()
		for x := 0; ; x++ {
			select {
			case <-release:
				return
			default:
			}
		}
	}()
	id := <-spinning
	for range 100 {
		for _, g := range All() {
			if g.ID == id && g.Parked() {
				t.Fatalf("a spinning goroutine seen parked: %q", g.State)
			}
		}
	}

	close(release)
	mu.Lock()
	woken = true
	cond.Broadcast()
	mu.Unlock()
	wg.Wait()
	stop.Wait()
	if n := Count(parkedHere); n != 0 {
		t.Errorf("%d goroutines still parked after they returned", n)
	}
}

func TestSelfIsTheCallersID(t *testing.T) {
	ids := make(chan int, 2)
	go func() { ids <- Self() }()
	go func() { ids <- Self() }()
	a, b := <-ids, <-ids
	if a <= 0 || b <= 0 || a == b || a == Self() {
		t.Errorf("ids %d and %d (this goroutine %d)", a, b, Self())
	}
}
