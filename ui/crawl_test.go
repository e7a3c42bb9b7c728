package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/vaultclient"
)

// walkLog is a backend whose walks never end by themselves: it keeps each
// walk's context and options, so a test sees which walk a refresh
// cancelled and which it left running.
type walkLog struct {
	recorder
	mu    sync.Mutex
	ctxs  []context.Context
	opts  []vaultclient.WalkOptions
	chans []chan vaultclient.Event
}

func (w *walkLog) Walk(ctx context.Context, prefix string, opt vaultclient.WalkOptions) <-chan vaultclient.Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := make(chan vaultclient.Event)
	w.ctxs, w.opts, w.chans = append(w.ctxs, ctx), append(w.opts, opt), append(w.chans, ch)
	return ch
}

func (w *walkLog) walks() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.ctxs)
}

// A refresh waits for the first crawl's counts, then runs beside its
// lookups: it neither cancels the first crawl nor loses what it sends
// afterwards, its listing names the growth while the status bar still
// says crawling, and a lease it found gone stays gone when the first
// crawl's lookup of it (sent before) answers late.
func TestRefreshRunsBesideTheFirstCrawlsLookups(t *testing.T) {
	be := &walkLog{}
	m := New(be, Options{Refresh: time.Minute, Now: func() time.Time { return t0 }})
	m = send(m, tea.WindowSizeMsg{Width: 140, Height: 24})
	m.startCrawl(false)
	full := m.crawl.full.gen
	listed := func(prefix string, prefixes, ids []string) vaultclient.Event {
		return vaultclient.Event{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: prefix, Prefixes: prefixes, LeaseIDs: ids}}
	}
	poll := func() {
		t.Helper()
		m = send(m, pollMsg{gen: m.crawl.gen})
		m = send(m, hintsMsg{gen: m.crawl.gen})
	}
	var quiet []string
	for i := range 20 {
		quiet = append(quiet, fmt.Sprintf("db/q%02d", i))
	}
	m = send(m, walkBatchMsg{gen: full, events: []vaultclient.Event{
		listed("", []string{"db/", "boom/"}, nil),
		listed("db/", nil, quiet),
	}})

	// Still counting: a refresh now would take the rest of the first
	// listing for growth.
	poll()
	if n := be.walks(); n != 1 {
		t.Fatalf("a refresh started while the first crawl was still listing (%d walks)", n)
	}

	m = send(m, walkBatchMsg{gen: full, events: []vaultclient.Event{
		listed("boom/", nil, []string{"boom/a"}),
		{Kind: vaultclient.EventCounted},
		{Kind: vaultclient.EventLease, Lease: lease("db/q00", time.Hour, true)},
	}})
	poll()
	if n := be.walks(); n != 2 || !be.opts[1].ListOnly {
		t.Fatalf("once the counts are in a list-only refresh starts: %d walks, %+v", n, be.opts)
	}
	if be.ctxs[0].Err() != nil || !m.crawl.full.running {
		t.Fatal("the refresh cancelled the first crawl")
	}

	// The refresh finds boom/ grown by 30 and db/q01 gone.
	grown := []string{"boom/a"}
	for i := range 30 {
		grown = append(grown, fmt.Sprintf("boom/n%02d", i))
	}
	m = send(m, walkBatchMsg{gen: m.crawl.poll.gen, poll: true, done: true, events: []vaultclient.Event{
		listed("", []string{"db/", "boom/"}, nil),
		listed("boom/", nil, grown),
		listed("db/", nil, append([]string{quiet[0]}, quiet[2:]...)),
	}})
	if got := text(m); !strings.Contains(got, "crawling:") || !strings.Contains(got, "fastest growth: boom/") {
		t.Errorf("the growth is not named beside the crawl:\n%s", got)
	}
	if l := m.c.idx.Lease("boom/n07"); l == nil || !l.Pending() {
		t.Errorf("a new lease the refresh found is not in the index, pending: %v", l)
	}

	// The first crawl goes on: its lookups still land, but not the late
	// one of the lease the refresh found gone.
	m = send(m, walkBatchMsg{gen: full, events: []vaultclient.Event{
		{Kind: vaultclient.EventLease, Lease: lease("db/q01", time.Hour, true)},
		{Kind: vaultclient.EventLease, Lease: lease("db/q02", time.Hour, true)},
	}})
	if l := m.c.idx.Lease("db/q02"); l == nil || l.Pending() {
		t.Errorf("the first crawl's lookup after the refresh was lost: %v", l)
	}
	if l := m.c.idx.Lease("db/q01"); l == nil || !l.Gone() {
		t.Errorf("a late lookup brought back a lease the refresh found gone: %v", l)
	}
	if want := 19 + 31; m.c.idx.Len() != want {
		t.Errorf("the index holds %d leases, want %d", m.c.idx.Len(), want)
	}

	// Its end starts no second chain of refreshes: the next tick is the
	// refresh's.
	gen := m.crawl.gen
	m = send(m, walkBatchMsg{gen: full, done: true})
	if m.crawl.full.running || !m.crawl.crawled || m.crawl.gen != gen {
		t.Errorf("after the first crawl's end: running %v, crawled %v, gen %d (was %d)", m.crawl.full.running, m.crawl.crawled, m.crawl.gen, gen)
	}
	poll()
	if n := be.walks(); n != 3 {
		t.Errorf("the refreshes go on after the first crawl: %d walks", n)
	}
}

