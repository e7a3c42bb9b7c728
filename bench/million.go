package main

// Figures 11-19: a million leases (issue 12; 18 and 19 from issue 23, in
// churn.go). They measure the program the operator runs — the leasetop
// binary in a terminal (tmux), read off its screen — against the
// plainest loops over the api package, on one dev Vault seeded with
// -big-leases real leases over -big-prefixes prefixes of uneven sizes
// plus token leases.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"

	"github.com/leasetop/leasetop/internal/devvault"
	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/seed"
	"github.com/leasetop/leasetop/model"
)

type bigOpts struct {
	leases, prefixes, tokens int
	selected                 int // the size of the prefix selected mid-crawl (figure 12)
	growth                   int // leases a minute the growth loop adds (figure 17)
	conc                     int
	refresh                  time.Duration // leasetop's default
	rounds                   int           // pairs of crawls in figures 13 and 18
	idlePairs, controlPairs  int           // figure 15's pairs of windows, and its control's
	idleWindow               time.Duration // figure 15's window
	churnShare               float64       // figure 18: the share of lookups meant to answer 400
	churnFixed               bool          // figure 18: a crawl with --fixed-concurrency too
	firstGrowth              int           // figure 19: leases a minute under the growing prefix
	firstRefresh             time.Duration // figure 19: leasetop's --refresh
}

// bigLayout spreads n leases over p prefixes of uneven sizes (a Zipf-like
// fall from the biggest), with prefix sel holding exactly selSize.
func bigLayout(n, p, sel, selSize int) []int {
	sizes := make([]int, p)
	w := make([]float64, p)
	sum := 0.0
	for i := range p {
		if i != sel {
			w[i] = 1 / math.Pow(float64(i+1), 0.9)
			sum += w[i]
		}
	}
	rest := n - selSize
	given := 0
	for i := range p {
		if i != sel {
			sizes[i] = max(1, int(float64(rest)*w[i]/sum))
			given += sizes[i]
		}
	}
	sizes[sel] = selSize
	sizes[0] += rest - given // rounding
	return sizes
}

func bigPrefix(i int) string { return fmt.Sprintf("big/p%03d", i) }

