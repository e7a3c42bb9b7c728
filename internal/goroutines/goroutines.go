// Package goroutines reads this process's goroutine stacks, so that a
// test can wait until goroutines are parked (asleep on a lock, a channel,
// a timer) instead of sleeping for a span of time and hoping that they
// have got there: on a loaded machine no span is long enough, and a check
// that nothing happened "within 100 ms" passes without the goroutine
// having run at all.
package goroutines

import (
	"runtime"
	"strconv"
	"strings"
)

// G is one goroutine as its stack shows it.
type G struct {
	ID    int
	State string // as the header says: "running", "select", "chan receive", "sync.Cond.Wait"…
	Stack string // the frames, one function and one file:line per frame
}

// All is every goroutine of this process at one moment.
func All() []G {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var gs []G
	for _, block := range strings.Split(string(buf), "\n\n") {
		if g, ok := parse(block); ok {
			gs = append(gs, g)
		}
	}
	return gs
}

// parse reads one goroutine's block: "goroutine 42 [select, 2 minutes]:"
// and its frames.
func parse(block string) (G, bool) {
	head, stack, _ := strings.Cut(block, "\n")
	rest, ok := strings.CutPrefix(head, "goroutine ")
	if !ok {
		return G{}, false
	}
	id, rest, ok := strings.Cut(rest, " [")
	if !ok {
		return G{}, false
	}
	n, err := strconv.Atoi(id)
	if err != nil {
		return G{}, false
	}
	state, _, _ := strings.Cut(rest, "]")
	state, _, _ = strings.Cut(state, ",") // the time parked, if long
	return G{ID: n, State: state, Stack: stack}, true
}

// Self is the calling goroutine's id.
func Self() int {
	var buf [64]byte
	g, _ := parse(string(buf[:runtime.Stack(buf[:], false)]))
	return g.ID
}

// Parked says whether g waits for something another goroutine or a timer
// must give it: a channel, a select, a sleep, a condition variable. A
// goroutine that computes, or is only waiting for a processor, is not.
func (g G) Parked() bool {
	for _, s := range []string{"chan receive", "chan send", "select", "sleep", "sync.Cond.Wait", "IO wait"} {
		if strings.HasPrefix(g.State, s) {
			return true
		}
	}
	return false
}

// In says whether g's stack runs through fn (a function name as the
// stack prints it, e.g. "vaultclient.(*Limiter).Acquire(").
func (g G) In(fn string) bool { return strings.Contains(g.Stack, fn) }

// Count is how many goroutines match ok now.
func Count(ok func(G) bool) int {
	n := 0
	for _, g := range All() {
		if ok(g) {
			n++
		}
	}
	return n
}
