package ui

import (
	"context"
	"errors"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/vaultclient"
)

// batchMax and batchWait bound a batch: enough events to make a redraw
// worth it, soon enough that the first rows appear at once.
const (
	batchMax  = 2048
	batchWait = 100 * time.Millisecond
)

// crawlState is the walks under way and what the last ones found. The
// first crawl (full) lists the tree and then looks every lease up; a
// refresh (poll) only lists. Refreshes run on their interval from the
// moment the first crawl's counts are in, beside its lookups: at a
// million leases the lookups take minutes, and a growing prefix is what
// an operator opens leasetop to find.
type crawlState struct {
	// gen numbers the walks; it is the last one started. A tick, figures
	// or a probe asked for before it are stale.
	gen  int
	full walkRun
	poll walkRun
	// crawled: a first crawl ended; until then resuming starts one anew.
	crawled bool
	// polling: the refreshes' ticks run (from the first crawl's counts,
	// or its end).
	polling bool

	lastOK     time.Time
	staleSince time.Time
	pollErr    error

	// focus is the prefix the operator looks at, read by the walk before
	// each lookup (from its own goroutines) so that its TTLs come first.
	focus atomic.Value
	// restListed is when the part of the tree this refresh left alone was
	// listed last (the oldest of it); zero when it listed everything.
	restListed time.Time
}

// walkRun is one walk: the first crawl or a refresh.
type walkRun struct {
	gen     int
	ch      <-chan vaultclient.Event
	cancel  context.CancelFunc
	running bool
	started time.Time
	stats   crawl.Stats
	// fresh are the ids a refresh found new, to look up once it ends. A
	// refresh cut short hands them to the next, whose listings no longer
	// name them new.
	fresh []string
}

// stop cancels the walk; what it sent and was not handled yet is dropped.
func (w *walkRun) stop() {
	if w.cancel != nil {
		w.cancel()
	}
	w.gen, w.running = 0, false
}

func (cr *crawlState) run(poll bool) *walkRun {
	if poll {
		return &cr.poll
	}
	return &cr.full
}

// running reports whether any walk is.
func (cr *crawlState) running() bool { return cr.full.running || cr.poll.running }

// counting: the first crawl is still listing, and a refresh would
// measure as growth what is only the first listing arriving.
func (cr *crawlState) counting() bool { return cr.full.running && !cr.full.stats.Counted }

// pollable: a refresh may start now.
func (cr *crawlState) pollable() bool { return !cr.poll.running && !cr.counting() }

// stop ends every walk.
func (cr *crawlState) stop() {
	cr.full.stop()
	cr.poll.stop()
	cr.polling = false
}

// startCrawl begins a walk of the starting prefix. The first one (poll
// false) looks every lease up, and ends every walk under way; a refresh
// (poll) only lists, and then looks up the ids that are new, so an
// unchanged tree costs one LIST per prefix and no lookups. A refresh
// ends the refresh under way, never the first crawl: it runs beside its
// lookups, and waits (nil) while the first crawl is still counting.
func (r *root) startCrawl(poll bool) tea.Cmd {
	c, cr := r.c, r.crawl
	if poll && cr.counting() {
		return nil // the refreshes start with the counts
	}
	if !poll {
		cr.stop()
		cr.poll.fresh = nil // the first crawl looks every lease up
	}
	w := cr.run(poll)
	w.stop()
	ctx, cancel := context.WithCancel(c.ctx)
	cr.gen++
	cr.focus.Store(c.prefix)
	opt := vaultclient.WalkOptions{Concurrency: c.opt.Concurrency, ListOnly: poll,
		Focus: func() string { return cr.focus.Load().(string) }}
	if poll {
		opt.Roots, opt.Skip, cr.restListed = r.relistPlan()
	} else {
		cr.restListed = time.Time{}
	}
	if poll && opt.Roots != nil && len(opt.Roots) == 0 {
		w.ch = nothingToList() // a quiet refresh with nothing due
	} else {
		w.ch = c.be.Walk(ctx, c.opt.Prefix, opt)
	}
	w.gen, w.cancel, w.running, w.started = cr.gen, cancel, true, c.now()
	w.stats = r.newStats(poll)
	return waitBatch(w.gen, poll, w.ch)
}