// bigFigures seeds the million and measures figures 11 to 19. The
// figures that add leases (17, 19) come after those that count the tree,
// and the churn (18), which revokes leases, comes last.
func bigFigures(ctx context.Context, srv *devvault.Server, rootAPI *api.Client, o bigOpts) ([]figure, error) {
	sel := o.prefixes / 2
	sizes := bigLayout(o.leases-o.tokens, o.prefixes, sel, o.selected)
	start := time.Now()
	s := &seed.Seeder{C: rootAPI, Concurrency: 32}
	done := 0
	for i, n := range sizes {
		if _, err := s.LeasedKV(ctx, bigPrefix(i), 48*time.Hour, n); err != nil {
			return nil, err
		}
		if done += n; i%50 == 0 {
			fmt.Printf("  seeded %d leases (%s)\n", done, time.Since(start).Round(time.Second))
		}
	}
	if _, err := s.Tokens(ctx, 48*time.Hour, o.tokens); err != nil {
		return nil, err
	}
	fmt.Printf("seeded %d leases over %d prefixes (%d to %d leases each) and %d token leases in %s\n",
		o.leases-o.tokens, o.prefixes, slices.Min(sizes), slices.Max(sizes), o.tokens, time.Since(start).Round(time.Second))

	bin, err := buildLeasetop()
	if err != nil {
		return nil, err
	}
	selPrefix := "secret/" + bigPrefix(sel) + "/"
	var figs []figure
	add := func(f figure) {
		fmt.Printf("  %s: %s [%s]\n", f.name, f.value, f.verdict())
		figs = append(figs, f)
	}

	listTook, listings, err := rawListWalk(ctx, rootAPI, o.conc)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, l := range listings {
		ids = append(ids, l.ids...)
	}
	total := len(ids)
	fmt.Printf("raw LIST-only walk: %d leases in %s\n", total, listTook.Round(time.Millisecond))

	// 12 (before the growth of 17 adds a prefix to the tree): select a prefix of o.selected leases while the crawl runs; time
	// its lookups at a proxy, against looking them up alone.
	if want(12) {
		if fig, err := focusFigure(ctx, bin, srv, rootAPI, listings, selPrefix, sel, o); err != nil {
			add(failedFigure(fmt.Sprintf("12. TTLs of a selected %d-lease prefix during the %s crawl vs alone", o.selected, o.size()), err, atMost("", 0, 2, "x")))
		} else {
			add(fig)
		}
	}

	if want(11) {
		fig, err := countsFigure(ctx, bin, srv, rootAPI, total, o)
		if err != nil {
			fig = failedFigure("11. whole-tree counts on screen vs raw LIST-only walk ("+o.size()+")", err, atMost("", 0, 1.5, "x"))
		}
		add(fig)
	}

	// The UI, start to finish: the full crawl (13, in pairs with the raw
	// loop), then memory, idle cost and growth on the last crawl's UI.
	if want(13) || want(14) || want(15) || want(17) {
		rounds := 1
		if want(13) {
			rounds = max(1, o.rounds)
		}
		var (
			t                 *term
			uiRatios, lsRatio []float64
			pairs             []string
			sparing, looks    int
		)
		for r := range rounds {
			if t != nil {
				t.stop()
				time.Sleep(5 * time.Second) // the lookups in flight, done
			}
			var rawRate float64
			if want(13) {
				// `leasetop ls -r`, the same crawl without the UI, then the
				// raw loop, then the UI: the raw loop sits beside both.
				lsTook, lsLines, lsCPU, err := timeLs(ctx, bin, srv)
				if err != nil {
					return nil, err
				}
				if lsLines != total {
					return nil, fmt.Errorf("ls -r printed %d leases, want %d", lsLines, total)
				}
				listTook, listings, err := rawListWalk(ctx, rootAPI, o.conc)
				if err != nil {
					return nil, err
				}
				var ids []string
				for _, l := range listings {
					ids = append(ids, l.ids...)
				}
				rawTook, _, err := rawLookups(ctx, rootAPI, ids, o.conc, false)
				if err != nil {
					return nil, err
				}
				rawRate = float64(len(ids)) / (listTook + rawTook).Seconds()
				lsRate := float64(total) / lsTook.Seconds()
				lsRatio = append(lsRatio, lsRate/rawRate)
				fmt.Printf("round %d: ls -r %s (%.0f leases/s, CPU %s); raw lookup loop %s (%.0f leases/s)\n", r+1,
					lsTook.Round(time.Second), lsRate, lsCPU.Round(100*time.Millisecond), (listTook + rawTook).Round(time.Second), rawRate)
			}
			if t, err = startTerm(bin, srv.Addr, srv.RootToken); err != nil {
				return nil, err
			}
			c, err := t.firstCrawl(total, 40*time.Minute)
			if err != nil {
				t.stop()
				return nil, err
			}
			sparing, looks = sparing+c.sparing, looks+c.looks
			uiRate, uiCPU := float64(total)/c.took.Seconds(), procCPU(t.pid())
			fmt.Printf("round %d: the UI's crawl %s (%.0f leases/s, CPU %s; \"sparing Vault\" on %d of %d looks at the screen)\n", r+1,
				c.took.Round(time.Second), uiRate, uiCPU.Round(100*time.Millisecond), c.sparing, c.looks)
			if want(13) {
				uiRatios = append(uiRatios, uiRate/rawRate)
				pairs = append(pairs, fmt.Sprintf("UI %.2fx, ls -r %.2fx", uiRate/rawRate, lsRatio[r]))
			}
		}
		if want(13) {
			ui, ls := median(uiRatios), median(lsRatio)
			add(figure{fmt.Sprintf("13. full crawl at %s: the UI (to \"refreshed\") with a raw lookup loop just before it, ls -r just before that; median of %s", o.size(), plural(rounds, "pair")),
				fmt.Sprintf("UI %.2fx, ls -r %.2fx (pairs: %s; \"sparing Vault\" on %d of %d looks at the UI's screen)", ui, ls, strings.Join(pairs, "; "), sparing, looks),
				[]check{atLeast("UI", ui, 0.9, "x"), atLeast("ls -r", ls, 0.9, "x")}, false})
		}
		time.Sleep(3 * time.Second)
		rss, hwm := procMem(t.pid())
		if want(14) {
			heap, err := indexHeap(listings)
			if err != nil {
				t.stop()
				return nil, err
			}
			add(figure{"14a. index heap per lease at " + o.size() + "; leasetop's RSS after the crawl (peak)",
				fmt.Sprintf("%.0f B; %d MB (peak %d MB)", heap, rss>>20, hwm>>20),
				[]check{atMost("heap", heap, 128, " B"), atMost("peak RSS", float64(hwm>>20), 256, " MB")}, false})
		}
		if want(15) {
			add(idleFigure(rootAPI, srv.Pid(), t.pid(), o))
		}
		status := t.screen()
		if i := strings.LastIndex(status, "refreshed"); i >= 0 {
			fmt.Printf("  status bar: %s\n", strings.TrimSpace(status[i:min(len(status), i+150)]))
		}

		// 17: growth of o.growth a minute, under a new prefix, then under an
		// existing quiet one; how long until the status bar names it.
		// The status bar names the prefix that made the most leases over the
		// last 2 minutes, so the second growth would have to out-count the
		// first before it could be named: it starts once the first is no
		// longer named (about 2 minutes after it stops).
		growths := []struct{ what, path string }{{"a new prefix", "big/burst"}, {"an existing quiet prefix", bigPrefix(o.prefixes - 7)}}
		if !want(17) {
			growths = nil
		}
		for i, g := range growths {
			if i > 0 {
				// Gone for 20 s in a row: a refresh's own status hides the
				// growth for a moment, which is not the growth leaving.
				waited, absent := time.Now(), time.Time{}
				for time.Since(waited) < 10*time.Minute && (absent.IsZero() || time.Since(absent) < 20*time.Second) {
					if strings.Contains(t.screen(), "fastest growth:") {
						absent = time.Time{}
					} else if absent.IsZero() {
						absent = time.Now()
					}
					time.Sleep(time.Second)
				}
				fmt.Printf("  (the last growth left the status bar after %s)\n", time.Since(waited).Round(time.Second))
			}
			name := "17. " + o.growthLabel() + " under " + g.what + " named in the status bar (from the first new lease)"
			limit := o.refresh.Seconds()
			took, err := growthNamed(ctx, s, t, g.path, o.growth, 2*relistWait(o.refresh))
			if err != nil {
				add(failedFigure(name, fmt.Errorf("not named: %w", err), atMost("", 0, limit, " s")))
				continue
			}
			add(figure{name, fmt.Sprintf("after %s (%.1f refresh intervals)", took.Round(100*time.Millisecond), took.Seconds()/o.refresh.Seconds()),
				[]check{atMost("", took.Seconds(), limit, " s (one refresh)")}, false})
		}
		t.stop()
	}

	// 16: a second client's lookups while leasetop crawls, limiter on and off.
	if want(16) {
		fig, err := limiterFigure(ctx, bin, srv, rootAPI, ids)
		if err != nil {
			fig = failedFigure("16. second client's lookup p99 during a crawl", err, atMost("p99", 0, 3, "x idle"), atLeast("crawl", 0, 0.5, "x"))
		}
		add(fig)
	}
	if want(14) {
		// 14b: View and a key press at 1M, from the ui package's benchmarks.
		add(bigViewFigure())
	}
	if want(19) {
		fig, err := firstGrowthFigure(ctx, bin, srv, s, total, o)
		if err != nil {
			fig = failedFigure(firstGrowthName(o), err, atMost("", 0, 2*o.firstRefresh.Seconds(), " s"))
		}
		add(fig)
	}
	if want(18) {
		fig, err := churnFigure(ctx, bin, srv, rootAPI, o)
		if err != nil {
			fig = failedFigure(churnName(o), err, atLeast("UI", 0, 0.9, "x"))
		}
		add(fig)
	}
	if want(20) {
		fig, err := serveFigure(ctx, bin, srv, rootAPI, o)
		if err != nil {
			fig = failedFigure(fmt.Sprintf(serveName, o.size(), serveScrapes), err, atMost("scrape", 0, 100, " ms"))
		}
		add(fig)
	}
	return figs, nil
}

