package vaultclient

import (
	"context"
	"errors"
	"slices"
	"strings"
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
	// Focus, if set, names the prefix the operator is looking at; it is
	// asked before each lookup, and lookups under it go before the rest,
	// so moving the selection re-orders what follows at once. Listing
	// still comes first: the counts are worth more than any TTL.
	Focus func() string
	// Skip, if set, leaves a prefix below the walk's root unlisted (and
	// everything under it): a refresh re-lists what the operator looks at
	// often and the rest less often. It runs on the walk's goroutines.
	Skip func(prefix string) bool
	// Roots, if set, are the prefixes (under the walk's prefix) the walk
	// lists first instead of the prefix itself: a refresh lists a quiet
	// prefix without its ancestors, whose LIST costs Vault a pass over
	// their whole subtree in storage.
	Roots []string
	// Order, if set, sorts prefixes into the order they are listed in:
	// the roots, and each listing's children (which otherwise go in the
	// order Vault names them). It runs on the walk's goroutines.
	Order func(prefixes []string)
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
	// EventCounted: the listing is over. Every prefix the walk lists has
	// been listed (or failed), so every EventListed has been sent and the
	// tree's counts are complete; only lookups follow. Sent once, unless
	// the walk is cancelled first.
	EventCounted
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
// ctx is cancelled. No lookup starts while a LIST runs, so the tree (and
// its counts) fills in at LIST speed before any TTL; requests in flight
// never exceed the concurrency. A failed branch is reported as an
// EventError and the rest of the walk goes on; walking that branch again
// resumes it.
func (c *Client) Walk(ctx context.Context, prefix string, opt WalkOptions) <-chan Event {
	n := opt.Concurrency
	if n <= 0 {
		n = c.concurrency
	}
	out := make(chan Event, 4*n)
	w := &walker{c: c, ctx: ctx, out: out, listOnly: opt.ListOnly, focus: opt.Focus, skip: opt.Skip, sortLists: opt.Order, queues: map[string]*idQueue{}}
	w.cond = sync.NewCond(&w.mu)
	w.lists = append(w.lists, prefix)
	if len(opt.Roots) > 0 {
		w.lists = slices.Clone(opt.Roots)
		if w.sortLists != nil {
			w.sortLists(w.lists)
			slices.Reverse(w.lists) // a stack: the first is listed first
		}
	}
	w.pending = len(w.lists)

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

	focus func() string
	skip  func(string) bool
	// sortLists is WalkOptions.Order.
	sortLists func([]string)

	mu      sync.Mutex
	cond    *sync.Cond
	lists   []string // prefixes to list (served first)
	listing int      // LISTs in flight: no lookup starts while any is
	pending int      // queued + in flight; the walk ends at zero
	counted bool     // EventCounted is sent or on its way
	// Lease ids to look up, queued per prefix; order is the prefixes
	// with ids queued, oldest first. current is the queue being served.
	queues  map[string]*idQueue
	order   []string
	current string
	queued  int
}

// idQueue is one prefix's lease ids waiting for a lookup: the listings'
// own id slices, not a copy (at a million leases a copy was 14 MB of the
// crawl's heap, and more while append grew it). They are only read: the
// Listed event that carried them shares them with the consumer.
type idQueue struct {
	chunks [][]string
	next   int // in chunks[0]
}

func (q *idQueue) pop() string {
	id := q.chunks[0][q.next]
	if q.next++; q.next == len(q.chunks[0]) {
		q.chunks[0] = nil
		q.chunks, q.next = q.chunks[1:], 0
	}
	return id
}

func (q *idQueue) empty() bool { return q == nil || len(q.chunks) == 0 }

// next blocks for a task; ok is false when the walk is over. A LIST
// comes with its prefix; a lookup comes without its id (task ""), which
// the worker takes (takeLookup) once a request may go out.
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
			w.listing++
			return task, true, true
		}
		if w.lookupReady() {
			return "", false, true
		}
		w.cond.Wait()
	}
}

// lookupReady: ids are queued and no LIST is in flight or waiting.
// Counts at LIST speed: while any LIST is in flight it may name more
// prefixes to list, and a lookup now would take Vault's time from the
// LISTs the tree's counts wait for (at a million leases, lookups started
// by idle workers made the counts half as slow again as a LIST-only walk).
// So lookups wait for the listing.
func (w *walker) lookupReady() bool {
	return w.queued > 0 && w.listing == 0 && len(w.lists) == 0
}

