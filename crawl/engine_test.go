package crawl

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leasetop/leasetop/vaultclient"
)

// walkLog is a client whose walks never end by themselves: it keeps each
// walk's context and options, so a test sees which walk a refresh
// cancelled and which it left running. Tests of Vault's behaviour use the
// real server (vault_test.go).
type walkLog struct {
	mu        sync.Mutex
	ctxs      []context.Context
	opts      []WalkOptions
	chans     []chan vaultclient.Event
	creations map[string]float64 // Vault's figures; nil: none
	reads     int                // of the figures
}

// WalkOptions is what a walk was asked for.
type WalkOptions = vaultclient.WalkOptions

func (w *walkLog) Walk(ctx context.Context, prefix string, opt vaultclient.WalkOptions) <-chan vaultclient.Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := make(chan vaultclient.Event)
	w.ctxs, w.opts, w.chans = append(w.ctxs, ctx), append(w.opts, opt), append(w.chans, ch)
	return ch
}

func (w *walkLog) Lookup(ctx context.Context, id string) (vaultclient.Lease, error) {
	return vaultclient.Lease{ID: id, IssueTime: t0, ExpireTime: t0.Add(time.Hour), TTL: time.Hour}, nil
}

func (w *walkLog) LeaseCreations(ctx context.Context) (map[string]float64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.reads++
	if w.creations == nil {
		return nil, &vaultclient.Error{Kind: vaultclient.KindPermissionDenied}
	}
	return w.creations, nil
}

func (w *walkLog) Namespace() string { return "" }

func (w *walkLog) walks() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.ctxs)
}

// fakeClock is a clock whose timers fire only when the test says.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []chan time.Time
	durs   []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.timers, c.durs = append(c.timers, ch), append(c.durs, d)
	return ch
}

func newEngine(cl Client, clock *fakeClock, refresh time.Duration) *Engine {
	return New(context.Background(), cl, Options{Refresh: refresh, Concurrency: 4, Now: clock.Now, After: clock.After})
}

func lease(id string) vaultclient.Event {
	return vaultclient.Event{Kind: vaultclient.EventLease, Lease: vaultclient.Lease{ID: id, IssueTime: t0, ExpireTime: t0.Add(time.Hour), TTL: time.Hour}}
}

// inputs runs the tasks of out that answer without waiting for a walk or
// a timer (a read of Vault's figures, the lookups), and returns what they
// brought back; the others are left blocked.
func inputs(out Out) <-chan Input {
	ch := make(chan Input, len(out.Tasks))
	for _, t := range out.Tasks {
		go func() {
			if in := t(); in != nil {
				ch <- in
			}
		}()
	}
	return ch
}

// A refresh waits for the first crawl's counts, then runs beside its
// lookups: it neither cancels the first crawl nor loses what it sends
// afterwards, its listing records the growth while the first crawl still
// runs, and a lease it found gone stays gone when the first crawl's lookup
// of it (sent before) answers late.
func TestRefreshRunsBesideTheFirstCrawlsLookups(t *testing.T) {
	cl := &walkLog{}
	clock := &fakeClock{now: t0}
	e := newEngine(cl, clock, time.Minute)
	e.Start()
	full := e.Gen(false)
	poll := func() {
		t.Helper()
		e.Handle(PollDue{Gen: e.gen})
		e.Handle(Figures{Gen: e.gen})
	}
	var quiet []string
	for i := range 20 {
		quiet = append(quiet, fmt.Sprintf("db/q%02d", i))
	}
	e.Handle(Batch{Gen: full, Events: []vaultclient.Event{
		listed("", []string{"db/", "boom/"}, nil),
		listed("db/", nil, quiet),
	}})

	// Still counting: a refresh now would take the rest of the first
	// listing for growth.
	poll()
	if n := cl.walks(); n != 1 {
		t.Fatalf("a refresh started while the first crawl was still listing (%d walks)", n)
	}

	out := e.Handle(Batch{Gen: full, Events: []vaultclient.Event{
		listed("boom/", nil, []string{"boom/a"}),
		{Kind: vaultclient.EventCounted},
		lease("db/q00"),
	}})
	if !slices.ContainsFunc(out.Events, func(ev Event) bool { _, ok := ev.(Counted); return ok }) {
		t.Errorf("the counts came in and no Counted was told: %v", out.Events)
	}
	poll()
	if n := cl.walks(); n != 2 || !cl.opts[1].ListOnly {
		t.Fatalf("once the counts are in a list-only refresh starts: %d walks, %+v", n, cl.opts)
	}
	if cl.ctxs[0].Err() != nil || !e.Status().Crawling {
		t.Fatal("the refresh cancelled the first crawl")
	}

	// The refresh finds boom/ grown by 30 and db/q01 gone.
	grown := []string{"boom/a"}
	for i := range 30 {
		grown = append(grown, fmt.Sprintf("boom/n%02d", i))
	}
	e.Handle(Batch{Gen: e.Gen(true), Poll: true, Done: true, Events: []vaultclient.Event{
		listed("", []string{"db/", "boom/"}, nil),
		listed("boom/", nil, grown),
		listed("db/", nil, append([]string{quiet[0]}, quiet[2:]...)),
	}})
	if p, _, ok := e.Churn().Fastest(t0, time.Minute); !ok || p != "boom/" || !e.Status().Crawling {
		t.Errorf("the growth is not recorded beside the crawl: fastest %q (%v), crawling %v", p, ok, e.Status().Crawling)
	}
	if l := e.Index().Lease("boom/n07"); l == nil || !l.Pending() {
		t.Errorf("a new lease the refresh found is not in the index, pending: %v", l)
	}

	// The first crawl goes on: its lookups still land, but not the late
	// one of the lease the refresh found gone.
	e.Handle(Batch{Gen: full, Events: []vaultclient.Event{lease("db/q01"), lease("db/q02")}})
	if l := e.Index().Lease("db/q02"); l == nil || l.Pending() {
		t.Errorf("the first crawl's lookup after the refresh was lost: %v", l)
	}
	if l := e.Index().Lease("db/q01"); l == nil || !l.Gone() {
		t.Errorf("a late lookup brought back a lease the refresh found gone: %v", l)
	}
	if want := 19 + 31; e.Index().Len() != want {
		t.Errorf("the index holds %d leases, want %d", e.Index().Len(), want)
	}

	// Its end starts no second chain of refreshes: the next tick is the
	// refresh's.
	gen := e.gen
	e.Handle(Batch{Gen: full, Done: true})
	if st := e.Status(); st.Crawling || !st.Crawled || e.gen != gen {
		t.Errorf("after the first crawl's end: crawling %v, crawled %v, gen %d (was %d)", st.Crawling, st.Crawled, e.gen, gen)
	}
	poll()
	if n := cl.walks(); n != 3 {
		t.Errorf("the refreshes go on after the first crawl: %d walks", n)
	}
}

