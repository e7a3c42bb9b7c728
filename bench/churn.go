package main

// Figures 18 and 19 (issue 23): a lease explosion is also a churn storm.
// 18: leases revoked while leasetop crawls must not slow the crawl (a
// lookup that finds its lease gone says nothing about Vault's load). 19:
// opened while one prefix grows, leasetop names it within two refresh
// intervals of the counts, not once the first crawl is over.

import (
	"context"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/leasetop/leasetop/internal/devvault"
	"github.com/leasetop/leasetop/internal/seed"
)

func churnName(o bigOpts) string {
	return fmt.Sprintf("18. full crawl at %s while leases are revoked at a steady rate: the UI (to \"refreshed\") vs the mean of a raw lookup loop just before it and one just after, all facing the churn; median of %s",
		o.size(), plural(max(1, o.rounds), "round"))
}

// churnFigure is figure 18. Both the raw loops and leasetop go through one
// counting proxy, which counts their lookups and the 400s among them;
// the revocations go to Vault directly. The victims are drawn at random
// from every leased-KV lease, so every crawl meets the same churn. The
// rate is set from a sample of lookups so that about o.churnShare of a
// crawl's lookups find their lease gone: a lease revoked at a random
// moment of the crawl has been looked up already half the time, so the
// rate is twice the share of the lookup rate. The sample reads slower
// than a whole crawl (1,765 against 2,054-2,930 lookups/s in one run at
// 30k), so the share asked for is above the 1% the target needs.
func churnFigure(ctx context.Context, bin string, srv *devvault.Server, rootAPI *api.Client, o bigOpts) (figure, error) {
	p, err := newLookupProxy(srv.Addr)
	if err != nil {
		return figure{}, err
	}
	defer p.Close()
	via, err := srv.Client()
	if err != nil {
		return figure{}, err
	}
	if err := via.SetAddress(p.URL); err != nil {
		return figure{}, err
	}

	_, listings, err := rawListWalk(ctx, rootAPI, o.conc)
	if err != nil {
		return figure{}, err
	}
	var victims []string
	for _, l := range listings {
		for _, id := range l.ids {
			if strings.HasPrefix(id, "secret/") {
				victims = append(victims, id)
			}
		}
	}
	rand.Shuffle(len(victims), func(i, j int) { victims[i], victims[j] = victims[j], victims[i] })
	sample := victims[len(victims)-min(len(victims), 5000):] // revoked last, if ever
	took, _, err := rawLookups(ctx, via, sample, o.conc, false)
	if err != nil {
		return figure{}, err
	}
	lookupRate := float64(len(sample)) / took.Seconds()
	rate := 2 * o.churnShare * lookupRate
	fmt.Printf("churn: %.0f lookups/s in a sample through the proxy: revoking %.1f leases/s, for about %.1f%% of a crawl's lookups to answer 400\n",
		lookupRate, rate, 100*o.churnShare)
	rev := &revoker{c: rootAPI, victims: victims[:len(victims)-len(sample)]}

	rounds := max(1, o.rounds)
	var (
		ratios, controls, fixedRatios []float64
		limitCosts                    []float64 // per round: the UI with the limit against without
		pairs                         []string
		minShare                      = 1.0
		sparing, looks                int
		overloaded                    int
		probeRaw, probeUI, probeFixed []time.Duration
	)
	// Beside every crawl a second client looks up one of the sample's
	// leases (never revoked) every 50 ms, straight to Vault: what a crawl
	// that keeps fewer lookups in flight buys the other clients of a Vault
	// in a churn storm (figure 16's question, asked here under churn).
	probe := func() func() []time.Duration {
		return latencyProbe(ctx, rootAPI, sample)
	}

	// rawCrawl is the raw loop: LIST everything, then look every id up,
	// both through the proxy, passing over the leases gone since.
	rawCrawl := func(label string, r int) (float64, float64, error) {
		p.reset()
		stop := rev.start(ctx, rate)
		lat := probe()
		start := time.Now()
		_, listings, err := rawListWalk(ctx, via, o.conc)
		if err == nil {
			var ids []string
			for _, l := range listings {
				ids = append(ids, l.ids...)
			}
			_, _, err = rawLookups(ctx, via, ids, o.conc, true)
		}
		took := time.Since(start)
		inFlight := p.inFlight()
		probed := lat()
		revoked, revErr := stop()
		if err == nil {
			err = revErr
		}
		if err != nil {
			return 0, 0, err
		}
		n, gone := p.counts()
		if n == 0 {
			return 0, 0, fmt.Errorf("no lookups counted at the proxy (raw loop %s)", label)
		}
		probeRaw = append(probeRaw, probed...)
		lists, listTime := p.listed()
		rate := float64(n) / took.Seconds()
		fmt.Printf("round %d: raw loop %s %s, %d lookups (%.0f/s, %.1f in flight on average), %d answered 400 (%.2f%%); %d LISTs first (%s of Vault's time); %d revoked (%.1f/s); a second client's lookups %s\n", r+1, label, took.Round(time.Second),
			n, rate, inFlight, gone, 100*float64(gone)/float64(n), lists, listTime.Round(time.Millisecond), revoked, float64(revoked)/took.Seconds(), latencyLine(probed))
		minShare = min(minShare, float64(gone)/float64(n))
		return rate, inFlight, nil
	}

	// uiCrawl is the whole binary in a terminal, through the same proxy,
	// to "refreshed".
	uiCrawl := func(label string, r int, args ...string) (float64, float64, []time.Duration, error) {
		time.Sleep(5 * time.Second)
		p.reset()
		stop := rev.start(ctx, rate)
		lat := probe()
		t, err := startTerm(bin, p.URL, srv.RootToken, args...)
		if err != nil {
			lat()
			stop()
			return 0, 0, nil, err
		}
		c, err := t.firstCrawl(0, 40*time.Minute)
		uiInFlight := p.inFlight()
		uiLookups, uiGone := p.counts()
		uiLists, uiListTime := p.listed()
		probed := lat()
		t.stop()
		revoked, revErr := stop()
		if err != nil {
			return 0, 0, nil, err
		}
		if revErr != nil {
			return 0, 0, nil, revErr
		}
		if uiLookups == 0 {
			return 0, 0, nil, fmt.Errorf("no lookups counted at the proxy (%s)", label)
		}
		uiRate := float64(uiLookups) / c.took.Seconds()
		fmt.Printf("round %d: %s %s, %d lookups (%.0f/s, %.1f in flight on average), %d answered 400 (%.2f%%); %d LISTs in all, refreshes included (%s of Vault's time); %d revoked (%.1f/s); \"sparing Vault\" on %d of %d looks at the screen; a second client's lookups %s\n", r+1, label,
			c.took.Round(time.Second), uiLookups, uiRate, uiInFlight, uiGone, 100*float64(uiGone)/float64(uiLookups), uiLists, uiListTime.Round(time.Millisecond), revoked, float64(revoked)/c.took.Seconds(), c.sparing, c.looks, latencyLine(probed))
		minShare = min(minShare, float64(uiGone)/float64(uiLookups))
		if len(args) == 0 {
			sparing, looks, overloaded = sparing+c.sparing, looks+c.looks, overloaded+c.overloaded
		}
		return uiRate, uiInFlight, probed, nil
	}

	for r := range rounds {
		before, inFlightBefore, err := rawCrawl("before", r)
		if err != nil {
			return figure{}, err
		}
		uiRate, uiInFlight, probed, err := uiCrawl("the UI's crawl", r)
		if err != nil {
			return figure{}, err
		}
		probeUI = append(probeUI, probed...)
		var fixedRate float64
		if o.churnFixed {
			// The same crawl with the adaptive limit off: what the limit
			// costs the crawl's rate and buys the second client.
			var probed []time.Duration
			if fixedRate, _, probed, err = uiCrawl("the UI's crawl with --fixed-concurrency", r, "--fixed-concurrency"); err != nil {
				return figure{}, err
			}
			probeFixed = append(probeFixed, probed...)
		}

		// The raw loop again: the UI is judged against the mean of the two
		// around it, which cancels a drift of Vault's speed over the round
		// (it slows as its heap grows and speeds up as the leases thin
		// out), and the second against the first is the method's control.
		time.Sleep(5 * time.Second)
		after, inFlightAfter, err := rawCrawl("after", r)
		if err != nil {
			return figure{}, err
		}
		raw, rawInFlight := (before+after)/2, (inFlightBefore+inFlightAfter)/2
		ratios = append(ratios, uiRate/raw)
		controls = append(controls, after/before)
		pairs = append(pairs, fmt.Sprintf("%.2fx (%.0f vs %.0f/s; %.1f vs %.1f in flight)", uiRate/raw, uiRate, raw, uiInFlight, rawInFlight))
		if o.churnFixed {
			fixedRatios = append(fixedRatios, fixedRate/raw)
			limitCosts = append(limitCosts, uiRate/fixedRate)
		}
		time.Sleep(5 * time.Second)
	}
	m := median(ratios)
	second := fmt.Sprintf("a second client's lookup p99 beside the raw loops %s, beside the UI %s", ms(pctile(probeRaw, 99)), ms(pctile(probeUI, 99)))
	if o.churnFixed {
		// The limit's own cost under churn: the UI with it against the
		// same UI without it, paired within each round.
		second += fmt.Sprintf("; with --fixed-concurrency the UI read %.2fx, the second client's p99 %s; the limit's cost, the UI with it against without: %.2fx",
			median(fixedRatios), ms(pctile(probeFixed, 99)), median(limitCosts))
	}
	return figure{churnName(o),
		fmt.Sprintf("UI %.2fx (rounds: %s); control, the raw loop after the UI against the one before: %.2fx; \"sparing Vault\" on %d of %d looks at the screen, %d of them because Vault \"said it is overloaded\" (the rest: slow answers); %d leases revoked in all; %s",
			m, strings.Join(pairs, "; "), median(controls), sparing, looks, overloaded, rev.next, second),
		[]check{atLeast("UI", m, 0.9, "x"), atLeast("400s in every crawl", 100*minShare, 1, "% of lookups"), atMost(`"sparing Vault" for overload`, float64(overloaded), 0, " looks")}, false}, nil
}

