package vaultclient

import (
	"context"
	"errors"
	"sync"

	"github.com/leasetop/leasetop/leaseid"
)

// WalkOptions tunes a crawl.
type WalkOptions struct {
	// Concurrency bounds requests in flight; 0 takes the client's.
	Concurrency int
	// ListOnly skips the lookups: events carry ids, not leases. Counting
	// 100,000 leases this way costs a handful of LISTs.
	ListOnly bool
}

// EventKind says what a walk Event carries.
type EventKind int

const (
	// EventListed: one prefix was listed (Listing). It comes before any
	// EventLease for the leases it names.
	EventListed EventKind = iota
	// EventLease: one lease was looked up (Lease).
	EventLease
	// EventVanished: a listed lease was gone by the time it was looked up
	// (LeaseID): revoked or expired in between.
	EventVanished
	// EventError: listing Prefix, or looking up LeaseID, failed (Err). The
	// walk goes on with every other branch.
	EventError
)

// Event is one result of a walk.
type Event struct {
	Kind    EventKind
	Listing Listing
	Lease   Lease
	Prefix  string
	LeaseID string
	Err     error
}

// Walk crawls everything under prefix and streams what it finds, as it
// finds it, on the returned channel, which is closed when the walk ends or
// ctx is cancelled. Lists run before lookups so the tree (and its counts)
// fills in early; requests in flight never exceed the concurrency. A failed
// branch is reported as an EventError and the rest of the walk goes on;
// walking that branch again resumes it.
func (c *Client) Walk(ctx context.Context, prefix string, opt WalkOptions) <-chan Event {
	n := opt.Concurrency
	if n <= 0 {
		n = c.concurrency
	}
	out := make(chan Event, 4*n)
	w := &walker{c: c, ctx: ctx, out: out, listOnly: opt.ListOnly}
	w.cond = sync.NewCond(&w.mu)
	w.lists = append(w.lists, prefix)
	w.pending = 1

	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.work()
		}()
	}
	// Wake idle workers when the caller cancels, so they can return.
	stop := context.AfterFunc(ctx, func() {
		w.mu.Lock()
		w.cond.Broadcast()
		w.mu.Unlock()
	})
	go func() {
		wg.Wait()
		stop()
		close(out)
	}()
	return out
}

type walker struct {
	c        *Client
	ctx      context.Context
	out      chan<- Event
	listOnly bool

	mu      sync.Mutex
	cond    *sync.Cond
	lists   []string // prefixes to list (served first)
	lookups []string // lease ids to look up
	pending int      // queued + in flight; the walk ends at zero
}

// next blocks for a task; ok is false when the walk is over.
func (w *walker) next() (task string, isList, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		if w.ctx.Err() != nil || w.pending == 0 {
			return "", false, false
		}
		if k := len(w.lists); k > 0 {
			task = w.lists[k-1]
			w.lists = w.lists[:k-1]
			return task, true, true
		}
		if len(w.lookups) > 0 {
			task = w.lookups[0]
			w.lookups[0] = ""
			w.lookups = w.lookups[1:]
			return task, false, true
		}
		w.cond.Wait()
	}
}

func (w *walker) done(lists, lookups []string) {
	w.mu.Lock()
	w.lists = append(w.lists, lists...)
	w.lookups = append(w.lookups, lookups...)
	w.pending += len(lists) + len(lookups) - 1
	w.cond.Broadcast()
	w.mu.Unlock()
}

func (w *walker) work() {
	for {
		task, isList, ok := w.next()
		if !ok {
			return
		}
		if isList {
			w.list(task)
		} else {
			w.lookup(task)
		}
	}
}

func (w *walker) list(prefix string) {
	l, err := w.c.List(w.ctx, prefix)
	if err != nil {
		w.emit(Event{Kind: EventError, Prefix: prefix, Err: err})
		w.done(nil, nil)
		return
	}
	// Emit before queueing the children, so a consumer always sees a
	// prefix's listing before anything under it.
	w.emit(Event{Kind: EventListed, Listing: l, Prefix: l.Prefix})
	if w.listOnly {
		w.done(l.Prefixes, nil)
		return
	}
	w.done(l.Prefixes, l.LeaseIDs)
}

func (w *walker) lookup(id string) {
	lease, err := w.c.Lookup(w.ctx, id)
	switch {
	case err == nil:
		w.emit(Event{Kind: EventLease, Lease: lease, Prefix: leaseid.Prefix(id), LeaseID: id})
	case errors.Is(err, ErrInvalidLease):
		w.emit(Event{Kind: EventVanished, Prefix: leaseid.Prefix(id), LeaseID: id})
	default:
		w.emit(Event{Kind: EventError, Prefix: leaseid.Prefix(id), LeaseID: id, Err: err})
	}
	w.done(nil, nil)
}

func (w *walker) emit(e Event) {
	if w.ctx.Err() != nil {
		return
	}
	select {
	case w.out <- e:
	case <-w.ctx.Done():
	}
}