// takeLookup picks the id to look up now, if one is still ready: the
// worker calls it holding room under the client's limit, so the pick
// follows the focus at the moment the request can go. Picked before
// waiting for room, an id waited with its worker: at a limit of 1 the
// sixteen workers each held one, of whatever prefix was the focus when
// they took it, and the last of them went seconds after the new focus's.
func (w *walker) takeLookup() (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx.Err() != nil || !w.lookupReady() {
		return "", false
	}
	return w.nextLookup(), true
}

// nextLookup takes a lease id: from the focused prefix's subtree when it
// has ids queued, else from the oldest queue. It keeps serving one queue
// while the focus stays, so a pick costs O(1) most of the time and a scan
// of the queued prefixes when the focus moves or a queue runs out.
func (w *walker) nextLookup() string {
	focus := ""
	if w.focus != nil {
		focus = w.focus()
	}
	q := w.queues[w.current]
	if q.empty() || !strings.HasPrefix(w.current, focus) {
		w.current = ""
		w.order = slices.DeleteFunc(w.order, func(p string) bool { return w.queues[p].empty() })
		for _, p := range w.order {
			if strings.HasPrefix(p, focus) {
				w.current = p
				break
			}
		}
		if w.current == "" {
			w.current = w.order[0]
		}
		q = w.queues[w.current]
	}
	id := q.pop()
	if q.empty() {
		delete(w.queues, w.current)
	}
	w.queued--
	return id
}

// done ends a task: a LIST (wasList) with the prefixes it found to list
// and the ids under prefix to look up, or a lookup. The LIST that ends
// the listing sends EventCounted.
func (w *walker) done(wasList bool, lists []string, prefix string, lookups []string) {
	counted := false
	defer func() {
		if counted {
			w.emit(Event{Kind: EventCounted})
		}
	}()
	w.mu.Lock()
	if wasList {
		w.listing--
	}
	// lists is a stack (depth first: a branch is done before the next is
	// begun); pushed in reverse, a listing's children are listed in the
	// order Vault names them, as a plain loop over the keys would. Pushed
	// as named, the last-named went first, and at a million leases the
	// walk ended on its first prefix's LIST, the largest of the bench's.
	for i := len(lists) - 1; i >= 0; i-- {
		w.lists = append(w.lists, lists[i])
	}
	if len(lookups) > 0 {
		q := w.queues[prefix]
		if q == nil {
			q = &idQueue{}
			w.queues[prefix] = q
			w.order = append(w.order, prefix)
		}
		q.chunks = append(q.chunks, lookups)
		w.queued += len(lookups)
	}
	w.pending += len(lists) + len(lookups) - 1
	// Every LIST ends here after sending its EventListed, so once none is
	// in flight or queued, every listing has been sent.
	if wasList && !w.counted && w.listing == 0 && len(w.lists) == 0 {
		w.counted, counted = true, true
	}
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
			continue
		}
		release, err := w.c.room(w.ctx)
		if err != nil {
			continue // cancelled: next says the walk is over
		}
		id, ok := w.takeLookup()
		if !ok {
			release() // another worker took the last, or a LIST came first
			continue
		}
		w.lookup(id, release)
	}
}

func (w *walker) list(prefix string) {
	l, err := w.c.List(w.ctx, prefix)
	if err != nil {
		w.emit(Event{Kind: EventError, Prefix: prefix, Err: err})
		w.done(true, nil, "", nil)
		return
	}
	// Emit before queueing the children, so a consumer always sees a
	// prefix's listing before anything under it.
	w.emit(Event{Kind: EventListed, Listing: l, Prefix: l.Prefix})
	if w.skip != nil {
		l.Prefixes = slices.DeleteFunc(slices.Clone(l.Prefixes), w.skip)
	}
	if w.sortLists != nil {
		l.Prefixes = slices.Clone(l.Prefixes) // the event shares the listing's
		w.sortLists(l.Prefixes)
	}
	if w.listOnly {
		w.done(true, l.Prefixes, "", nil)
		return
	}
	w.done(true, l.Prefixes, l.Prefix, l.LeaseIDs)
}

// lookup looks id up in the room the worker holds (released by the
// request's first attempt).
func (w *walker) lookup(id string, room func()) {
	lease, err := w.c.lookup(w.ctx, id, room)
	switch {
	case err == nil:
		w.emit(Event{Kind: EventLease, Lease: lease, Prefix: leaseid.Prefix(id), LeaseID: id})
	case errors.Is(err, ErrInvalidLease):
		w.emit(Event{Kind: EventVanished, Prefix: leaseid.Prefix(id), LeaseID: id})
	default:
		w.emit(Event{Kind: EventError, Prefix: leaseid.Prefix(id), LeaseID: id, Err: err})
	}
	w.done(false, nil, "", nil)
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
