package crawl

import (
	"context"
	"errors"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/churn"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

// Client is what the engine asks of Vault; *vaultclient.Client is one.
type Client interface {
	Walker
	Lookup(ctx context.Context, id string) (vaultclient.Lease, error)
	// LeaseCreations is Vault's count of leases made per mount (its
	// telemetry): where to look when leases appear under quiet prefixes.
	LeaseCreations(ctx context.Context) (map[string]float64, error)
	Namespace() string
}

var _ Client = (*vaultclient.Client)(nil)

// Options configure an engine.
type Options struct {
	Prefix      string        // where the walks start ("" is the root)
	Refresh     time.Duration // between refreshes; 0: none
	Concurrency int           // the walks' requests in flight
	// Now is the clock, After its timer (the refreshes' and the probes');
	// nil means the time package's.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// ErrorText words a failed listing's error for the index; nil uses
	// err.Error().
	ErrorText func(error) string
	// Policy is what a refresh re-lists; zero means DefaultPolicy().
	Policy Policy
}

// Engine is the crawl: the index and the walks that fill it, the first
// crawl (which lists the tree and then looks every lease up) and the
// refreshes (which only list, as the plan says, and look up what is new),
// the growth hints from Vault's figures, the churn, and the attribution
// kept to the leases that live.
//
// It is driven: each method runs on its driver's goroutine (a UI's update
// loop, or Run) and returns what it needs next (Out): Tasks, which the
// driver runs off that goroutine and whose Input it hands back to Handle,
// and Events for the front end. The index is only changed inside those
// calls, so a front end on the same goroutine reads it without a lock.
type Engine struct {
	ctx    context.Context
	cl     Client
	opt    Options
	pol    Policy
	idx    *model.Index
	churn  *churn.Tracker
	owners *audit.Attribution
	hints  growthHints

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
	// paused: no walk runs, and none starts until Resume.
	paused bool

	lastOK     time.Time
	staleSince time.Time
	err        error
	// restListed is when the part of the tree this refresh left alone was
	// listed last (the oldest of it); zero when it listed everything.
	restListed time.Time

	// focus is the prefix the front end looks at, read by the walk before
	// each lookup (from its own goroutines) so that its TTLs come first,
	// and by the refresh plan.
	focus atomic.Value
}

// New makes an engine over cl; ctx ends every call it makes.
func New(ctx context.Context, cl Client, opt Options) *Engine {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.After == nil {
		opt.After = time.After
	}
	pol := opt.Policy
	if pol == (Policy{}) {
		pol = DefaultPolicy()
	}
	e := &Engine{ctx: ctx, cl: cl, opt: opt, pol: pol, idx: model.NewIndex(),
		churn: churn.New(time.Minute, 30), hints: growthHints{min: pol.HintMin}}
	e.focus.Store(opt.Prefix)
	return e
}

// Task is work for the driver to run off its goroutine; what it returns
// goes back to Handle (nil: nothing).
type Task func() Input

// Input is what a Task brings back to Handle.
type Input interface{ input() }

// Batch is the events a walk sent since the last batch; Done: it ended.
type Batch struct {
	Gen    int  // the walk's (Gen)
	Poll   bool // a list-only refresh, not the first crawl
	Events []vaultclient.Event
	Done   bool
}

// Lookups answers the lookups of the leases a refresh found new.
type Lookups struct {
	Leases   []vaultclient.Lease
	Vanished []string
	Errs     []error
}

// PollDue: a refresh is due.
type PollDue struct{ Gen int }

// Figures are Vault's lease figures read for the refresh about to start.
type Figures struct {
	Gen       int
	Creations map[string]float64
	Err       error
}

// ProbeDue: read Vault's figures between refreshes; At is how long after
// the refresh was scheduled it falls, so that each read schedules the next.
type ProbeDue struct {
	Gen int
	At  time.Duration
}

// Probed are Vault's figures read between refreshes (or as the baseline).
type Probed struct {
	Gen       int
	Creations map[string]float64
	Err       error
}

func (Batch) input()    {}
func (Lookups) input()  {}
func (PollDue) input()  {}
func (Figures) input()  {}
func (ProbeDue) input() {}
func (Probed) input()   {}

// Event is what the engine tells its front end.
type Event interface{ event() }

// Started: a walk began (a first crawl, or a refresh if Poll).
type Started struct{ Poll bool }

// Counted: the first crawl's listing is over and its counts are in the
// index; its lookups follow, and the refreshes run beside them.
type Counted struct{}

// Done: a walk ended; Stats is what it counted.
type Done struct {
	Poll  bool
	Stats Stats
}

// LookupsFailed: some lookups of new leases failed (Err is the first).
type LookupsFailed struct {
	N   int
	Err error
}

// GrowthNamed: Vault's figures say these mounts made leases no listing
// found; the refresh starting now re-lists them whole.
type GrowthNamed struct{ Mounts []string }

func (Started) event()       {}
func (Counted) event()       {}
func (Done) event()          {}
func (LookupsFailed) event() {}
func (GrowthNamed) event()   {}

// Out is what a call asks of the driver.
type Out struct {
	Tasks  []Task
	Events []Event
}

func (o *Out) add(p Out) {
	o.Tasks = append(o.Tasks, p.Tasks...)
	o.Events = append(o.Events, p.Events...)
}

func (o *Out) task(t Task) { o.Tasks = append(o.Tasks, t) }

func (o *Out) event(ev Event) { o.Events = append(o.Events, ev) }

// batchMax and batchWait bound a batch: enough events to make a redraw
// worth it, soon enough that the first rows appear at once.
const (
	batchMax  = 2048
	batchWait = 100 * time.Millisecond
)

// walkRun is one walk: the first crawl or a refresh.
type walkRun struct {
	gen     int
	ch      <-chan vaultclient.Event
	cancel  context.CancelFunc
	running bool
	started time.Time
	stats   Stats
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

func (e *Engine) run(poll bool) *walkRun {
	if poll {
		return &e.poll
	}
	return &e.full
}

func (e *Engine) now() time.Time { return e.opt.Now() }

// Index is the leases the walks found. Read it on the driver's goroutine.
func (e *Engine) Index() *model.Index { return e.idx }

// Churn counts the leases each refresh found new or gone, per prefix.
func (e *Engine) Churn() *churn.Tracker { return e.churn }

// Owners is who made which lease, from Vault's audit log; nil until
// Attribution was asked for.
func (e *Engine) Owners() *audit.Attribution { return e.owners }

// Attribution is Owners, made on first use: after each walk it keeps only
// the leases that live.
func (e *Engine) Attribution() *audit.Attribution {
	if e.owners == nil {
		e.owners = audit.NewAttribution()
	}
	return e.owners
}

// SetFocus names the prefix the front end looks at: the walk looks its
// leases up first, and a refresh lists its subtree when it fits.
func (e *Engine) SetFocus(prefix string) { e.focus.Store(prefix) }

// Focus is the prefix SetFocus named.
func (e *Engine) Focus() string { return e.focus.Load().(string) }

// Running reports whether any walk is.
func (e *Engine) Running() bool { return e.full.running || e.poll.running }

// Gen is the number of the walk under way (the first crawl, or a refresh
// if poll), which its Batches carry; 0 when none runs.
func (e *Engine) Gen(poll bool) int { return e.run(poll).gen }

// Paused reports whether Pause stopped the walks.
func (e *Engine) Paused() bool { return e.paused }

// Status is what the walks are doing and what the last ones found.
type Status struct {
	Crawling   bool  // the first crawl runs
	Refreshing bool  // a refresh runs
	Crawl      Stats // the first crawl's counts, while it runs
	// LastOK is when a walk last listed something; zero before.
	LastOK time.Time
	// StaleSince is when the data was last good, while the walks since
	// listed nothing; zero when it is not stale.
	StaleSince time.Time
	// RestListed is when the part of the tree the last refresh left alone
	// was listed last; zero when it listed everything.
	RestListed time.Time
	// Err is the last walk's last error, nil when it had none.
	Err error
	// Crawled: a first crawl ended.
	Crawled bool
}

// Status is what the walks are doing and what the last ones found.
func (e *Engine) Status() Status {
	return Status{Crawling: e.full.running, Refreshing: e.poll.running, Crawl: e.full.stats,
		LastOK: e.lastOK, StaleSince: e.staleSince, RestListed: e.restListed, Err: e.err, Crawled: e.crawled}
}

// counting: the first crawl is still listing, and a refresh would measure
// as growth what is only the first listing arriving.
func (e *Engine) counting() bool { return e.full.running && !e.full.stats.Counted }

// pollable: a refresh may start now.
func (e *Engine) pollable() bool { return !e.poll.running && !e.counting() }

// current: a timer or figures asked for by walk gen still count.
func (e *Engine) current(gen int) bool { return gen == e.gen && e.pollable() && !e.paused }

func (e *Engine) stopAll() {
	e.full.stop()
	e.poll.stop()
	e.polling = false
}

// Start begins the first crawl, ending every walk under way.
func (e *Engine) Start() Out { return e.start(false) }

// Refresh starts a refresh now; false when a walk that forbids one runs
// (a refresh, or the first crawl's listing).
func (e *Engine) Refresh() (Out, bool) {
	if !e.pollable() {
		return Out{}, false
	}
	return e.start(true), true
}

// Changed says the front end changed Vault's leases (a revocation): a
// refresh starts now, cutting short one under way, so that it lists what
// is left (nothing while the first crawl is still counting).
func (e *Engine) Changed() Out { return e.start(true) }

// LookUp looks ids up again (after a renewal, say) and stores what Vault
// answers.
func (e *Engine) LookUp(ids []string) Out { return Out{Tasks: []Task{e.lookup(ids)}} }

// Pause ends every walk; none starts until Resume.
func (e *Engine) Pause() {
	e.paused = true
	e.stopAll()
}

// Resume lets walks start again: a refresh, or a first crawl anew (full)
// when the first one was cut short.
func (e *Engine) Resume() (out Out, full bool) {
	e.paused = false
	if !e.crawled || e.lastOK.IsZero() {
		return e.start(false), true
	}
	out, _ = e.Refresh()
	return out, false
}

// start begins a walk of the starting prefix. The first one (poll false)
// looks every lease up, and ends every walk under way; a refresh (poll)
// only lists, and then looks up the ids that are new, so an unchanged tree
// costs one LIST per prefix and no lookups. A refresh ends the refresh
// under way, never the first crawl: at a million leases its lookups take
// minutes, and a growing prefix is what an operator looks for. It waits
// (nothing) while the first crawl is still counting.
func (e *Engine) start(poll bool) Out {
	if poll && e.counting() {
		return Out{} // the refreshes start with the counts
	}
	if !poll {
		e.stopAll()
		e.poll.fresh = nil // the first crawl looks every lease up
	}
	w := e.run(poll)
	w.stop()
	ctx, cancel := context.WithCancel(e.ctx)
	e.gen++
	opt := vaultclient.WalkOptions{Concurrency: e.opt.Concurrency, ListOnly: poll, Focus: e.Focus}
	if poll {
		opt.Roots, opt.Skip, e.restListed = e.relistPlan()
		opt.Order = e.refreshOrder()
	} else {
		e.restListed = time.Time{}
	}
	if poll && opt.Roots != nil && len(opt.Roots) == 0 {
		w.ch = nothingToList() // a quiet refresh with nothing due
	} else {
		w.ch = e.cl.Walk(ctx, e.opt.Prefix, opt)
	}
	w.gen, w.cancel, w.running, w.started = e.gen, cancel, true, e.now()
	w.stats = e.newStats(poll)
	return Out{Tasks: []Task{waitBatch(w.gen, poll, w.ch)}, Events: []Event{Started{Poll: poll}}}
}

// newStats counts a walk: churn and what the hints compare are recorded
// from a refresh's listings.
func (e *Engine) newStats(poll bool) Stats {
	return Stats{ErrorText: e.opt.ErrorText, Poll: poll, Changed: func(prefix string, created, gone int) {
		e.churn.Record(prefix, created, gone, e.now())
		e.hints.saw(prefix, created)
	}}
}

// waitBatch blocks for one event, then takes whatever else is ready up to
// batchMax or batchWait.
func waitBatch(gen int, poll bool, ch <-chan vaultclient.Event) Task {
	return func() Input {
		ev, ok := <-ch
		if !ok {
			return Batch{Gen: gen, Poll: poll, Done: true}
		}
		events := []vaultclient.Event{ev}
		timeout := time.NewTimer(batchWait)
		defer timeout.Stop()
		for len(events) < batchMax {
			select {
			case ev, ok := <-ch:
				if !ok {
					return Batch{Gen: gen, Poll: poll, Events: events, Done: true}
				}
				events = append(events, ev)
			case <-timeout.C:
				return Batch{Gen: gen, Poll: poll, Events: events}
			}
		}
		return Batch{Gen: gen, Poll: poll, Events: events}
	}
}

// Handle takes what a task brought back. What a walk, a timer or a read
// started before the walks changed (a newer walk, Pause) brings is
// dropped here, once for all of them.
func (e *Engine) Handle(in Input) Out {
	switch in := in.(type) {
	case Batch:
		if in.Gen != e.run(in.Poll).gen {
			return Out{} // a superseded walk
		}
		return e.onBatch(in)
	case Lookups:
		return e.onLookups(in)
	}
	if p, ok := in.(ProbeDue); ok {
		return e.onProbeDue(p)
	}
	var gen int
	switch in := in.(type) {
	case PollDue:
		gen = in.Gen
	case Figures:
		gen = in.Gen
	case Probed:
		gen = in.Gen
	}
	if !e.current(gen) {
		return Out{}
	}
	switch in := in.(type) {
	case PollDue:
		if t := e.readFigures(); t != nil {
			return Out{Tasks: []Task{t}} // then Figures starts the refresh
		}
		return e.start(true)
	case Figures:
		e.hints.update(in.Creations, in.Err)
		var out Out
		if len(e.hints.hot) > 0 {
			out.event(GrowthNamed{Mounts: e.hints.hot})
		}
		out.add(e.start(true))
		return out
	case Probed:
		return e.onProbed(in)
	}
	return Out{}
}

func (e *Engine) onBatch(b Batch) Out {
	w := e.run(b.Poll)
	now := e.now()
	counting := !b.Poll && !w.stats.Counted
	for _, ev := range b.Events {
		fresh := Apply(e.idx, ev, now, &w.stats)
		if b.Poll {
			w.fresh = append(w.fresh, fresh...)
		}
	}
	var out Out
	if counting && w.stats.Counted {
		// The counts are in: from now on the refreshes run, beside the
		// lookups, on their interval.
		if w.stats.Listed > 0 {
			e.lastOK = now
		}
		out.event(Counted{})
		out.add(e.startPolling())
		// Read Vault's figures now, so that the first refresh compares
		// them, whether lookups follow or the crawl ends here: a script
		// that watches for one refresh interval has no second refresh to
		// name growth under a prefix the first left alone.
		out.add(e.baseline())
	}
	if !b.Done {
		out.task(waitBatch(b.Gen, b.Poll, w.ch))
		return out
	}

	w.running = false
	if !b.Poll {
		e.crawled = true
		// The first crawl's garbage (a million ids queued, the listings'
		// JSON) is gone: hand it back to the system now, not whenever the
		// runtime gets to it, so what stays resident is the index.
		go debug.FreeOSMemory()
	}
	st := &w.stats
	if st.Errors > 0 && st.Listed == 0 {
		// Nothing could be listed: keep the last good data, marked stale.
		if e.staleSince.IsZero() {
			e.staleSince = e.lastOK
		}
		e.err = st.LastErr
	} else {
		e.lastOK, e.staleSince, e.err = now, time.Time{}, nil
		if st.Errors > 0 {
			e.err = st.LastErr
		}
	}
	if len(w.fresh) > 0 {
		// New since the first crawl listed, so not in its queue: looked up
		// here, whether or not its lookups still run.
		out.task(e.lookup(w.fresh))
		w.fresh = nil
	}
	if e.owners != nil && st.Errors == 0 {
		// The audit log names every lease ever made; keep only the live
		// ones (and those made since this walk began, which it may not
		// have listed yet), so memory follows Vault's leases, not the log.
		started, owners := w.started, e.owners
		owners.RetainMade(func(id string, made time.Time) bool {
			return e.idx.Lease(id) != nil || !made.Before(started)
		})
	}
	if b.Poll || !e.polling {
		// The next refresh, an interval after this one ended (the first
		// crawl's end starts them only if its counts never came).
		out.add(e.startPolling())
	}
	out.event(Done{Poll: b.Poll, Stats: *st})
	return out
}

// startPolling schedules the next refresh, an interval from now, and the
// reads of Vault's figures in between: one a HintEvery, none when the
// refresh interval is short anyway.
func (e *Engine) startPolling() Out {
	if e.opt.Refresh <= 0 {
		return Out{}
	}
	e.polling = true
	gen := e.gen
	out := Out{Tasks: []Task{e.after(e.opt.Refresh, PollDue{Gen: gen})}}
	if every := e.pol.HintEvery; !e.hints.off && every > 0 && every+every/2 < e.opt.Refresh {
		out.task(e.after(every, ProbeDue{Gen: gen, At: every}))
	}
	return out
}

// onProbeDue reads Vault's figures, unless a refresh runs now, and
// schedules the next read of this interval: one timer at a time, not one
// per read (an hour's refresh read every 5 s would hold 720 timers, and a
// refresh started early would leave its predecessor's asleep).
func (e *Engine) onProbeDue(p ProbeDue) Out {
	if p.Gen != e.gen || e.paused || !e.polling {
		return Out{} // a newer interval schedules its own
	}
	var out Out
	if every, next := e.pol.HintEvery, p.At+e.pol.HintEvery; !e.hints.off && next+every/2 < e.opt.Refresh {
		out.task(e.after(every, ProbeDue{Gen: p.Gen, At: next}))
	}
	if e.pollable() {
		out.task(e.probe())
	}
	return out
}

func (e *Engine) after(d time.Duration, in Input) Task {
	return func() Input {
		<-e.opt.After(d)
		return in
	}
}

// readFigures reads the creations before a refresh, or nil when Vault
// gives none (a namespace's view: the figures are the root namespace's).
func (e *Engine) readFigures() Task {
	if e.cl.Namespace() != "" {
		e.hints.off = true
	}
	if e.hints.off {
		return nil
	}
	gen := e.gen
	return e.creations(func(n map[string]float64, err error) Input { return Figures{Gen: gen, Creations: n, Err: err} })
}

// baseline reads the first figures when the first crawl's counts are in,
// so that the first refresh already compares: made since the counts,
// found by its listings. Taken at the first refresh instead, they would
// name an explosion under a prefix it left alone only at the second.
func (e *Engine) baseline() Out {
	if e.opt.Refresh <= 0 || e.hints.off || e.hints.last != nil || e.cl.Namespace() != "" {
		return Out{}
	}
	return Out{Tasks: []Task{e.probe()}}
}

// probe reads the figures between refreshes.
func (e *Engine) probe() Task {
	gen := e.gen
	return e.creations(func(n map[string]float64, err error) Input { return Probed{Gen: gen, Creations: n, Err: err} })
}

// creations reads Vault's lease figures within hintTimeout.
func (e *Engine) creations(answer func(map[string]float64, error) Input) Task {
	ctx, cl := e.ctx, e.cl
	return func() Input {
		ctx, cancel := context.WithTimeout(ctx, hintTimeout)
		defer cancel()
		return answer(cl.LeaseCreations(ctx))
	}
}

func (e *Engine) onProbed(p Probed) Out {
	if p.Err != nil {
		return Out{} // the next refresh's to find
	}
	if e.hints.last == nil && !e.hints.off {
		e.hints.update(p.Creations, nil) // the first figures: the baseline
		return Out{}
	}
	if e.hints.probe(p.Creations) == "" {
		return Out{}
	}
	// Leases are being made where no listing looks: refresh now.
	e.hints.update(p.Creations, nil)
	out := Out{Events: []Event{GrowthNamed{Mounts: e.hints.hot}}}
	out.add(e.start(true))
	return out
}

// lookup looks ids up, a few at a time, and answers with one Lookups.
func (e *Engine) lookup(ids []string) Task {
	ctx, cl, conc := e.ctx, e.cl, max(e.opt.Concurrency, 1)
	return func() Input {
		var (
			mu  sync.Mutex
			out Lookups
			wg  sync.WaitGroup
			sem = make(chan struct{}, min(conc, 16))
		)
		for _, id := range ids {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				l, err := cl.Lookup(ctx, id)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					out.Leases = append(out.Leases, l)
				case errors.Is(err, vaultclient.ErrInvalidLease):
					out.Vanished = append(out.Vanished, id)
				case ctx.Err() == nil:
					out.Errs = append(out.Errs, err)
				}
			}()
		}
		wg.Wait()
		return out
	}
}

func (e *Engine) onLookups(in Lookups) Out {
	now := e.now()
	for _, l := range in.Leases {
		ApplyLookup(e.idx, l)
	}
	for _, id := range in.Vanished {
		e.idx.MarkGone(id, now)
	}
	if len(in.Errs) > 0 {
		return Out{Events: []Event{LookupsFailed{N: len(in.Errs), Err: in.Errs[0]}}}
	}
	return Out{}
}