// latencyProbe looks up ids, one at a time, every 50 ms, straight to
// Vault, until the returned stop, which gives the round trips.
func latencyProbe(ctx context.Context, c *api.Client, ids []string) (stop func() []time.Duration) {
	ctx, cancel := context.WithCancel(ctx)
	var lat []time.Duration
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ctx.Err() == nil; i++ {
			start := time.Now()
			_, err := c.Logical().WriteWithContext(ctx, "sys/leases/lookup", map[string]any{"lease_id": ids[(i*7919)%len(ids)]})
			if err == nil {
				lat = append(lat, time.Since(start))
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return func() []time.Duration {
		cancel()
		<-done
		return lat
	}
}

// pctile is the p-th percentile of lat; 0 when it is empty.
func pctile(lat []time.Duration, p int) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// latencyLine is a probe's round trips in words.
func latencyLine(lat []time.Duration) string {
	if len(lat) == 0 {
		return "(none answered)"
	}
	return fmt.Sprintf("(%d): median %s, p99 %s", len(lat), ms(pctile(lat, 50)), ms(pctile(lat, 99)))
}

// revoker revokes victims in order, at a steady rate, while started.
type revoker struct {
	c       *api.Client
	victims []string
	next    int // victims revoked or being revoked
}

// start revokes at rate a second until stop, which says how many it
// revoked and the first error. Eight revocations may be in flight: one
// at a time could not keep up with the rate on a busy Vault.
func (r *revoker) start(ctx context.Context, rate float64) (stop func() (int, error)) {
	ctx, cancel := context.WithCancel(ctx)
	jobs := make(chan string)
	var (
		wg       sync.WaitGroup
		done     atomic.Int64
		firstErr atomic.Value
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				if _, err := r.c.Logical().WriteWithContext(ctx, "sys/leases/revoke", map[string]any{"lease_id": id, "sync": true}); err != nil {
					if ctx.Err() == nil {
						firstErr.CompareAndSwap(nil, err)
					}
					continue
				}
				done.Add(1)
			}
		}()
	}
	paced := make(chan struct{})
	go func() {
		defer close(paced)
		defer close(jobs)
		if rate <= 0 {
			<-ctx.Done()
			return
		}
		every := time.Duration(float64(time.Second) / rate)
		begin := time.Now()
		for i := 0; r.next < len(r.victims); i++ {
			if wait := time.Until(begin.Add(time.Duration(i) * every)); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
			select {
			case <-ctx.Done():
				return
			case jobs <- r.victims[r.next]:
				r.next++
			}
		}
	}()
	return func() (int, error) {
		cancel()
		<-paced
		wg.Wait()
		err, _ := firstErr.Load().(error)
		return int(done.Load()), err
	}
}