// newStats counts a walk: errors in words, and churn recorded from a
// refresh's listings.
func (r *root) newStats(poll bool) crawl.Stats {
	c := r.c
	return crawl.Stats{ErrorText: plainError, Poll: poll, Changed: func(prefix string, created, gone int) {
		c.churn.Record(prefix, created, gone, c.now())
		r.hints.saw(prefix, created)
	}}
}

// waitBatch blocks for one event, then takes whatever else is ready up to
// batchMax or batchWait.
func waitBatch(gen int, poll bool, ch <-chan vaultclient.Event) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return walkBatchMsg{gen: gen, poll: poll, done: true}
		}
		events := []vaultclient.Event{ev}
		timeout := time.NewTimer(batchWait)
		defer timeout.Stop()
		for len(events) < batchMax {
			select {
			case ev, ok := <-ch:
				if !ok {
					return walkBatchMsg{gen: gen, poll: poll, events: events, done: true}
				}
				events = append(events, ev)
			case <-timeout.C:
				return walkBatchMsg{gen: gen, poll: poll, events: events}
			}
		}
		return walkBatchMsg{gen: gen, poll: poll, events: events}
	}
}

func (r *root) onWalkBatch(msg walkBatchMsg) tea.Cmd {
	cr := r.crawl
	w := cr.run(msg.poll)
	if msg.gen != w.gen {
		return nil // a superseded walk
	}
	c := r.c
	now := c.now()
	counting := !msg.poll && !w.stats.Counted
	for _, ev := range msg.events {
		fresh := crawl.Apply(c.idx, ev, now, &w.stats)
		if msg.poll {
			w.fresh = append(w.fresh, fresh...)
		}
	}
	var cmds []tea.Cmd
	if counting && w.stats.Counted {
		// The counts are in: from now on the refreshes run, beside the
		// lookups, on their interval.
		if w.stats.Listed > 0 {
			cr.lastOK = now
		}
		cmds = append(cmds, r.startPolling())
		if !msg.done {
			// Lookups follow: read Vault's figures now, so that the
			// first refresh compares them (a crawl that ends here
			// gains nothing; its first refresh reads them as before).
			cmds = append(cmds, r.hints.baseline(r))
		}
	}
	if !msg.done {
		return tea.Batch(append(cmds, waitBatch(msg.gen, msg.poll, w.ch))...)
	}

	w.running = false
	if !msg.poll {
		cr.crawled = true
		// The first crawl's garbage (a million ids queued, the listings'
		// JSON) is gone: hand it back to the system now, not whenever
		// the runtime gets to it, so what stays resident is the index.
		go debug.FreeOSMemory()
	}
	st := &w.stats
	if st.Errors > 0 && st.Listed == 0 {
		// Nothing could be listed: keep the last good data, marked stale.
		if cr.staleSince.IsZero() {
			cr.staleSince = cr.lastOK
		}
		cr.pollErr = st.LastErr
	} else {
		cr.lastOK, cr.staleSince, cr.pollErr = now, time.Time{}, nil
		if st.Errors > 0 {
			cr.pollErr = st.LastErr
		}
	}
	if len(w.fresh) > 0 {
		// New since the first crawl listed, so not in its queue: looked
		// up here, whether or not its lookups still run.
		cmds = append(cmds, r.lookupCmd(w.fresh))
		w.fresh = nil
	}
	if c.owners != nil && st.Errors == 0 {
		// The audit log names every lease ever made; keep only the live
		// ones (and those made since this walk began, which it may not
		// have listed yet), so memory follows Vault's leases, not the log.
		started := w.started
		c.owners.Retain(func(id string) bool {
			if c.idx.Lease(id) != nil {
				return true
			}
			_, made, _ := c.owners.Owner(id)
			return !made.Before(started)
		})
	}
	if msg.poll || !cr.polling {
		// The next refresh, an interval after this one ended (the first
		// crawl's end starts them only if its counts never came).
		cmds = append(cmds, r.startPolling())
	}
	return tea.Batch(cmds...)
}

