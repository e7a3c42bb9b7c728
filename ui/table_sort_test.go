package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/leasetop/leasetop/vaultclient"
)

// A table whose last sort was long sorts in the background: the key press
// only gathers the rows, the rows on screen stay (the title says
// "sorting…") until the sorted ones come back, and a sort superseded by a
// later one is dropped. The sort runs while the index takes a crawl's
// batch, as it does in the program (go test -race checks that they share
// nothing).
func TestALongSortRunsOffTheKeyPath(t *testing.T) {
	m := newTest(t, &recorder{}, Options{})
	tb := m.screen().(*browser).table
	before := ids(tb.rows)
	if !slices.Contains(before, "secret/aws/k2") || before[0] == "auth/approle/login/h1111" {
		t.Fatalf("unexpected starting order %v", before)
	}

	tb.sortTook = slowSort // as if the last sort had taken that long
	m = keys(m, "s")       // by id
	if len(m.c.later) != 0 {
		t.Fatal("the step kept the background sort instead of sending it on")
	}
	// The key press went through step; sort again by hand to hold the job.
	tb.sortTook, tb.dirty = slowSort, true
	tb.Sync()
	if len(m.c.later) != 1 {
		t.Fatalf("%d background sorts started, want 1", len(m.c.later))
	}
	stale := m.c.later[0]
	tb.dirty = true
	tb.Sync()
	job := m.c.later[1]
	m.c.later = nil
	if got := ids(tb.rows); !slices.Equal(got, before) {
		t.Errorf("rows changed before the sort came back: %v", got)
	}
	if !strings.Contains(text(m), "sorting…") {
		t.Errorf("the title does not say it is sorting:\n%s", text(m))
	}

	done := make(chan any)
	go func() { done <- job() }()
	more := []vaultclient.Event{{Kind: vaultclient.EventLease, Lease: lease("secret/aws/k1", time.Minute, true)}}
	for i := range 50 {
		more = append(more, vaultclient.Event{Kind: vaultclient.EventLease, Lease: lease(fmt.Sprintf("secret/aws/k%d", i+3), time.Hour, true)})
	}
	m = refresh(m, 2, false, more) // the index changes while the sort runs
	msg := <-done

	m = send(m, stale()) // superseded: ignored
	if !strings.Contains(text(m), "sorting…") {
		t.Error("a superseded sort ended the wait for the current one")
	}
	m = send(m, msg)
	// The rows came back, and the same step picked the new batch up (the
	// sort was quick after all): every lease, by id.
	got := ids(tb.rows)
	if !slices.IsSortedFunc(got, strings.Compare) || len(got) != m.c.idx.Len() {
		t.Errorf("after the sort came back the rows are %v, want the index's %d leases by id", got, m.c.idx.Len())
	}
	if strings.Contains(text(m), "sorting…") {
		t.Error("still says sorting after the rows came back")
	}
}

// While a crawl streams in, a frame is drawn at most every frameEvery:
// a batch right after a frame shows that frame again; a key, or the
// crawl's last batch, draws at once.
func TestCrawlBatchesRedrawAtMostEveryFrameEvery(t *testing.T) {
	m := newTest(t, &recorder{}, Options{})
	first := m.View().Content
	batch := func(done bool, ids ...string) tea.Msg {
		m.crawl.running = true
		return rootMsg{r: m.root, msg: walkBatchMsg{gen: m.crawl.gen, events: []vaultclient.Event{
			{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "secret/aws/", LeaseIDs: append([]string{"secret/aws/k1", "secret/aws/k2"}, ids...)}},
		}, done: done}}
	}
	m = send(m, batch(false, "secret/aws/k3"))
	if got := m.View().Content; got != first {
		t.Error("a batch right after a frame drew a new one")
	}
	if !strings.Contains(text(m), "8 leases") {
		t.Fatalf("the batch did not reach the index:\n%s", text(m))
	}
	m = send(m, keyMsg("j"))
	if got := m.View().Content; !strings.Contains(ansi.Strip(got), "8 leases") {
		t.Errorf("a key did not draw at once:\n%s", ansi.Strip(got))
	}
	m = send(m, batch(true, "secret/aws/k3", "secret/aws/k4"))
	if got := m.View().Content; !strings.Contains(ansi.Strip(got), "9 leases") {
		t.Errorf("the crawl's last batch did not draw at once:\n%s", ansi.Strip(got))
	}
}