// lookupProxy forwards to Vault and counts the lease lookups it passes,
// and those answered 400 (the lease was gone). It keeps connections to
// Vault alive for every client in flight, so that it adds a hop, not a
// handshake per request.
type lookupProxy struct {
	URL           string
	srv           *httptest.Server
	lookups, gone atomic.Int64
	// lists and listTime: the LISTs passed and Vault's time on them; a
	// crawl's refreshes list beside its lookups.
	lists, listTime atomic.Int64
	// inLook is the lookups in flight now; area integrates it over time
	// since since (in-flight x ns), for the mean a crawl kept in flight.
	flightMu     sync.Mutex
	inLook       int
	area         float64
	since, moved time.Time
}

// flight moves the lookups in flight by d, integrating the count so far.
func (p *lookupProxy) flight(d int) {
	p.flightMu.Lock()
	defer p.flightMu.Unlock()
	now := time.Now()
	p.area += float64(p.inLook) * float64(now.Sub(p.moved))
	p.inLook, p.moved = p.inLook+d, now
}

// inFlight is the mean of the lookups in flight since reset.
func (p *lookupProxy) inFlight() float64 {
	p.flight(0)
	p.flightMu.Lock()
	defer p.flightMu.Unlock()
	if el := p.moved.Sub(p.since); el > 0 {
		return p.area / float64(el)
	}
	return 0
}