// A refresh cut short by another (a revocation's, say) hands on the ids
// it found new: the next one's listings no longer name them new, and
// they would stay pending, never looked up.
func TestARefreshCutShortHandsItsNewLeasesOn(t *testing.T) {
	cl := &walkLog{}
	e := newEngine(cl, &fakeClock{now: t0}, time.Minute)
	e.Start()
	e.Handle(Batch{Gen: e.Gen(false), Done: true, Events: []vaultclient.Event{
		listed("secret/aws/", nil, []string{"secret/aws/k1", "secret/aws/k2"}),
	}})
	e.Changed()
	e.Handle(Batch{Gen: e.Gen(true), Poll: true, Events: []vaultclient.Event{
		listed("secret/aws/", nil, []string{"secret/aws/k1", "secret/aws/k2", "secret/aws/k3"}),
	}})
	e.Changed()
	if cl.ctxs[1].Err() == nil {
		t.Fatal("the first refresh was not cut short")
	}
	if got := e.poll.fresh; len(got) != 1 || got[0] != "secret/aws/k3" {
		t.Errorf("the next refresh is to look up %v, want the new secret/aws/k3", got)
	}
	// Its end looks the new lease up.
	out := e.Handle(Batch{Gen: e.Gen(true), Poll: true, Done: true})
	ins := inputs(out)
	deadline := time.After(time.Minute)
	for e.Index().Lease("secret/aws/k3").Pending() {
		select {
		case in := <-ins:
			e.Handle(in)
		case <-deadline:
			t.Fatal("the lease the cut-short refresh found was never looked up")
		}
	}
}

// Vault's figures are read once the counts are in, so the first refresh
// already compares them: a mount that made leases no listing found is
// re-listed whole by the first refresh, not the second, and the engine
// names it. So too when the crawl ends with its counts (a small tree): a
// script that watches for one refresh has no second.
func TestTheFirstRefreshComparesVaultsFiguresWithTheCounts(t *testing.T) {
	for _, tc := range []struct {
		name string
		done bool // the crawl ends in the batch that brings its counts
	}{{"lookups follow the counts", false}, {"the crawl ends with its counts", true}} {
		t.Run(tc.name, func(t *testing.T) {
			cl := &walkLog{creations: map[string]float64{"secret/": 10}}
			e := newEngine(cl, &fakeClock{now: t0}, time.Minute)
			e.Start()
			out := e.Handle(Batch{Gen: e.Gen(false), Done: tc.done, Events: []vaultclient.Event{
				listed("secret/", nil, []string{"secret/a"}),
				{Kind: vaultclient.EventCounted},
			}})
			ins := inputs(out)
			deadline := time.After(time.Minute)
			for e.hints.last == nil {
				select {
				case in := <-ins:
					if p, ok := in.(Probed); ok {
						e.Handle(p)
					}
				case <-deadline:
					t.Fatal("no figures were read when the counts came in")
				}
			}

			e.Handle(PollDue{Gen: e.gen})
			out = e.Handle(Figures{Gen: e.gen, Creations: map[string]float64{"secret/": 510}})
			if e.Gen(true) == 0 || !slices.Equal(e.hints.hot, []string{"secret/"}) {
				t.Errorf("the first refresh (started: %v) re-lists %v whole, want secret/", e.Gen(true) != 0, e.hints.hot)
			}
			if !slices.ContainsFunc(out.Events, func(ev Event) bool {
				g, ok := ev.(GrowthNamed)
				return ok && slices.Equal(g.Mounts, []string{"secret/"})
			}) {
				t.Errorf("the engine did not name the mount: %v", out.Events)
			}
		})
	}
}

