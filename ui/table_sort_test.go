package ui

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/internal/goroutines"
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

	tb.sortTook = slowSort             // as if the last sort had taken that long
	next, cmd := m.Update(keyMsg("s")) // by id
	if m = next.(Model); cmd == nil {
		t.Fatal("the step did not send the background sort on")
	}
	// The key press went through step; sort again by hand to hold the job.
	tb.sortTook, tb.dirty = slowSort, true
	_, stale := tb.Sync()
	if stale == nil {
		t.Fatal("no background sort started")
	}
	tb.dirty = true
	_, job := tb.Sync()
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
	m = stream(m, 2, false, more, false) // the index changes while the sort runs, mid-crawl
	msg := <-done

	m = send(m, stale()) // superseded: ignored
	if !strings.Contains(text(m), "sorting…") {
		t.Error("a superseded sort ended the wait for the current one")
	}
	m = send(m, msg)
	if strings.Contains(text(m), "sorting…") {
		t.Error("still says sorting after the rows came back")
	}
	// The crawl ends: its data is sorted at once (the sort was quick
	// after all): every lease, by id.
	m = send(m, crawl.Batch{Gen: m.c.data.eng.Gen(false), Done: true})
	got := ids(tb.rows)
	if !slices.IsSortedFunc(got, strings.Compare) || len(got) != m.c.data.eng.Index().Len() {
		t.Errorf("after the sort came back the rows are %v, want the index's %d leases by id", got, m.c.data.eng.Index().Len())
	}
	if strings.Contains(text(m), "sorting…") {
		t.Error("still says sorting after the rows came back")
	}
}

// While a crawl streams in, a frame is drawn at most every frameEvery:
// a batch right after a frame shows that frame again, and a batch once
// frameEvery has passed draws a new one; a key, or the crawl's last
// batch, draws at once. Each frame's time is set by the test ("right
// after" is a frame stamped at a moment still to come), so how long the
// machine takes between two steps does not decide which case it is.
func TestCrawlBatchesRedrawAtMostEveryFrameEvery(t *testing.T) {
	m := newTest(t, &recorder{}, Options{})
	first := m.View().Content
	batch := func(done bool, ids ...string) tea.Msg {
		gen := fakeWalk(m, 2, false)
		return rootMsg{r: m.root, msg: crawl.Batch{Gen: gen, Events: []vaultclient.Event{
			{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "secret/aws/", LeaseIDs: append([]string{"secret/aws/k1", "secret/aws/k2"}, ids...)}},
		}, Done: done}}
	}
	m = send(m, batch(false, "secret/aws/k3"))
	m.app.frame.at = time.Now().Add(time.Hour) // the last frame: just now
	if got := m.View().Content; got != first {
		t.Error("a batch right after a frame drew a new one")
	}
	if !strings.Contains(text(m), "8 leases") {
		t.Fatalf("the batch did not reach the index:\n%s", text(m))
	}
	m.app.frame.at = time.Now().Add(-frameEvery) // the last frame: frameEvery ago
	if got := m.View().Content; !strings.Contains(ansi.Strip(got), "8 leases") {
		t.Errorf("a batch frameEvery after a frame did not draw a new one:\n%s", ansi.Strip(got))
	}
	m = send(m, batch(false, "secret/aws/k3", "secret/aws/k4"))
	m.app.frame.at = time.Now().Add(time.Hour)
	m = send(m, keyMsg("j"))
	if got := m.View().Content; !strings.Contains(ansi.Strip(got), "9 leases") {
		t.Errorf("a key did not draw at once:\n%s", ansi.Strip(got))
	}
	m = send(m, batch(false, "secret/aws/k3", "secret/aws/k4", "secret/aws/k5"))
	m.app.frame.at = time.Now().Add(time.Hour)
	m = send(m, batch(true, "secret/aws/k3", "secret/aws/k4", "secret/aws/k5", "secret/aws/k6"))
	if got := m.View().Content; !strings.Contains(ansi.Strip(got), "11 leases") {
		t.Errorf("the crawl's last batch did not draw at once:\n%s", ansi.Strip(got))
	}
}