func newLookupProxy(target string) (*lookupProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 256, 256
	rp.Transport = tr
	rp.ErrorLog = log.New(io.Discard, "", 0)
	p := &lookupProxy{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "LIST" || r.URL.Query().Get("list") == "true" {
			start := time.Now()
			rp.ServeHTTP(w, r)
			p.lists.Add(1)
			p.listTime.Add(int64(time.Since(start)))
			return
		}
		if r.URL.Path != "/v1/sys/leases/lookup" || (r.Method != http.MethodPut && r.Method != http.MethodPost) {
			rp.ServeHTTP(w, r)
			return
		}
		p.flight(1)
		defer p.flight(-1)
		sw := &statusOf{ResponseWriter: w, status: http.StatusOK}
		rp.ServeHTTP(sw, r)
		p.lookups.Add(1)
		if sw.status == http.StatusBadRequest {
			p.gone.Add(1)
		}
	}))
	p.URL = p.srv.URL
	return p, nil
}

func (p *lookupProxy) reset() {
	p.lookups.Store(0)
	p.gone.Store(0)
	p.lists.Store(0)
	p.listTime.Store(0)
	p.flightMu.Lock()
	p.area, p.since, p.moved = 0, time.Now(), time.Now()
	p.flightMu.Unlock()
}

// listed is the LISTs passed since reset and Vault's time on them.
func (p *lookupProxy) listed() (int, time.Duration) {
	return int(p.lists.Load()), time.Duration(p.listTime.Load())
}
func (p *lookupProxy) counts() (int, int) { return int(p.lookups.Load()), int(p.gone.Load()) }
func (p *lookupProxy) Close()             { p.srv.Close() }