// A refresh cut short by another (a revocation's, say) hands on the ids
// it found new: the next one's listings no longer name them new, and
// they would stay pending, never looked up.
func TestARefreshCutShortHandsItsNewLeasesOn(t *testing.T) {
	be := &walkLog{}
	m := New(be, Options{Refresh: time.Minute, Now: func() time.Time { return t0 }})
	m = refresh(m, 1, false, estate())
	m.startCrawl(true)
	m = send(m, walkBatchMsg{gen: m.crawl.poll.gen, poll: true, events: []vaultclient.Event{
		{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "secret/aws/", LeaseIDs: []string{"secret/aws/k1", "secret/aws/k2", "secret/aws/k3"}}},
	}})
	m.startCrawl(true)
	if be.ctxs[0].Err() == nil {
		t.Fatal("the first refresh was not cut short")
	}
	if got := m.crawl.poll.fresh; len(got) != 1 || got[0] != "secret/aws/k3" {
		t.Errorf("the next refresh is to look up %v, want the new secret/aws/k3", got)
	}
}

// run runs cmd and the commands of every batch it makes, each on its own
// goroutine, and sends what they answer (untagged) on the channel.
func run(cmd tea.Cmd, out chan<- tea.Msg) {
	if cmd == nil {
		return
	}
	go func() {
		switch msg := cmd().(type) {
		case tea.BatchMsg:
			for _, c := range msg {
				run(c, out)
			}
		case rootMsg:
			out <- msg.msg
		case nil:
		default:
			out <- msg
		}
	}()
}

// Vault's figures are read once the counts are in, so the first refresh
// already compares them: a mount that made leases no listing found is
// re-listed whole by the first refresh, not the second.
func TestTheFirstRefreshComparesVaultsFiguresWithTheCounts(t *testing.T) {
	be := &walkLog{}
	be.creations = map[string]float64{"secret/": 10}
	t.Cleanup(func() {
		for _, ch := range be.chans {
			close(ch)
		}
	})
	m := New(be, Options{Refresh: time.Minute, Now: func() time.Time { return t0 }})
	m.startCrawl(false)
	next, cmd := m.Update(walkBatchMsg{gen: m.crawl.full.gen, events: []vaultclient.Event{
		{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "secret/", LeaseIDs: []string{"secret/a"}}},
		{Kind: vaultclient.EventCounted},
	}})
	m = next.(Model)
	msgs := make(chan tea.Msg, 16)
	run(cmd, msgs)
	deadline := time.After(time.Minute)
	for m.hints.last == nil {
		select {
		case msg := <-msgs:
			if p, ok := msg.(probedMsg); ok {
				m = send(m, p)
			}
		case <-deadline:
			t.Fatal("no figures were read when the counts came in")
		}
	}

	m = send(m, pollMsg{gen: m.crawl.gen})
	m = send(m, hintsMsg{gen: m.crawl.gen, creations: map[string]float64{"secret/": 510}})
	if m.crawl.poll.gen == 0 || len(m.hints.hot) != 1 || m.hints.hot[0] != "secret/" {
		t.Errorf("the first refresh (started: %v) re-lists %v whole, want secret/", m.crawl.poll.gen != 0, m.hints.hot)
	}
}
