package vaultclient

import (
	"runtime"
	"sync"
	"time"
)

// ownBusy tells how much of its processors this process kept busy since
// it was last asked. A round trip timed here includes leasetop's side:
// the transport's goroutine that reads the answer, and the caller it
// wakes, each waiting for a processor. While leasetop's UI works hard on
// its one core (a key that re-gathers a prefix of 100,000 leases, a
// sort), a lookup's round trip grows from milliseconds to hundreds of
// them with nothing queued in Vault, and a limiter that took that for
// Vault's queueing would bring the crawl to one request in flight just as
// the operator selects a prefix (bench figure 12; bench/RESULTS.md).
type ownBusy struct {
	mu   sync.Mutex
	at   time.Time
	used time.Duration
}

func newOwnBusy() *ownBusy {
	b := &ownBusy{}
	b.share()
	return b
}

// share is the CPU this process used since the last call, as a share of
// GOMAXPROCS processors over that time; -1 when the system does not say.
func (b *ownBusy) share() float64 {
	used, ok := processCPU()
	if !ok {
		return -1
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	wall := now.Sub(b.at)
	du := used - b.used
	b.at, b.used = now, used
	if wall <= 0 {
		return 0
	}
	return du.Seconds() / (wall.Seconds() * float64(runtime.GOMAXPROCS(0)))
}
