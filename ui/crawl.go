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

// crawlState is the walk under way and what the last ones found.
type crawlState struct {
	gen     int
	ch      <-chan vaultclient.Event
	cancel  context.CancelFunc
	running bool
	poll    bool
	started time.Time
	stats   crawl.Stats
	fresh   []string // ids a list-only refresh found new, to look up

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

// startCrawl begins a walk of the starting prefix. The first one looks
// every lease up; a refresh (poll) only lists, and then looks up the ids
// that are new, so an unchanged tree costs one LIST per prefix and no
// lookups.
func (r *root) startCrawl(poll bool) tea.Cmd {
	c, cr := r.c, r.crawl
	if cr.cancel != nil {
		cr.cancel()
	}
	ctx, cancel := context.WithCancel(c.ctx)
	cr.gen++
	cr.focus.Store(c.prefix)
	opt := vaultclient.WalkOptions{Concurrency: c.opt.Concurrency, ListOnly: poll,
		Focus: func() string { return cr.focus.Load().(string) }}
	cr.restListed = time.Time{}
	if poll {
		opt.Roots, opt.Skip, cr.restListed = r.relistPlan()
	}
	if poll && opt.Roots != nil && len(opt.Roots) == 0 {
		cr.ch = nothingToList() // a quiet refresh with nothing due
	} else {
		cr.ch = c.be.Walk(ctx, c.opt.Prefix, opt)
	}
	cr.cancel, cr.running, cr.poll, cr.started = cancel, true, poll, c.now()
	cr.stats, cr.fresh = r.newStats(poll), nil
	return waitBatch(cr.gen, poll, cr.ch)
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
	if msg.gen != cr.gen {
		return nil // a superseded walk
	}
	c := r.c
	now := c.now()
	for _, ev := range msg.events {
		fresh := crawl.Apply(c.idx, ev, now, &cr.stats)
		if msg.poll {
			cr.fresh = append(cr.fresh, fresh...)
		}
	}
	if !msg.done {
		return waitBatch(msg.gen, msg.poll, cr.ch)
	}

	cr.running = false
	if !msg.poll {
		// The first crawl's garbage (a million ids queued, the listings'
		// JSON) is gone: hand it back to the system now, not whenever
		// the runtime gets to it, so what stays resident is the index.
		go debug.FreeOSMemory()
	}
	var cmds []tea.Cmd
	if cr.stats.Errors > 0 && cr.stats.Listed == 0 {
		// Nothing could be listed: keep the last good data, marked stale.
		if cr.staleSince.IsZero() {
			cr.staleSince = cr.lastOK
		}
		cr.pollErr = cr.stats.LastErr
	} else {
		cr.lastOK, cr.staleSince, cr.pollErr = now, time.Time{}, nil
		if cr.stats.Errors > 0 {
			cr.pollErr = cr.stats.LastErr
		}
	}
	if len(cr.fresh) > 0 {
		cmds = append(cmds, r.lookupCmd(cr.fresh))
		cr.fresh = nil
	}
	if c.owners != nil && cr.stats.Errors == 0 {
		// The audit log names every lease ever made; keep only the live
		// ones (and those made since this walk began, which it may not
		// have listed yet), so memory follows Vault's leases, not the log.
		started := cr.started
		c.owners.Retain(func(id string) bool {
			if c.idx.Lease(id) != nil {
				return true
			}
			_, made, _ := c.owners.Owner(id)
			return !made.Before(started)
		})
	}
	if c.opt.Refresh > 0 {
		gen := cr.gen
		cmds = append(cmds, tea.Tick(c.opt.Refresh, func(time.Time) tea.Msg { return pollMsg{gen: gen} }))
		cmds = append(cmds, r.hints.probes(gen, c.opt.Refresh)...)
	}
	return tea.Batch(cmds...)
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
		c.idx.ApplyLease(crawl.Info(l))
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
