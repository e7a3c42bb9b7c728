package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/leasetop/leasetop/churn"
	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

// The commands that follow growth (count --watch, check --growth) drive
// the crawl engine, the UI's own: a first crawl, then a refresh an
// interval later that lists what the engine's plan says (the whole tree
// while it is small; on a big one the prefixes that are new, cheap,
// growing or due, and every mount where Vault's figures say leases were
// made that no listing found), with the churn counted as the UI counts it.
// The one-shot commands (ls, count and check without a watch) walk once:
// the engine's plan, hints and churn only decide refreshes, which they do
// not make, and a single walk streams ls's rows as it goes.

// watched is what a watch saw.
type watched struct {
	idx *model.Index
	// crawled: the first crawl ended; failures are its failed listings
	// and lookups.
	crawled  bool
	failures []error
	// refreshes is how many refreshes ended, each an interval apart; the
	// churn is theirs. refreshErr is their last failure.
	refreshes  int
	refreshErr error
	churn      *churn.Tracker
}

// perMinute is n leases over the refreshes' intervals, a minute's worth.
func (w watched) perMinute(n int64, every time.Duration) float64 {
	return float64(n) / (float64(max(w.refreshes, 1)) * every.Minutes())
}

// scriptPolicy is the engine's policy for a watching script: the UI's,
// except that Vault's figures are read only at a refresh, not between
// refreshes. A script reports once, when its watch ends; a refresh a probe
// started early would only move where that window ends, and the figures
// read at the refresh name the same mounts.
func (a *app) scriptPolicy() crawl.Policy {
	pol := a.policy
	if pol == (crawl.Policy{}) {
		pol = crawl.DefaultPolicy()
	}
	pol.HintEvery = 0
	return pol
}

// watch crawls prefix with the engine, refreshing every interval, and
// ends when the first crawl and a refresh after it are over (or ctx
// ends). atCrawl hears the index and the failures when the first crawl
// ends, on the engine's goroutine; false ends the watch there.
func (a *app) watch(ctx context.Context, c *vaultclient.Client, prefix string, every time.Duration, atCrawl func(*model.Index, []error) bool) watched {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	tee := &teeClient{Client: c, prog: newProgress(a.stderr)}
	e := crawl.New(ctx, tee, crawl.Options{Prefix: prefix, Refresh: every, Policy: a.scriptPolicy()})
	w := watched{idx: e.Index(), churn: e.Churn()}
	said := false
	sayWatching := func() {
		if !said {
			said = true
			fmt.Fprintf(a.stderr, "watching for %s…\n", model.FormatDuration(every))
		}
	}
	over := false
	crawl.Run(ctx, e, func(ev crawl.Event) {
		if over {
			return
		}
		switch ev := ev.(type) {
		case crawl.Counted:
			// The listing is over: the refreshes' interval starts now,
			// beside the lookups.
			tee.done()
			sayWatching()
		case crawl.GrowthNamed:
			fmt.Fprintf(a.stderr, "Vault made leases under %s that no listing found: listing it whole\n", strings.Join(ev.Mounts, ", "))
		case crawl.Done:
			if ev.Poll {
				w.refreshes++
				if ev.Stats.Errors > 0 {
					w.refreshErr = ev.Stats.LastErr
				}
			} else {
				tee.done()
				w.crawled, w.failures = true, tee.failed()
				if !atCrawl(w.idx, w.failures) {
					over = true
					break
				}
				sayWatching()
			}
			over = w.crawled && w.refreshes > 0
		}
		if over {
			stop()
		}
	})
	if !w.crawled {
		tee.done()
		w.failures = tee.failed()
	}
	return w
}

// teeClient is the engine's client for a script: the first crawl's walk
// also feeds the progress line and keeps every failure (the engine's
// Stats keep the last only), as crawlIndex does.
type teeClient struct {
	*vaultclient.Client
	mu       sync.Mutex
	prog     *progress
	failures []error
}

func (t *teeClient) Walk(ctx context.Context, prefix string, opt vaultclient.WalkOptions) <-chan vaultclient.Event {
	in := t.Client.Walk(ctx, prefix, opt)
	if opt.ListOnly {
		return in
	}
	out := make(chan vaultclient.Event)
	go func() {
		defer close(out)
		for ev := range in {
			t.mu.Lock()
			t.prog.event(ev)
			if ev.Kind == vaultclient.EventError {
				t.failures = append(t.failures, ev.Err)
			}
			t.mu.Unlock()
			select {
			case out <- ev:
			case <-ctx.Done(): // the walk ends; drain it
			}
		}
	}()
	return out
}

func (t *teeClient) failed() []error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]error(nil), t.failures...)
}

func (t *teeClient) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.prog.done()
}