// A long gathering reads the rows in steps, one message each, and the
// keys pressed between steps are answered at once: the cursor moves while
// the old rows stay on screen. A key that changes the query again starts
// a new gathering, and the old one's next step is dropped.
func TestALongGatheringTakesStepsBetweenKeys(t *testing.T) {
	defer func(s time.Duration, b int) { gatherSlice, gatherBudget = s, b }(gatherSlice, gatherBudget)
	gatherSlice, gatherBudget = 0, 2 // two leases a step
	m := newTest(t, &recorder{}, Options{})
	tb := m.screen().(*browser).table
	before := ids(tb.rows)

	tb.sortTook = slowSort // as if the last sort had taken that long
	m, jobs := update(t, m, keyMsg("s"))
	if len(jobs) != 1 || !isGather(jobs[0]) {
		t.Fatalf("the sort key gave %v, want one gathering step", jobs)
	}
	stale := jobs[0]
	m, jobs = update(t, m, keyMsg("s")) // a second sort key: issued
	if len(jobs) != 1 || !isGather(jobs[0]) {
		t.Fatalf("the second sort key gave %v, want one gathering step", jobs)
	}
	if _, old := update(t, m, stale); len(old) != 0 {
		t.Errorf("the superseded gathering took a step: %v", old)
	}

	steps, moved := 0, 0
	for !isSorted(jobs[0]) {
		if !strings.Contains(text(m), "sorting…") || !slices.Equal(ids(tb.rows), before) {
			t.Fatalf("during the gathering the old rows or the title went:\n%s", text(m))
		}
		at := tb.cur.Index(tb.rows)
		var between []tea.Msg
		if m, between = update(t, m, keyMsg("j")); len(between) != 0 {
			t.Fatalf("j between steps started %v", between)
		}
		if tb.cur.Index(tb.rows) != at {
			moved++
		}
		m, jobs = update(t, m, jobs[0])
		if len(jobs) != 1 {
			t.Fatalf("step %d gave %d jobs, want 1", steps, len(jobs))
		}
		steps++
	}
	if steps < m.c.data.eng.Index().Len()/2-1 || moved == 0 {
		t.Errorf("%d steps of two leases for %d leases, and the cursor moved %d times between them", steps, m.c.data.eng.Index().Len(), moved)
	}
	m, _ = update(t, m, jobs[0])
	got := ids(tb.rows)
	if len(got) != m.c.data.eng.Index().Len() || slices.Equal(got, before) || strings.Contains(text(m), "sorting…") {
		t.Errorf("after the gathering and the sort: %d rows (index %d), same order %v, title:\n%s", len(got), m.c.data.eng.Index().Len(), slices.Equal(got, before), text(m))
	}
}

// update sends one message and returns the gathering steps and sorts the
// step asked for (a table's own jobs; other commands are not waited for).
func update(t *testing.T, m Model, msg tea.Msg) (Model, []tea.Msg) {
	t.Helper()
	next, cmd := m.Update(msg)
	var jobs []tea.Msg
	for _, msg := range settle(t, cmd) {
		if isGather(msg) || isSorted(msg) {
			jobs = append(jobs, msg)
		}
	}
	return next.(Model), jobs
}

// settle runs cmd, and the commands of any batch it gives, each on its own
// goroutine, and returns the messages of those that answered by the time
// every other one waits on a channel or a timer (a status fading, a
// spinner's next frame, a poll): those are left waiting. A table's jobs
// only compute, so each is among the answers however long the machine
// takes to run it; no deadline decides what counts as a timer.
func settle(t *testing.T, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	var (
		mu      sync.Mutex
		running int              // started and not yet returned
		ids     = map[int]bool{} // the goroutines of those that began
		msgs    []tea.Msg
	)
	var run func(c tea.Cmd)
	run = func(c tea.Cmd) {
		if c == nil {
			return
		}
		mu.Lock()
		running++
		mu.Unlock()
		go func() {
			id := goroutines.Self()
			mu.Lock()
			ids[id] = true
			mu.Unlock()
			msg := c()
			batch, isBatch := msg.(tea.BatchMsg)
			for _, c := range batch {
				run(c)
			}
			mu.Lock()
			defer mu.Unlock()
			delete(ids, id)
			running--
			if !isBatch {
				msgs = append(msgs, msg)
			}
		}()
	}
	run(cmd)
	// Each look reads every goroutine's stack with the world stopped:
	// look less often as the wait goes on.
	pause := time.Millisecond
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(pause) {
		pause = min(2*pause, 50*time.Millisecond)
		mu.Lock()
		began := maps.Clone(ids)
		settled := running == len(began)
		mu.Unlock()
		if settled && allParked(began) {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(msgs)
		}
		if time.Now().After(deadline) {
			t.Fatalf("a command neither answered nor waited within a minute")
		}
	}
}

// allParked says whether every goroutine in ids waits on a channel, a
// select or a timer (a command that computes never does); one that is
// not found has just returned, and does not.
func allParked(ids map[int]bool) bool {
	if len(ids) == 0 {
		return true
	}
	parked := 0
	for _, g := range goroutines.All() {
		if ids[g.ID] && g.Parked() {
			parked++
		}
	}
	return parked == len(ids)
}

func isGather(msg tea.Msg) bool {
	rm, ok := msg.(rootMsg)
	_, is := rm.msg.(gatherMsg)
	return ok && is
}

func isSorted(msg tea.Msg) bool {
	rm, ok := msg.(rootMsg)
	_, is := rm.msg.(sortedMsg)
	return ok && is
}