// What a timer, a read or a walk asked for before the walks changed is
// dropped, whichever it is: a newer walk, or Pause. After Resume a
// refresh starts (the first crawl ended), and the timers of the walk
// before it count for nothing.
func TestStaleInputsAreDroppedAndPauseStopsEveryWalk(t *testing.T) {
	cl := &walkLog{}
	clock := &fakeClock{now: t0}
	e := newEngine(cl, clock, time.Minute)
	e.Start()
	e.Handle(Batch{Gen: e.Gen(false), Done: true, Events: []vaultclient.Event{listed("db/", nil, []string{"db/a"})}})
	old := e.gen
	e.Changed()
	e.Handle(Batch{Gen: e.Gen(true), Poll: true, Done: true}) // the refresh ends: one may start
	for _, in := range []Input{PollDue{Gen: old}, Figures{Gen: old}, ProbeDue{Gen: old}, Probed{Gen: old, Creations: map[string]float64{"db/": 1e6}}} {
		if out := e.Handle(in); len(out.Tasks)+len(out.Events) != 0 {
			t.Errorf("%T of an older walk was acted on: %+v", in, out)
		}
	}
	e.Changed()
	e.Pause()
	if cl.ctxs[2].Err() == nil || e.Running() {
		t.Fatal("Pause left a walk running")
	}
	if out := e.Handle(PollDue{Gen: e.gen}); len(out.Tasks) != 0 || cl.walks() != 3 {
		t.Errorf("a refresh started while paused (%d walks)", cl.walks())
	}
	out, full := e.Resume()
	if full || cl.walks() != 4 || !cl.opts[3].ListOnly || len(out.Tasks) == 0 {
		t.Errorf("Resume after a first crawl: full %v, %d walks, want a refresh", full, cl.walks())
	}
}

// Between two refreshes the engine reads Vault's figures every HintEvery,
// one timer at a time: each read schedules the next. An hour's refresh
// read every 5 s once set 719 timers at once, and a refresh started early
// (by news in the figures) left the last interval's asleep beside its own.
func TestReadsBetweenRefreshesHoldOneTimerAtATime(t *testing.T) {
	cl := &walkLog{creations: map[string]float64{"db/": 1}}
	clock := &fakeClock{now: t0}
	e := newEngine(cl, clock, time.Hour)
	every := e.pol.HintEvery
	if every <= 0 || every*3 >= time.Hour {
		t.Fatalf("HintEvery %v: the test needs many reads per refresh", every)
	}
	e.Start()
	out := e.Handle(Batch{Gen: e.Gen(false), Done: true, Events: []vaultclient.Event{
		listed("", []string{"db/"}, nil), listed("db/", nil, []string{"db/a"}), {Kind: vaultclient.EventCounted}, lease("db/a"),
	}})
	// The answer holds the refresh's timer, the first read's, and perhaps
	// a read of the figures now: never a timer per read.
	if len(out.Tasks) > 3 {
		t.Fatalf("the end of the first crawl started %d tasks, a timer for every read between refreshes", len(out.Tasks))
	}
	inputs(out)
	probes := func() int {
		clock.mu.Lock()
		defer clock.mu.Unlock()
		n := 0
		for _, d := range clock.durs {
			if d == every {
				n++
			}
		}
		return n
	}
	waitFor(t, "the first read's timer", func() bool { return probes() >= 1 })
	// The refresh's own timer is set by the same answer.
	waitFor(t, "the refresh's timer", func() bool {
		clock.mu.Lock()
		defer clock.mu.Unlock()
		return slices.Contains(clock.durs, time.Hour)
	})
	if n := probes(); n != 1 {
		t.Fatalf("the end of the first crawl set %d timers for reads between refreshes, want 1", n)
	}
	// Each read brings the next: the fifth is at 5 × HintEvery.
	at := every
	for i := 2; i <= 5; i++ {
		inputs(e.Handle(ProbeDue{Gen: e.gen, At: at}))
		at += every
		waitFor(t, fmt.Sprintf("read %d's timer", i), func() bool { return probes() >= i })
	}
	if n := probes(); n != 5 {
		t.Errorf("five reads set %d timers, want 5", n)
	}
	// A newer interval's reads are its own: an old one schedules nothing.
	if out := e.Handle(ProbeDue{Gen: e.gen - 1, At: at}); len(out.Tasks) != 0 {
		t.Errorf("a read of an old interval scheduled %d tasks", len(out.Tasks))
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within a minute", what)
		}
		time.Sleep(time.Millisecond)
	}
}