type statusOf struct {
	http.ResponseWriter
	status int
}

func (w *statusOf) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func firstGrowthName(o bigOpts) string {
	return fmt.Sprintf("19. %d new leases a minute under one quiet prefix while leasetop's first crawl of %s runs (--refresh %s): from the counts on screen to the prefix named in the status bar",
		o.firstGrowth, o.size(), o.firstRefresh)
}

// firstGrowthFigure is figure 19: one existing quiet prefix grows at
// o.firstGrowth a minute from 10 s before leasetop starts (with --refresh
// o.firstRefresh) until the status bar names it; the figure is the time
// from the counts on screen (the title counting every lease) to the name.
// Whether the first crawl was still running then is printed beside it:
// at a million leases it takes minutes, and the growth must not wait for
// it.
func firstGrowthFigure(ctx context.Context, bin string, srv *devvault.Server, s *seed.Seeder, total int, o bigOpts) (figure, error) {
	path := bigPrefix(o.prefixes - 3)
	short := path[strings.LastIndexByte(path, '/')+1:] + "/"
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var made atomic.Int64
	var growErr atomic.Value
	perSec := float64(o.firstGrowth) / 60
	go func() {
		// Paced, four reads at a time at most: one read at a time falls
		// behind 100 a second on a Vault busy with a crawl.
		sem := make(chan struct{}, 4)
		every := time.Duration(float64(time.Second) / perSec)
		begin := time.Now()
		for i := 0; ; i++ {
			if wait := time.Until(begin.Add(time.Duration(i) * every)); wait > 0 {
				select {
				case <-gctx.Done():
					return
				case <-time.After(wait):
				}
			}
			select {
			case <-gctx.Done():
				return
			case sem <- struct{}{}:
			}
			go func() {
				defer func() { <-sem }()
				if _, err := s.ReadLeasedKV(gctx, path, 1); err != nil {
					if gctx.Err() == nil {
						growErr.CompareAndSwap(nil, err)
					}
					return
				}
				made.Add(1)
			}()
		}
	}()
	growing := time.Now()
	time.Sleep(10 * time.Second)
	if err, ok := growErr.Load().(error); ok {
		return figure{}, err
	}
	t, err := startTerm(bin, srv.Addr, srv.RootToken, "--refresh", o.firstRefresh.String())
	if err != nil {
		return figure{}, err
	}
	defer t.stop()
	countsAt, err := t.waitCount(total, 10*time.Minute)
	if err != nil {
		return figure{}, err
	}
	re := regexp.MustCompile(`fastest growth: \S*` + regexp.QuoteMeta(short))
	var crawlEnd time.Duration // when the screen first said "refreshed"
	deadline := time.Now().Add(10 * time.Minute)
	for {
		sc := t.screen()
		now := time.Since(t.started)
		if crawlEnd == 0 && strings.Contains(sc, "refreshed") && !strings.Contains(sc, "crawling:") {
			crawlEnd = now
		}
		if re.MatchString(sc) {
			took := now - countsAt
			during := "still running"
			if crawlEnd != 0 {
				during = fmt.Sprintf("over at %s", crawlEnd.Round(100*time.Millisecond))
			}
			rate := float64(made.Load()) / time.Since(growing).Minutes()
			return figure{firstGrowthName(o),
				fmt.Sprintf("%s (counts at %s from the start, %s named at %s; the first crawl %s; %s grew at %.0f/min)",
					took.Round(100*time.Millisecond), countsAt.Round(100*time.Millisecond), short, now.Round(100*time.Millisecond), during, path, rate),
				[]check{atMost("", took.Seconds(), 2*o.firstRefresh.Seconds(), " s (two refreshes)")}, false}, nil
		}
		if err, ok := growErr.Load().(error); ok {
			return figure{}, err
		}
		if time.Now().After(deadline) {
			return figure{}, fmt.Errorf("%s not named within 10 minutes of the start:\n%s", short, sc)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