// median of a non-empty slice; with an even count, the mean of the two
// in the middle.
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 0 {
		return (s[m-1] + s[m]) / 2
	}
	return s[m]
}

// countsFigure is figure 11: leasetop's first screen to the whole tree's
// count, against a raw LIST-only walk timed just before it, in three
// pairs; the median of the pairs' ratios. One pair, with the raw walk
// timed minutes earlier (before figures 12 and 13 crawled the million),
// read 1.11x to 2.21x across runs: at a million leases Vault's own work
// drifts and bursts (in one hour of throwaway runs a LIST of the root
// took 0.6 s from curl and 1.0 to 1.8 s as a walk's first request), and a
// raw walk beside each start falls in the same weather.
func countsFigure(ctx context.Context, bin string, srv *devvault.Server, rootAPI *api.Client, total int, o bigOpts) (figure, error) {
	const pairs = 3
	var ratios []float64
	var each []string
	for range pairs {
		rawTook, _, err := rawListWalk(ctx, rootAPI, o.conc)
		if err != nil {
			return figure{}, err
		}
		t, err := startTerm(bin, srv.Addr, srv.RootToken)
		if err != nil {
			return figure{}, err
		}
		countsAt, err := t.waitCount(total, 10*time.Minute)
		t.stop()
		if err != nil {
			return figure{}, err
		}
		ratios = append(ratios, countsAt.Seconds()/rawTook.Seconds())
		each = append(each, fmt.Sprintf("%s vs %s", countsAt.Round(time.Millisecond), rawTook.Round(time.Millisecond)))
		time.Sleep(5 * time.Second) // the lookups the UI began, done
	}
	m := median(ratios)
	return figure{"11. whole-tree counts on screen vs raw LIST-only walk (" + o.size() + "; median of 3 pairs)",
		fmt.Sprintf("%.2fx (pairs: %s)", m, strings.Join(each, ", ")), []check{atMost("", m, 1.5, "x")}, false}, nil
}

// size is the lease count in short: 1M, 30k.
func (o bigOpts) size() string {
	if o.leases >= 1000000 && o.leases%1000000 == 0 {
		return fmt.Sprintf("%dM", o.leases/1000000)
	}
	return fmt.Sprintf("%dk", o.leases/1000)
}

func (o bigOpts) growthLabel() string { return fmt.Sprintf("growth of %d/min", o.growth) }

// relistWait is about the longest a quiet prefix waits for a re-listing:
// twenty refreshes (ui.relistEvery).
func relistWait(refresh time.Duration) time.Duration { return 20 * refresh }

// buildLeasetop builds the binary the operator runs.
func buildLeasetop() (string, error) {
	dir, err := tempDir("leasetop-bench-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "leasetop")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v: %s", err, out)
	}
	return bin, nil
}

// childrenBefore counts the listed prefixes directly under parent that
// sort before child: the tree rows between parent's row and child's.
func childrenBefore(listings []rawListing, parent, child string) int {
	n := 0
	for _, l := range listings {
		rest, ok := strings.CutPrefix(l.prefix, parent)
		if ok && rest != "" && strings.Count(rest, "/") == 1 && strings.HasSuffix(rest, "/") && l.prefix < child {
			n++
		}
	}
	return n
}

type rawListing struct {
	prefix string
	ids    []string
}

// rawListWalk lists every prefix under sys/leases/lookup/, conc LISTs in
// flight: the least any tool must do to count the leases.
func rawListWalk(ctx context.Context, c *api.Client, conc int) (time.Duration, []rawListing, error) {
	start := time.Now()
	var (
		mu       sync.Mutex
		out      []rawListing
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, conc)
	)
	var list func(prefix string)
	list = func(prefix string) {
		defer wg.Done()
		sem <- struct{}{}
		sec, err := c.Logical().ListWithContext(ctx, "sys/leases/lookup/"+prefix)
		<-sem
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			firstErr = err
			return
		}
		if sec == nil {
			return
		}
		keys, _ := sec.Data["keys"].([]any)
		l := rawListing{prefix: prefix}
		for _, k := range keys {
			k := k.(string)
			if strings.HasSuffix(k, "/") {
				wg.Add(1)
				go list(prefix + k)
			} else {
				l.ids = append(l.ids, prefix+k)
			}
		}
		out = append(out, l)
	}
	wg.Add(1)
	go list("")
	wg.Wait()
	return time.Since(start), out, firstErr
}

// rawLookups looks every id up, conc at a time. With gone, a lease
// revoked since it was listed (400) is counted and passed over, as any
// tool facing churn must; without, it is an error.
func rawLookups(ctx context.Context, c *api.Client, ids []string, conc int, gone bool) (time.Duration, int, error) {
	start := time.Now()
	var next, vanished atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ids) {
					return
				}
				if _, err := c.Logical().WriteWithContext(ctx, "sys/leases/lookup", map[string]any{"lease_id": ids[i]}); err != nil {
					var re *api.ResponseError
					if gone && errors.As(err, &re) && re.StatusCode == http.StatusBadRequest {
						vanished.Add(1)
						continue
					}
					firstErr.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return 0, 0, err
	}
	return time.Since(start), int(vanished.Load()), nil
}

