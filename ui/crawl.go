package ui

import (
	"context"
	"errors"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

// batchMax and batchWait bound a batch: enough events to make a redraw
// worth it, soon enough that the first rows appear at once.
const (
	batchMax  = 2048
	batchWait = 50 * time.Millisecond
)

// startCrawl begins a walk of the starting prefix. The first one looks
// every lease up; a refresh (poll) only lists, and then looks up the ids
// that are new, so an unchanged tree costs one LIST per prefix and no
// lookups.
func (m *Model) startCrawl(poll bool) tea.Cmd {
	if m.crawl.cancel != nil {
		m.crawl.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	gen := m.crawl.gen + 1
	ch := m.be.Walk(ctx, m.opt.Prefix, vaultclient.WalkOptions{Concurrency: m.opt.Concurrency, ListOnly: poll})
	*m.crawl = crawlState{gen: gen, ch: ch, cancel: cancel, running: true, poll: poll, started: m.now(),
		firstRow: m.crawl.firstRow}
	return waitBatch(gen, poll, ch)
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

func (m Model) onWalkBatch(msg walkBatchMsg) (tea.Model, tea.Cmd) {
	if msg.gen != m.crawl.gen {
		return m, nil // a superseded walk
	}
	c := m.crawl
	now := m.now()
	before := m.idx.Version()
	for _, ev := range msg.events {
		switch ev.Kind {
		case vaultclient.EventListed:
			c.listed++
			fresh, _ := m.idx.ApplyListing(ev.Listing.Prefix, ev.Listing.Prefixes, ev.Listing.LeaseIDs, now)
			if msg.poll {
				c.fresh = append(c.fresh, fresh...)
			}
		case vaultclient.EventLease:
			c.leases++
			if c.firstRow == 0 {
				c.firstRow = now.Sub(c.started)
			}
			m.idx.ApplyLease(leaseInfo(ev.Lease))
		case vaultclient.EventVanished:
			m.idx.MarkGone(ev.LeaseID, now)
		case vaultclient.EventError:
			c.errs++
			c.lastErr = ev.Err
			if ev.LeaseID == "" {
				m.idx.SetPrefixError(ev.Prefix, plainError(ev.Err))
			}
		}
	}
	if m.idx.Version() != before {
		m.rowsDirty = true // an unchanged refresh sorts nothing
	}
	if !msg.done {
		return m, waitBatch(msg.gen, msg.poll, c.ch)
	}

	c.running = false
	var cmds []tea.Cmd
	if c.errs > 0 && c.listed == 0 {
		// Nothing could be listed: keep the last good data, marked stale.
		if m.staleSince.IsZero() {
			m.staleSince = m.lastOK
		}
		m.pollErr = c.lastErr
	} else {
		m.lastOK, m.staleSince, m.pollErr = now, time.Time{}, nil
		if c.errs > 0 {
			m.pollErr = c.lastErr
		}
	}
	if len(c.fresh) > 0 {
		cmds = append(cmds, m.lookupCmd(c.fresh))
		c.fresh = nil
	}
	if m.opt.Refresh > 0 {
		gen := c.gen
		cmds = append(cmds, tea.Tick(m.opt.Refresh, func(time.Time) tea.Msg { return pollMsg{gen: gen} }))
	}
	return m, tea.Batch(cmds...)
}

// lookupCmd looks ids up, a few at a time, and answers with one message.
func (m Model) lookupCmd(ids []string) tea.Cmd {
	be, conc := m.be, max(m.opt.Concurrency, 1)
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
				l, err := be.Lookup(context.Background(), id)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					out.leases = append(out.leases, l)
				case errors.Is(err, vaultclient.ErrInvalidLease):
					out.vanished = append(out.vanished, id)
				default:
					out.errs = append(out.errs, err)
				}
			}()
		}
		wg.Wait()
		return out
	}
}

func (m Model) onLookups(msg lookupsMsg) (tea.Model, tea.Cmd) {
	now := m.now()
	for _, l := range msg.leases {
		m.idx.ApplyLease(leaseInfo(l))
	}
	for _, id := range msg.vanished {
		m.idx.MarkGone(id, now)
	}
	m.rowsDirty = true
	if len(msg.errs) > 0 {
		return m, m.setStatus(lvWarn, "%d lookups failed: %s", len(msg.errs), plainError(msg.errs[0]))
	}
	return m, nil
}

func leaseInfo(l vaultclient.Lease) model.LeaseInfo {
	return model.LeaseInfo{ID: l.ID, IssueTime: l.IssueTime, ExpireTime: l.ExpireTime,
		LastRenewal: l.LastRenewal, Renewable: l.Renewable, TTL: l.TTL}
}

func (m Model) loadMounts() tea.Cmd {
	be := m.be
	return func() tea.Msg {
		ms, err := be.Mounts(context.Background())
		return mountsMsg{mounts: ms, err: err}
	}
}

func (m Model) loadSelf() tea.Cmd {
	be := m.be
	return func() tea.Msg {
		s, err := be.Self(context.Background())
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
	}
}

func (m Model) loadCaps() tea.Cmd {
	be, paths := m.be, capPaths(m.opt.Prefix)
	return func() tea.Msg {
		caps, err := be.Capabilities(context.Background(), paths)
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