// startPolling schedules the next refresh, an interval from now, and the
// reads of Vault's figures in between.
func (r *root) startPolling() tea.Cmd {
	c, cr := r.c, r.crawl
	if c.opt.Refresh <= 0 {
		return nil
	}
	cr.polling = true
	gen := cr.gen
	cmds := []tea.Cmd{tea.Tick(c.opt.Refresh, func(time.Time) tea.Msg { return pollMsg{gen: gen} })}
	return tea.Batch(append(cmds, r.hints.probes(gen, c.opt.Refresh)...)...)
}

// lookupCmd looks ids up, a few at a time, and answers with one message.
func (r *root) lookupCmd(ids []string) tea.Cmd {
	ctx, be, conc := r.c.ctx, r.c.be, max(r.c.opt.Concurrency, 1)
	return func() tea.Msg {
		var (
			mu  sync.Mutex
			out lookupsMsg
			wg  sync.WaitGroup
			sem = make(chan struct{}, min(conc, 16))
		)
		for _, id := range ids {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				l, err := be.Lookup(ctx, id)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					out.leases = append(out.leases, l)
				case errors.Is(err, vaultclient.ErrInvalidLease):
					out.vanished = append(out.vanished, id)
				case ctx.Err() == nil:
					out.errs = append(out.errs, err)
				}
			}()
		}
		wg.Wait()
		return out
	}
}

func (r *root) onLookups(msg lookupsMsg) tea.Cmd {
	c := r.c
	now := c.now()
	for _, l := range msg.leases {
		crawl.ApplyLookup(c.idx, l)
	}
	for _, id := range msg.vanished {
		c.idx.MarkGone(id, now)
	}
	if len(msg.errs) > 0 {
		return r.setStatus(lvWarn, "%d lookups failed: %s", len(msg.errs), plainError(msg.errs[0]))
	}
	return nil
}

func (r *root) loadMounts() tea.Cmd {
	ctx, be := r.c.ctx, r.c.be
	return func() tea.Msg {
		ms, err := be.Mounts(ctx)
		return mountsMsg{mounts: ms, err: err}
	}
}

func (r *root) loadSelf() tea.Cmd {
	ctx, be := r.c.ctx, r.c.be
	return func() tea.Msg {
		s, err := be.Self(ctx)
		return selfMsg{self: s, err: err}
	}
}

// capPaths are the paths whose capabilities decide which keys work.
func capPaths(prefix string) []string {
	return []string{
		"sys/leases/lookup/" + prefix,
		"sys/leases/renew",
		"sys/leases/revoke",
		"sys/leases/revoke-prefix/" + prefix,
		"sys/leases/revoke-force/" + prefix,
		"auth/token/revoke-accessor",
	}
}

func (r *root) loadCaps() tea.Cmd {
	ctx, be, paths := r.c.ctx, r.c.be, capPaths(r.c.opt.Prefix)
	return func() tea.Msg {
		caps, err := be.Capabilities(ctx, paths)
		return capsMsg{caps: caps, err: err}
	}
}

// plainError is an error in words for the status bar: the client's errors
// already say what happened and what to do, without the token.
func plainError(err error) string {
	if err == nil {
		return ""
	}
	var e *vaultclient.Error
	if errors.As(err, &e) {
		msg := e.Kind.String()
		if len(e.Messages) > 0 && e.Kind != vaultclient.KindPermissionDenied {
			msg += ": " + e.Messages[0]
		}
		if e.Hint != "" {
			msg += " — " + e.Hint
		}
		return msg
	}
	return err.Error()
}