// benchEnv is the environment of a leasetop run: Vault's address and
// token, and a HOME of its own so no config file or token helper of this
// machine's user gets in.
func benchEnv(addr, token string) []string {
	home, _ := tempDir("leasetop-bench-home")
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TERM=xterm-256color", "VAULT_ADDR=" + addr, "VAULT_TOKEN=" + token}
	return append(env, leasetopEnv...)
}

// tempDirs are the folders the run made, removed when it ends.
var (
	tempMu   sync.Mutex
	tempDirs []string
)

func tempDir(pattern string) (string, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err == nil {
		tempMu.Lock()
		tempDirs = append(tempDirs, dir)
		tempMu.Unlock()
	}
	return dir, err
}

func removeTempDirs() {
	tempMu.Lock()
	defer tempMu.Unlock()
	for _, d := range tempDirs {
		_ = os.RemoveAll(d)
	}
	tempDirs = nil
}

// leasetopEnv is more of leasetop's environment (-leasetop-env), e.g.
// GOMAXPROCS=2 to measure it as it ran before it took half the cores.
var leasetopEnv []string

// timeLs runs `leasetop ls -r -o jsonl` over everything and counts lines.
// It also returns the CPU time ls used.
func timeLs(ctx context.Context, bin string, srv *devvault.Server) (time.Duration, int, time.Duration, error) {
	cmd := exec.CommandContext(ctx, bin, "ls", "-r", "-o", "jsonl")
	cmd.Env = benchEnv(srv.Addr, srv.RootToken)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, 0, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	lines := 0
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines++
	}
	if err := cmd.Wait(); err != nil {
		return 0, 0, 0, fmt.Errorf("ls -r: %v: %s", err, stderr.String())
	}
	return time.Since(start), lines, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// term is leasetop running in a tmux session of its own, 200x50.
type term struct {
	sock, name string
	started    time.Time
}

func startTerm(bin, addr, token string, args ...string) (*term, error) {
	if _, err := exec.LookPath("tmux"); err != nil {
		return nil, fmt.Errorf("figures 11-19 drive leasetop in tmux: %w", err)
	}
	t := &term{sock: fmt.Sprintf("leasetop-bench-%d", os.Getpid()), name: "b"}
	// "; exit" keeps the shell as the pane's process, leasetop its child:
	// tmux sends SIGCONT to a pane's process the moment it stops, so a
	// SIGSTOP of leasetop as the pane's own process lasted no time at all,
	// and figure 15's "stopped" windows had leasetop running.
	line := strings.Join(append([]string{bin}, args...), " ") + "; exit"
	cmd := exec.Command("tmux", "-L", t.sock, "new-session", "-d", "-s", t.name, "-x", "200", "-y", "50", line)
	cmd.Env = benchEnv(addr, token)
	t.started = time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("tmux: %v: %s", err, out)
	}
	return t, nil
}

func (t *term) screen() string {
	out, _ := exec.Command("tmux", "-L", t.sock, "capture-pane", "-p", "-t", t.name).Output()
	return string(out)
}

// waitFor polls the screen every poll until it shows s; the time is from
// the program's start.
func (t *term) waitFor(s string, limit, poll time.Duration) (time.Duration, error) {
	deadline := time.Now().Add(limit)
	for {
		if strings.Contains(t.screen(), s) {
			return time.Since(t.started), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("the screen did not show %q within %s:\n%s", s, limit, t.screen())
		}
		time.Sleep(poll)
	}
}

