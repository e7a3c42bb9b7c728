package vaultclient

import (
	"context"
	"sync"
	"time"
)

// Limiter is an adaptive bound on the requests in flight to Vault, so that
// a crawl spares a struggling server: it grows by one request per round
// trip while answers come back as fast as the quickest seen lately
// (additive increase), and shrinks when they slow down — queueing inside
// Vault — or when Vault answers 429 or 503 (multiplicative decrease), as
// the AIMD and gradient limiters of Netflix's concurrency-limits do. The
// ceiling is --concurrency.
type Limiter struct {
	mu   sync.Mutex
	cond *sync.Cond
	max  int

	limit    float64
	inflight int

	// minRTT is the quickest answer of the current and the previous
	// window: a baseline that follows a server whose speed changes.
	minRTT, prevMin time.Duration
	windowEnd       time.Time
	lastDrop        time.Time
	now             func() time.Time
}

// Limiter tuning: what counts as queueing, how hard to back off, and how
// long a baseline lasts.
const (
	queueFactor = 2                      // an answer slower than 2× the baseline…
	queueSlack  = 5 * time.Millisecond   // …plus this is queueing
	dropOnLoad  = 0.5                    // 429/503: halve
	dropOnQueue = 0.8                    // queueing: a fifth less
	rttWindow   = 10 * time.Second       // the baseline's window
	minLimit    = 1.0                    // never below one request
	dropSpacing = 100 * time.Millisecond // at most one decrease per this, or per round trip
)

// NewLimiter starts at the ceiling: a healthy Vault runs the crawl at full
// speed from the first request.
func NewLimiter(ceiling int) *Limiter {
	l := &Limiter{max: max(ceiling, 1), limit: float64(max(ceiling, 1)), now: time.Now}
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
// trip, and whether Vault said it was overloaded (429, 503).
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
	base := l.minRTT
	if l.prevMin > 0 && (base == 0 || l.prevMin < base) {
		base = l.prevMin
	}
	canDrop := now.Sub(l.lastDrop) >= max(dropSpacing, rtt)
	switch {
	case overloaded:
		if canDrop {
			l.limit, l.lastDrop = max(minLimit, l.limit*dropOnLoad), now
		}
	case base > 0 && rtt > queueFactor*base+queueSlack:
		if canDrop {
			l.limit, l.lastDrop = max(minLimit, l.limit*dropOnQueue), now
		}
	default:
		l.limit = min(float64(l.max), l.limit+1/l.limit)
	}
}

// Limit is the current bound and the ceiling.
func (l *Limiter) Limit() (current, ceiling int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int(l.limit), l.max
}
