package vaultclient

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Limiter is an adaptive bound on the requests in flight to Vault, so that
// a crawl spares a struggling server: it judges the answers of every
// 100 ms or so together, grows by one request when their median round
// trip is close to the quickest seen lately (additive increase), and
// shrinks by a fifth when it is not — queueing inside Vault — or by half
// when Vault says it is overloaded (multiplicative decrease), as the AIMD
// and gradient limiters of Netflix's concurrency-limits do. The ceiling is
// --concurrency.
//
// Judging a sample, not each answer, is what makes it spare Vault: a limit
// that grew by one per quick answer climbed back within milliseconds of
// each slow one, so it sat at the ceiling and spared no other client.
//
// Judging a sample by its median, over more answers than twice the limit,
// is what tells leasetop's own queue from a pause in Vault. A pause (a
// garbage collection of a heap of gigabytes, a revocation holding a lock
// the lookups wait for: several a second in a churn storm at a million
// leases) delays the answers in flight when it falls, at most the limit's
// worth, since no request goes out while all of them wait; a lower limit
// does not shorten it, it only leaves Vault idle after it. A queue that
// the crawl makes delays every answer. So a pause moves the sample's mean,
// not its median: a limit judged by the mean sank under churn, where Vault
// pauses several times a second, and the crawl with it.
//
// The slack, not the factor, sets the threshold in practice: a lookup that
// meets no queue comes back in well under a millisecond even at a million
// leases, so "twice the quickest" is tiny and the slack is the queueing
// the crawl may add to every other client's answer. A larger slack crawls
// a healthy Vault faster and costs other clients more; it is chosen so
// that bench figures 13 (the crawl's rate) and 16 (another client's p99)
// both meet their targets. The measurements are in bench/RESULTS.md.
type Limiter struct {
	mu   sync.Mutex
	cond *sync.Cond
	max  int

	limit    float64
	inflight int
	// overloads counts the answers that said Vault was overloaded, so a
	// caller can tell a limit lowered by overload from one lowered by
	// latency.
	overloads int
	// byOverload: the limit's last fall came from an overload, not from
	// slow answers.
	byOverload bool

	// minRTT is the quickest answer of the current and the previous
	// window: a baseline that follows a server whose speed changes.
	minRTT, prevMin time.Duration
	windowEnd       time.Time
	lastDrop        time.Time
	// the current sample's round trips, judged together once it spans
	// sampleSpan and holds more than twice the limit's answers, or at
	// sampleMax
	rtts       []time.Duration
	sampleEnd  time.Time
	sampleStop time.Time
	now        func() time.Time
	// ownBusy is the share of its processors this process kept busy over
	// the sample just ended (see ownBusy); -1 when unknown.
	ownBusy func() float64
}

// Limiter tuning: what counts as queueing, how hard to back off, and how
// long a baseline lasts.
const (
	queueFactor = 2.0                     // a sample's median slower than twice the baseline…
	queueSlack  = 6500 * time.Microsecond // …plus this is queueing
	dropOnLoad  = 0.5                     // overloaded (429, 503, ...): halve
	dropOnQueue = 0.8                     // queueing: a fifth less
	rttWindow   = 10 * time.Second        // the baseline's window
	minLimit    = 1.0                     // never below one request
	dropSpacing = 100 * time.Millisecond  // overloaded: at most one halving per this, or per round trip
	sampleSpan  = 100 * time.Millisecond  // answers judged together…
	sampleMax   = time.Second             // …or fewer than twice the limit's, at most this long
	ownBusyFull = 0.9                     // leasetop's processors this busy: a slow sample is its own
)

// NewLimiter starts at the ceiling: a healthy Vault runs the crawl at full
// speed from the first request.
func NewLimiter(ceiling int) *Limiter {
	l := &Limiter{max: max(ceiling, 1), limit: float64(max(ceiling, 1)), now: time.Now, ownBusy: newOwnBusy().share}
	l.cond = sync.NewCond(&l.mu)
	return l
}

// Acquire waits for room under the limit.
func (l *Limiter) Acquire(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		l.mu.Lock()
		l.cond.Broadcast()
		l.mu.Unlock()
	})
	defer stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.inflight >= int(l.limit) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		l.cond.Wait()
	}
	l.inflight++
	return nil
}

// Release returns a request's room and learns from how it went: its round
// trip, and whether Vault said it was overloaded (429, 502-504, no
// answer at all; never a 400, 403 or 404: see overloaded). A zero rtt is
// a request whose round trip says nothing of queueing (a LIST, which takes
// as long as its keys): only its overload counts.
func (l *Limiter) Release(rtt time.Duration, overloaded bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight--
	defer l.cond.Broadcast()
	now := l.now()
	if now.After(l.windowEnd) {
		l.prevMin, l.minRTT, l.windowEnd = l.minRTT, 0, now.Add(rttWindow)
	}
	if !overloaded && rtt > 0 && (l.minRTT == 0 || rtt < l.minRTT) {
		l.minRTT = rtt
	}
	if overloaded {
		l.overloads++
		if now.Sub(l.lastDrop) >= max(dropSpacing, rtt) {
			l.limit, l.lastDrop, l.byOverload = max(minLimit, l.limit*dropOnLoad), now, true
		}
		return
	}
	if rtt <= 0 {
		return
	}
	// Latency is judged a sample at a time, by its median (see Limiter):
	// a sample is the answers of sampleSpan from its first one, or more
	// while they are no more than twice the limit (a pause's worth), up to
	// sampleMax; it is judged when the next answer comes after it.
	if n := len(l.rtts); n > 0 && !now.Before(l.sampleEnd) && (n > 2*int(l.limit) || !now.Before(l.sampleStop)) {
		l.judge()
	}
	if len(l.rtts) == 0 {
		l.sampleEnd, l.sampleStop = now.Add(sampleSpan), now.Add(sampleMax)
	}
	l.rtts = append(l.rtts, rtt)
}

// judge moves the limit by the median of the sample that just ended.
func (l *Limiter) judge() {
	slices.Sort(l.rtts)
	median := l.rtts[len(l.rtts)/2]
	l.rtts = l.rtts[:0]
	base := l.minRTT
	if l.prevMin > 0 && (base == 0 || l.prevMin < base) {
		base = l.prevMin
	}
	busy := l.ownBusy() // read every sample, to cover this one alone
	if base > 0 && median > time.Duration(queueFactor*float64(base))+queueSlack {
		// With leasetop's own processors busy, the round trips were slow
		// on its side (see ownBusy): the sample says nothing of Vault's
		// queueing, and the limit stays.
		if busy >= ownBusyFull {
			return
		}
		l.limit, l.byOverload = max(minLimit, l.limit*dropOnQueue), false
		return
	}
	l.limit = min(float64(l.max), l.limit+1)
}

// Overloads is how many answers so far said Vault was overloaded (429,
// 502-504, no answer): each may have halved the limit.
func (l *Limiter) Overloads() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.overloads
}

// ByOverload reports whether the limit's last fall came from Vault saying
// it was overloaded rather than from slow answers.
func (l *Limiter) ByOverload() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byOverload
}

// Limit is the current bound and the ceiling.
func (l *Limiter) Limit() (current, ceiling int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int(l.limit), l.max
}
