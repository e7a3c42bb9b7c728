package main

import (
	"math"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"
)

func TestCapHeapLimitsMemoryUntilTheLiveDataOutgrowsIt(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	limit := func() int64 { return debug.SetMemoryLimit(-1) }
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); !ok(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waited a minute for %s", what)
			}
		}
	}

	t.Run("GOMEMLIMIT set: the operator's limit stands", func(t *testing.T) {
		debug.SetMemoryLimit(1 << 30)
		if got := capHeap("1GiB", func() uint64 { return 0 }, time.Millisecond); got != 1<<30 || limit() != 1<<30 {
			t.Errorf("capHeap returned %d and the limit is %d, want both 1 GiB", got, limit())
		}
	})

	t.Run("live data well inside: the cap holds", func(t *testing.T) {
		debug.SetMemoryLimit(math.MaxInt64)
		var polls atomic.Int64
		stop := make(chan struct{})
		live := func() uint64 {
			polls.Add(1)
			select {
			case <-stop: // the test is over: let the watcher end
				return capLift + 1
			default:
				return capLift
			}
		}
		if got := capHeap("", live, time.Millisecond); got != heapCap {
			t.Errorf("capHeap returned %d, want %d", got, heapCap)
		}
		waitFor("20 polls", func() bool { return polls.Load() >= 20 })
		if limit() != heapCap {
			t.Errorf("after %d polls with live data at the lift point, the limit is %d, want %d", polls.Load(), limit(), heapCap)
		}
		// End this watcher before the next test starts one.
		close(stop)
		waitFor("this test's watcher to end", func() bool { return limit() == math.MaxInt64 })
	})

	t.Run("live data past the lift point: the cap goes", func(t *testing.T) {
		var live atomic.Uint64
		live.Store(capLift / 2)
		capHeap("", live.Load, time.Millisecond)
		if limit() != heapCap {
			t.Fatalf("limit %d, want %d", limit(), heapCap)
		}
		live.Store(capLift + 1)
		waitFor("the limit to be lifted", func() bool { return limit() == math.MaxInt64 })
	})
}