// waitCount polls the screen until the title counts at least n leases.
func (t *term) waitCount(n int, limit time.Duration) (time.Duration, error) {
	re := regexp.MustCompile(`│  (\d+) leases`)
	deadline := time.Now().Add(limit)
	for {
		if m := re.FindStringSubmatch(t.screen()); m != nil {
			if got, _ := strconv.Atoi(m[1]); got >= n {
				return time.Since(t.started), nil
			}
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("the screen did not count %d leases within %s:\n%s", n, limit, t.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// crawled is what the screen showed during a first crawl.
type crawled struct {
	took           time.Duration // from the program's start to "refreshed"
	sparing, looks int           // looks at the screen that said "sparing Vault", of all
	// overloaded: the looks whose "sparing Vault" gave Vault's saying it
	// was overloaded as the reason (the rest: slow answers).
	overloaded int
}

// firstCrawl polls the screen every 250 ms until the first crawl is over
// ("refreshed" in the status bar and no "crawling:", the title counting
// at least n leases), and counts the looks that found the status bar
// "sparing Vault".
func (t *term) firstCrawl(n int, limit time.Duration) (crawled, error) {
	var c crawled
	re := regexp.MustCompile(`│  (\d+) leases`)
	deadline := time.Now().Add(limit)
	for {
		sc := t.screen()
		c.looks++
		if strings.Contains(sc, "sparing Vault") {
			c.sparing++
			if strings.Contains(sc, "said it is overloaded") {
				c.overloaded++
			}
		}
		if strings.Contains(sc, "refreshed") && !strings.Contains(sc, "crawling:") {
			if m := re.FindStringSubmatch(sc); m != nil {
				if got, _ := strconv.Atoi(m[1]); got >= n {
					c.took = time.Since(t.started)
					return c, nil
				}
			}
		}
		if time.Now().After(deadline) {
			return c, fmt.Errorf("the first crawl did not end within %s:\n%s", limit, sc)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (t *term) keys(keys ...string) error {
	return exec.Command("tmux", append([]string{"-L", t.sock, "send-keys", "-t", t.name}, keys...)...).Run()
}

// pid is leasetop's process: the only child of the pane's shell.
func (t *term) pid() int {
	out, _ := exec.Command("tmux", "-L", t.sock, "list-panes", "-t", t.name, "-F", "#{pane_pid}").Output()
	shell := strings.TrimSpace(string(out))
	kids, _ := os.ReadFile("/proc/" + shell + "/task/" + shell + "/children")
	pid, _ := strconv.Atoi(strings.TrimSpace(string(kids)))
	return pid
}

func (t *term) stop() { _ = exec.Command("tmux", "-L", t.sock, "kill-server").Run() }

// procMem is a process's resident set now and at its peak, in bytes.
func procMem(pid int) (rss, hwm int64) {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			switch f[0] {
			case "VmRSS:":
				rss = v << 10
			case "VmHWM:":
				hwm = v << 10
			}
		}
	}
	return rss, hwm
}

// procCPU is a process's user+system CPU time so far.
func procCPU(pid int) time.Duration {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		f := strings.Fields(s[i+1:])
		if len(f) > 13 {
			ut, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			return time.Duration(ut+st) * time.Second / 100 // USER_HZ
		}
	}
	return 0
}

// idleFigure is figure 15: Vault's CPU with an idle leasetop attached,
// against Vault's with that leasetop stopped (SIGSTOP), in pairs of
// windows. Vault's own idle work drifts by several points over minutes at
// a million leases (33% and 25% of a core in two idle windows six minutes
// apart), so each attached window is paired with a stopped one beside it.
// Vault also has bursts of work of its own, about every two minutes at a
// million leases (89% and 100% of a core in two 15 s windows with
// leasetop stopped, against 20-26%): a burst decides a mean, so the
// figure is the median of the pairs' differences. With the pairs in a
// fixed order (attached, stopped, stopped, attached, …: a 60 s cycle at
// 15 s windows) those bursts aliased with the cycle and fell on the
// stopped windows in four runs out of four; each pair's order is drawn at
// random instead. A control of pairs with leasetop stopped in both
// windows, drawn and interleaved the same way, measures the method's own
// bias, printed beside the figure.
func idleFigure(c *api.Client, vault, leasetop int, o bigOpts) figure {
	name := fmt.Sprintf("15. Vault CPU with an idle leasetop attached (%s, refresh %s) minus with it stopped: median of %s of %s windows in random order; control: %s stopped in both",
		o.size(), o.refresh, plural(o.idlePairs, "pair"), o.idleWindow, plural(o.controlPairs, "pair"))
	const limit = 1.0 // % of a core
	p, err := vaultCPUPaired(c, vault, leasetop, o.idlePairs, o.controlPairs, o.idleWindow, 30*time.Second)
	if err != nil {
		return failedFigure(name, err, atMost("", 0, limit, "% of a core"))
	}
	return figure{name, fmt.Sprintf("%.2f%% of a core (the method's own bias, the control's median: %.2f); the means: %.2f%% attached vs %.2f%% stopped; Vault answered per attached window: %s; leasetop's own CPU attached: %.1f%% of a core",
		p.median, p.bias, p.with, p.without, p.asked, p.own), []check{atMost("", p.median, limit, "% of a core")}, false}
}

type pairedCPU struct {
	median, bias  float64 // the pairs' median difference, and the control's
	with, without float64 // the means over the attached and the stopped windows
	each          string  // every pair, in the order measured
	asked         string  // Vault's requests per attached window beyond the stopped ones', by route
	own           float64 // leasetop's own CPU while attached, % of a core
}

// vaultCPUPaired measures Vault's CPU (percent of a core) in pairs of
// windows of win after waiting settle (so that what Vault does after the
// crawl's million lookups is not charged to the first window): pairs
// with leasetop attached in one window and stopped in the other, in an
// order drawn for each pair, and control pairs with it stopped in both,
// whose "attached" slot is drawn the same way; the two kinds shuffled
// together. A pair's difference is its attached slot minus its other
// window. A stop that did not take (leasetop used CPU while stopped) is
// an error.
func vaultCPUPaired(c *api.Client, vault, leasetop, pairs, control int, win, settle time.Duration) (pairedCPU, error) {
	var r pairedCPU
	if pairs < 1 {
		return r, fmt.Errorf("no pairs to measure")
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 15))
	kinds := make([]bool, pairs+control) // true: a real pair
	for i := range pairs {
		kinds[i] = true
	}
	rng.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	time.Sleep(settle)
	attachedRoutes, stoppedRoutes := map[string]routeStat{}, map[string]routeStat{}
	var ownCPU time.Duration // leasetop's, over its attached windows
	stopped := false
	defer func() {
		if stopped {
			_ = syscall.Kill(leasetop, syscall.SIGCONT)
		}
	}()
	// window measures Vault over win with leasetop running or stopped.
	window := func(running bool) (float64, error) {
		if running && stopped {
			if err := syscall.Kill(leasetop, syscall.SIGCONT); err != nil {
				return 0, err
			}
			stopped = false
		} else if !running && !stopped {
			if err := syscall.Kill(leasetop, syscall.SIGSTOP); err != nil {
				return 0, err
			}
			stopped = true
		}
		routesBefore, rerr := vaultRoutes(c)
		before, ltBefore := procCPU(vault), procCPU(leasetop)
		time.Sleep(win)
		u, lt := procCPU(vault)-before, procCPU(leasetop)-ltBefore
		if running {
			ownCPU += lt
		}
		if routesAfter, err := vaultRoutes(c); rerr == nil && err == nil {
			sums := stoppedRoutes
			if running {
				sums = attachedRoutes
			}
			for k, d := range routeDiff(routesBefore, routesAfter) {
				s := sums[k]
				sums[k] = routeStat{s.count + d.count, s.ms + d.ms}
			}
		}
		if !running && lt > 50*time.Millisecond {
			return 0, fmt.Errorf("leasetop used %s of CPU while stopped: the stop did not take", lt)
		}
		return 100 * u.Seconds() / win.Seconds(), nil
	}
	var diffs, bias []float64
	var on, off float64
	var non, noff int
	var each []string
	for _, real := range kinds {
		attachedFirst := rng.IntN(2) == 0
		var w [2]float64
		for k := range 2 {
			slot := (k == 0) == attachedFirst // the attached slot
			v, err := window(real && slot)
			if err != nil {
				return r, err
			}
			w[k] = v
			if real && slot {
				on, non = on+v, non+1
			} else {
				off, noff = off+v, noff+1
			}
		}
		a, b := w[0], w[1]
		if !attachedFirst {
			a, b = w[1], w[0]
		}
		first, second := "attached", "stopped"
		if !real {
			first = "stopped*"
		}
		if !attachedFirst {
			first, second = second, first
		}
		if real {
			diffs = append(diffs, a-b)
		} else {
			bias = append(bias, a-b)
		}
		each = append(each, fmt.Sprintf("%s %.1f, %s %.1f", first, w[0], second, w[1]))
	}
	r.median, r.with, r.without = median(diffs), on/float64(non), off/float64(noff)
	if len(bias) > 0 {
		r.bias = median(bias)
	}
	r.each = strings.Join(each, "; ") + " (stopped*: a control's attached slot)"
	r.asked = askedPerWindow(attachedRoutes, stoppedRoutes, pairs, pairs+2*control)
	r.own = 100 * ownCPU.Seconds() / (float64(pairs) * win.Seconds())
	fmt.Printf("  Vault's CPU per %s window, %% of a core (seed %d): %s\n", win, seed, r.each)
	return r, nil
}

// indexHeap builds the index as the UI holds it from the real listings
// (every lease looked up, with times) and measures the heap it adds.
func indexHeap(listings []rawListing) (float64, error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	idx := model.NewIndex()
	now := time.Now()
	children := map[string][]string{}
	for _, l := range listings {
		if l.prefix != "" {
			parent := l.prefix[:strings.LastIndexByte(strings.TrimSuffix(l.prefix, "/"), '/')+1]
			children[parent] = append(children[parent], l.prefix)
		}
	}
	for _, l := range listings {
		idx.ApplyListing(l.prefix, children[l.prefix], l.ids, now)
	}
	n := 0
	for _, l := range listings {
		for _, id := range l.ids {
			n++
			idx.ApplyLease(model.LeaseInfo{ID: id, IssueTime: now.Add(-time.Hour), ExpireTime: now.Add(time.Duration(n) * time.Second), Renewable: true})
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if idx.Len() != n {
		return 0, fmt.Errorf("index holds %d leases, want %d", idx.Len(), n)
	}
	per := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
	runtime.KeepAlive(idx)
	return per, nil
}

// growthNamed adds leases under path at perMin a minute until the status
// bar names the prefix, and says how long that took.
func growthNamed(ctx context.Context, s *seed.Seeder, t *term, path string, perMin int, limit time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	short := path[strings.LastIndexByte(path, '/')+1:] + "/"
	if _, err := s.LeasedKV(ctx, path, 48*time.Hour, 1); err != nil {
		return 0, err
	}
	start := time.Now()
	go func() {
		tick := time.NewTicker(time.Minute / time.Duration(perMin))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				_, _ = s.ReadLeasedKV(ctx, path, 1)
			}
		}
	}()
	re := regexp.MustCompile(`fastest growth: \S*` + regexp.QuoteMeta(short))
	for time.Since(start) < limit {
		if re.MatchString(t.screen()) {
			return time.Since(start), nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return 0, fmt.Errorf("within %s", limit)
}

// focusFigure starts leasetop behind a counting proxy, selects the prefix
// of sel's leases as soon as the counts are on screen, and times its
// lookups at the proxy against looking them up alone through it.
func focusFigure(ctx context.Context, bin string, srv *devvault.Server, rootAPI *api.Client, listings []rawListing, selPrefix string, sel int, o bigOpts) (figure, error) {
	name := fmt.Sprintf("12. TTLs of a selected %d-lease prefix during the %s crawl vs alone", o.selected, o.size())
	var selIDs []string
	for _, l := range listings {
		if l.prefix == selPrefix {
			selIDs = l.ids
		}
	}
	if len(selIDs) != o.selected {
		return figure{}, fmt.Errorf("%s holds %d leases, want %d", selPrefix, len(selIDs), o.selected)
	}
	p, err := faultproxy.New(srv.Addr)
	if err != nil {
		return figure{}, err
	}
	defer p.Close()
	p.NoLog = true
	var (
		mu      sync.Mutex
		answers = map[string]bool{}
		lastAt  time.Time
		counted atomic.Bool
	)
	p.OnAnswer = func(r faultproxy.Request) {
		if !counted.Load() || r.Path != "sys/leases/lookup" || r.Status != 200 {
			return
		}
		var body struct {
			LeaseID string `json:"lease_id"`
		}
		if json.Unmarshal(r.Body, &body) == nil && strings.HasPrefix(body.LeaseID, selPrefix) {
			mu.Lock()
			if !answers[body.LeaseID] {
				answers[body.LeaseID] = true
				lastAt = time.Now()
			}
			mu.Unlock()
		}
	}
	// Alone, through the same proxy.
	a, err := srv.Client()
	if err != nil {
		return figure{}, err
	}
	if err := a.SetAddress(p.URL); err != nil {
		return figure{}, err
	}
	alone, _, err := rawLookups(ctx, a, selIDs, o.conc, false)
	if err != nil {
		return figure{}, err
	}

	t, err := startTerm(bin, p.URL, srv.RootToken)
	if err != nil {
		return figure{}, err
	}
	defer t.stop()
	total := 0
	for _, l := range listings {
		total += len(l.ids)
	}
	if _, err := t.waitCount(total, 10*time.Minute); err != nil {
		return figure{}, err
	}
	// tab to the tree; from the root row, down past the root's children
	// before secret/ and open it, down past its children before big/ and
	// open that, then down to the prefix. (Other figures may have seeded
	// prefixes beside big/: the rows are counted from the listings.)
	toSecret, toBig := childrenBefore(listings, "", "secret/")+1, childrenBefore(listings, "secret/", "secret/big/")+1
	_ = t.keys("Tab")
	_ = t.keys("-N", strconv.Itoa(toSecret), "j") // -N repeats every key given
	_ = t.keys("l")
	_ = t.keys("-N", strconv.Itoa(toBig), "j")
	_ = t.keys("l")
	presses := 3 + toSecret + toBig + sel + 1
	time.Sleep(300 * time.Millisecond)
	_ = t.keys("-N", strconv.Itoa(sel+1), "j")
	counted.Store(true)
	pressedAt := time.Now()
	arrived, err := t.waitFor("after "+selPrefix, 30*time.Second, 20*time.Millisecond)
	if err != nil {
		return figure{}, fmt.Errorf("could not select %s: %w", selPrefix, err)
	}
	// From the moment the selection shows on screen: the keys before it
	// walked through the 260 prefixes above, each the focus for a moment.
	selectedAt := t.started.Add(arrived)
	deadline := time.Now().Add(10 * time.Minute)
	for {
		mu.Lock()
		n, at := len(answers), lastAt
		mu.Unlock()
		if n == len(selIDs) {
			took := at.Sub(selectedAt)
			r := took.Seconds() / alone.Seconds()
			return figure{name, fmt.Sprintf("%.2fx (%s from the selection on screen vs %s alone; %s from the first of %d key presses)", r,
				took.Round(time.Millisecond), alone.Round(time.Millisecond), at.Sub(pressedAt).Round(time.Millisecond), presses), []check{atMost("", r, 2, "x")}, false}, nil
		}
		if time.Now().After(deadline) {
			return figure{}, fmt.Errorf("%d of %d looked up within 10 minutes of the selection", n, len(selIDs))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// limiterFigure runs `leasetop ls -r`, with the adaptive limit and with
// --fixed-concurrency, while a second client looks leases up one at a
// time (every 50 ms); for each, the client's p99 with the crawl running
// against its p99 with the crawl stopped (SIGSTOP), and the crawl's rate
// against the unthrottled one.
//
// The running and stopped windows alternate (running, stopped, stopped,
// running, …) inside one crawl, as figure 15's do: Vault at a million
// leases has bursts of work of its own about every two minutes, and a
// single idle window before the crawls, which a burst hit or missed, set
// the baseline at 25.6 ms in one run and 84.6 ms in another. The headline
// is the median of the pairs' ratios, which a burst in one window cannot
// move; the pooled p99s are printed beside it. A stop lets the answers in
// flight land first, and a restart lets the limiter find its level again
// (the answers that waited out the stop read as one slow sample), before
// a window counts.
func limiterFigure(ctx context.Context, bin string, srv *devvault.Server, rootAPI *api.Client, ids []string) (figure, error) {
	const (
		win     = 15 * time.Second
		windows = 12 // six pairs
		drain   = time.Second
		regain  = 3 * time.Second
	)
	next := 0
	probe := func(d time.Duration) ([]time.Duration, error) {
		var lat []time.Duration
		for end := time.Now().Add(d); time.Now().Before(end); next++ {
			start := time.Now()
			if _, err := rootAPI.Logical().WriteWithContext(ctx, "sys/leases/lookup", map[string]any{"lease_id": ids[(next*7919)%len(ids)]}); err != nil {
				return nil, err
			}
			lat = append(lat, time.Since(start))
			time.Sleep(50 * time.Millisecond)
		}
		return lat, nil
	}
	type result struct {
		rate               float64 // leases a second while running
		ratio              float64 // median of the pairs' p99 ratios
		running, stopped   time.Duration
		runAll, stoppedAll []time.Duration
	}
	crawl := func(args ...string) (result, error) {
		var r result
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		cmd := exec.CommandContext(cctx, bin, append([]string{"ls", "-r", "-o", "jsonl"}, args...)...)
		cmd.Env = benchEnv(srv.Addr, srv.RootToken)
		out, err := cmd.StdoutPipe()
		if err != nil {
			return r, err
		}
		if err := cmd.Start(); err != nil {
			return r, err
		}
		defer func() { _ = cmd.Process.Signal(syscall.SIGCONT); cancel(); _ = cmd.Wait() }()
		var lines atomic.Int64
		var ended atomic.Bool
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines.Add(1)
			}
			ended.Store(true)
		}()
		// Past the listing, into the lookups.
		time.Sleep(10 * time.Second)
		pid := cmd.Process.Pid
		p99s := make([]time.Duration, windows)
		var looked int64
		var ran time.Duration
		for i := range windows {
			running := i%4 == 0 || i%4 == 3
			if !running && i%4 == 1 {
				if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
					return r, err
				}
				time.Sleep(drain)
			}
			from, cpu, start := lines.Load(), procCPU(pid), time.Now()
			lat, err := probe(win)
			if err != nil {
				return r, err
			}
			if running {
				looked += lines.Load() - from
				ran += time.Since(start)
				r.runAll = append(r.runAll, lat...)
			} else {
				if used := procCPU(pid) - cpu; used > 50*time.Millisecond {
					return r, fmt.Errorf("leasetop used %s of CPU while stopped: the stop did not take", used)
				}
				r.stoppedAll = append(r.stoppedAll, lat...)
			}
			p99s[i] = pctile(lat, 99)
			if i%4 == 2 {
				if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
					return r, err
				}
				time.Sleep(regain)
			}
		}
		// Pairs: (0,1), (3,2), (4,5), (7,6), …: each running window with
		// the stopped one beside it.
		var ratios []float64
		for k := 0; k+3 < windows; k += 4 {
			ratios = append(ratios, p99s[k].Seconds()/p99s[k+1].Seconds(), p99s[k+3].Seconds()/p99s[k+2].Seconds())
		}
		slices.Sort(ratios)
		m := len(ratios) / 2
		ms := make([]string, windows)
		for i, d := range p99s {
			ms[i] = fmt.Sprintf("%.1f", float64(d.Microseconds())/1000)
		}
		label := "limiter on"
		if len(args) > 0 {
			label = "limiter off"
		}
		fmt.Printf("  %s: p99 per %s window, ms (running, stopped, stopped, running, …): %s\n", label, win, strings.Join(ms, " "))
		if ended.Load() {
			// A crawl that ended before the last window leaves windows
			// with nothing running: the figure needs a bigger tree.
			return r, fmt.Errorf("ls -r ended (%d leases) before the %d windows of %s did: the crawl must outlast about %s (-big-leases near a million)",
				lines.Load(), windows, win, 10*time.Second+windows*(win+drain))
		}
		r.rate = float64(looked) / ran.Seconds()
		r.ratio = (ratios[m-1] + ratios[m]) / 2
		r.running, r.stopped = pctile(r.runAll, 99), pctile(r.stoppedAll, 99)
		return r, nil
	}
	on, err := crawl()
	if err != nil {
		return figure{}, err
	}
	off, err := crawl("--fixed-concurrency")
	if err != nil {
		return figure{}, err
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
	return figure{"16. second client's lookup p99 during a crawl of everything vs with the crawl stopped (median of 6 pairs of 15 s windows); crawl rate vs unthrottled",
		fmt.Sprintf("limiter on: p99 %.1fx (pooled %s vs %s), crawl %.2fx (%.0f/s); off: p99 %.1fx (pooled %s vs %s), %.0f/s",
			on.ratio, ms(on.running), ms(on.stopped), on.rate/off.rate, on.rate,
			off.ratio, ms(off.running), ms(off.stopped), off.rate),
		[]check{atMost("p99", on.ratio, 3, "x idle"), atLeast("crawl", on.rate/off.rate, 0.5, "x")}, false}, nil
}

// bigViewFigure runs the ui package's million-lease benchmarks: a frame,
// the sort key and a filter key. "Off the key path": the frame after a
// key comes within keyFrame, whatever the sorting or filtering behind it
// takes.
func bigViewFigure() figure {
	const name = "14b. View() at 1M / at 1k; at 1M, a key of the sort (s) and of the filter (/): Update and the next frame"
	const keyFrame = 100 // ms
	target := func(r, sf, ff float64) []check {
		return []check{atMost("View", r, 1.5, ""), atMost("sort key's next frame", sf, keyFrame, " ms"), atMost("filter key's next frame", ff, keyFrame, " ms")}
	}
	ns, err := uiBenchTime("^Benchmark(ViewMillion|SortKey|FilterKey)$", "5x")
	if err != nil {
		return failedFigure(name, err, target(0, 0, 0)...)
	}
	v := func(n string) float64 { return ns["BenchmarkViewMillion/leases="+n] }
	const sk, fk = "BenchmarkSortKey/leases=1000000", "BenchmarkFilterKey/leases=1000000"
	s, f := ns[sk], ns[fk]/2 // the filter's op is two keys
	sf, ff := ns[sk+" frame-ms"], ns[fk+" frame-ms"]
	if v("1000") == 0 || v("1000000") == 0 || s == 0 || f == 0 || sf == 0 || ff == 0 {
		return failedFigure(name, fmt.Errorf("could not read the benchmark: %s", benchNames(ns)), target(0, 0, 0)...)
	}
	r := v("1000000") / v("1000")
	return figure{name, fmt.Sprintf("%.2f (1k %.0f µs, 1M %.0f µs); sort key: next frame %.0f ms, sorted rows %.0f ms; filter key: next frame %.0f ms, rows %.0f ms",
		r, v("1000")/1000, v("1000000")/1000, sf, s/1e6, ff, f/1e6), target(r, sf, ff), false}
}

// routeStat is one of Vault's request summaries (vault.route.<op>.<mount>):
// how many requests it answered and the milliseconds it spent on them.
type routeStat struct{ count, ms float64 }

// vaultRoutes reads Vault's own request summaries from sys/metrics, so
// that figure 15 can say what an attached leasetop asked in its windows
// without a proxy in front of it: LIST on sys is the lease listings, an
// update on sys the lookups, a read on sys the figures (and this read).
func vaultRoutes(c *api.Client) (map[string]routeStat, error) {
	req := c.NewRequest(http.MethodGet, "/v1/sys/metrics")
	req.Params.Set("format", "prometheus")
	resp, err := c.RawRequest(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(pmodel.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, err
	}
	out := map[string]routeStat{}
	for name, mf := range mfs {
		route, ok := strings.CutPrefix(name, "vault_route_")
		if !ok {
			continue
		}
		for _, m := range mf.GetMetric() {
			if s := m.GetSummary(); s != nil {
				r := out[route]
				r.count += float64(s.GetSampleCount())
				r.ms += s.GetSampleSum()
				out[route] = r
			}
		}
	}
	return out, nil
}

// routeDiff is what Vault answered between two readings, per route.
func routeDiff(before, after map[string]routeStat) map[string]routeStat {
	out := map[string]routeStat{}
	for k, a := range after {
		b := before[k]
		if d := (routeStat{a.count - b.count, a.ms - b.ms}); d.count > 0 {
			out[k] = d
		}
	}
	return out
}

// askedPerWindow is what Vault answered in an attached window beyond what
// it answered in a stopped one (the bench's own reads of the figures fall
// in both), by route: "list sys 3.2 (410 ms)".
func askedPerWindow(attached, stopped map[string]routeStat, nAttached, nStopped int) string {
	var parts []string
	for k, a := range attached {
		s := stopped[k]
		d := routeStat{a.count/float64(nAttached) - s.count/float64(nStopped), a.ms/float64(nAttached) - s.ms/float64(nStopped)}
		if d.count >= 0.05 {
			parts = append(parts, fmt.Sprintf("%s %.1f (%.0f ms)", strings.ReplaceAll(strings.TrimSuffix(k, "_"), "_", " "), d.count, d.ms))
		}
	}
	if len(parts) == 0 {
		return "nothing beyond a stopped window"
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}
