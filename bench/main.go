// Command bench measures leasetop against a real dev Vault seeded with
// many leases and prints the figures of issue 5 (1-7), of issue 10 (8-10:
// an audit log made from that Vault's audit entries, and the owners
// screen), of issue 12 (11-17: a million leases) and of issue 23 (18, 19:
// churn, and growth during the first crawl) as one table, each as a ratio
// against a baseline measured in the same run, with its target and MET or
// MISSED; it exits 2 when one missed. Run it through bench/run.sh; `go
// run ./bench -h` lists the knobs.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/hashicorp/vault/api"

	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/internal/devvault"
	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/seed"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/ui"
	"github.com/leasetop/leasetop/vaultclient"
)

func main() {
	leases := flag.Int("leases", 100000, "leases to seed")
	prefixes := flag.Int("prefixes", 50, "prefixes to spread them over")
	conc := flag.Int("concurrency", 16, "requests in flight, for leasetop and the raw loop alike")
	cliSample := flag.Int("cli-sample", 40, "leases the vault CLI baseline looks up one process at a time")
	idle := flag.Duration("idle", 30*time.Second, "how long to measure an idle leasetop's CPU")
	flag.StringVar(&only, "only", "", "run only these figures, e.g. 5,7 or 11-20 (seeding runs when any of 1-7 is asked for; 11-20, a million leases, only when asked for)")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the idle measurement (figure 7) here")
	flag.IntVar(&auditOpt.mb, "audit-mb", 1024, "figures 8 and 9: the generated audit log holds at least this many MiB")
	flag.IntVar(&auditOpt.live, "audit-live", 100000, "figures 8 and 9: lease creations in the log whose leases are live")
	flag.IntVar(&auditOpt.gone, "audit-gone", 50000, "figures 8 and 9: at least this many older creations in the log, of leases long gone")
	flag.StringVar(&auditOpt.dir, "audit-dir", "", "figures 8 and 9: where the temporary log goes (default: the system's temp folder)")
	flag.IntVar(&bigOpt.leases, "big-leases", 1000000, "figures 11-19: leases to seed, token leases included")
	flag.IntVar(&bigOpt.prefixes, "big-prefixes", 520, "figures 11-19: prefixes of uneven sizes to spread them over")
	flag.IntVar(&bigOpt.tokens, "big-tokens", 5000, "figures 11-19: token leases among them")
	flag.IntVar(&bigOpt.selected, "big-selected", 1000, "figure 12: the size of the prefix selected mid-crawl")
	flag.IntVar(&bigOpt.growth, "big-growth", 5000, "figure 17: leases a minute the growth loop adds")
	flag.IntVar(&bigOpt.rounds, "big-rounds", 3, "figures 13 and 18: rounds of crawls (13: a raw loop just before each UI crawl; 18: one before and one after); the figure is the median of the rounds' ratios")
	// Sixteen pairs, not eight: Vault's own bursts at a million (60-110% of
	// a core, about every two minutes) fall on either side of a pair, and
	// the median of eight moved by a few points between runs.
	flag.IntVar(&bigOpt.idlePairs, "big-idle-pairs", 16, "figures 15 and 20: pairs of windows (leasetop attached, stopped; each pair's order drawn at random)")
	flag.IntVar(&bigOpt.controlPairs, "big-control-pairs", 6, "figures 15 and 20: control pairs, leasetop stopped in both windows: the method's own bias")
	flag.DurationVar(&bigOpt.idleWindow, "big-idle-window", 15*time.Second, "figure 15: the length of each window")
	flag.Float64Var(&bigOpt.churnShare, "big-churn-share", 0.02, "figure 18: the share of lookups meant to find their lease revoked (answer 400); sets the revocation rate (the target asks for 1% in every crawl)")
	flag.BoolVar(&bigOpt.churnFixed, "big-churn-fixed", false, "figure 18: in each round also crawl with --fixed-concurrency, to show what the adaptive limit costs the crawl and buys a second client")
	flag.IntVar(&bigOpt.firstGrowth, "big-first-growth", 6000, "figure 19: leases a minute added under one prefix while leasetop's first crawl runs")
	flag.DurationVar(&bigOpt.firstRefresh, "big-first-refresh", 5*time.Second, "figure 19: leasetop's --refresh; the target is two of them")
	flag.Func("leasetop-env", "figures 11-19: run the leasetop binary with this variable too, e.g. GOMAXPROCS=2 (repeatable)", func(kv string) error {
		if !strings.Contains(kv, "=") {
			return fmt.Errorf("want NAME=VALUE, got %q", kv)
		}
		leasetopEnv = append(leasetopEnv, kv)
		return nil
	})
	auditReadPath := flag.String("audit-read", "", "internal: read this audit log into an Attribution and exit (the program figure 8 times)")
	flag.Parse()
	if *auditReadPath != "" {
		if err := auditRead(*auditReadPath); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	missed, err := run(*leases, *prefixes, *conc, *cliSample, *idle)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if missed > 0 {
		os.Exit(2)
	}
}

var (
	only, cpuProfile string
	auditOpt         auditOpts
	bigOpt           = bigOpts{refresh: 15 * time.Second}
)

// want reports whether figure n is to be measured: -only lists figures
// and ranges (5,7 or 11-19); without it, 1 to 10 (the million, 11-19,
// takes hours and is asked for by name).
func want(n int) bool {
	if only == "" {
		return n <= 10
	}
	for _, f := range strings.Split(only, ",") {
		var a, b int
		if k, _ := fmt.Sscanf(strings.TrimSpace(f), "%d-%d", &a, &b); k == 2 && a <= n && n <= b {
			return true
		}
		if strings.TrimSpace(f) == fmt.Sprint(n) {
			return true
		}
	}
	return false
}

// run measures the figures asked for and prints them; it returns how many
// missed their targets.
func run(n, nprefix, conc, cliSample int, idle time.Duration) (int, error) {
	ctx := context.Background()
	start := time.Now()
	printHeader(start)
	defer removeTempDirs()
	var figs []figure
	var (
		bin     string
		srv     *devvault.Server
		rootAPI *api.Client
		err     error
	)
	if wantAny(1, 9) || wantAny(11, lastFigure) {
		if bin, err = devvault.Binary(); err != nil {
			return 0, err
		}
		if srv, err = devvault.Start(ctx, devvault.Options{Bin: bin}); err != nil {
			return 0, err
		}
		defer srv.Stop()
		if rootAPI, err = srv.Client(); err != nil {
			return 0, err
		}
		version, _ := exec.Command(bin, "version").Output()
		fmt.Printf("vault: %s (%s)\n", strings.TrimSpace(string(version)), bin)
	}
	if wantAny(1, 7) {
		if figs, err = leaseFigures(ctx, srv, rootAPI, bin, n, nprefix, conc, cliSample, idle); err != nil {
			return 0, err
		}
	}
	if want(8) || want(9) {
		f, err := auditFigures(ctx, rootAPI, auditOpt)
		if err != nil {
			return 0, err
		}
		figs = append(figs, f...)
	}
	if wantAny(11, lastFigure) {
		bigOpt.conc = conc
		f, err := bigFigures(ctx, srv, rootAPI, bigOpt)
		if err != nil {
			return 0, err
		}
		figs = append(figs, f...)
	}
	if want(10) {
		figs = append(figs, ownersViewFigure())
	}
	return printTable(figs, start), nil
}

// lastFigure is the highest figure number.
const lastFigure = 20

// wantAny reports whether any figure from a to b is to be measured.
func wantAny(a, b int) bool {
	for n := a; n <= b; n++ {
		if want(n) {
			return true
		}
	}
	return false
}

// leaseFigures seeds n leases and measures figures 1 to 7.
func leaseFigures(ctx context.Context, srv *devvault.Server, rootAPI *api.Client, bin string, n, nprefix, conc, cliSample int, idle time.Duration) ([]figure, error) {
	// Seed.
	start := time.Now()
	s := &seed.Seeder{C: rootAPI, Concurrency: 32}
	per := n / nprefix
	for i := range nprefix {
		if _, err := s.LeasedKV(ctx, fmt.Sprintf("bench/role-%02d", i), 24*time.Hour, per); err != nil {
			return nil, err
		}
	}
	seeded := time.Since(start)
	total := per * nprefix
	fmt.Printf("seeded %d leases over %d prefixes in %s (%.0f leases/s)\n", total, nprefix, seeded.Round(time.Millisecond), float64(total)/seeded.Seconds())

	client := vaultclient.NewFromAPI(rootAPI, vaultclient.Config{Concurrency: conc})
	var figs []figure

	// 1 and 3: leasetop's Walk against a minimal raw loop, alternating, best of two each.
	var walkBest, rawBest time.Duration
	var firstRow time.Duration
	rounds := 2
	if !want(1) && !want(2) && !want(3) {
		rounds = 0
	}
	for range rounds {
		d, first, got, err := timeWalk(ctx, client, conc)
		if err != nil {
			return nil, err
		}
		if got != total {
			return nil, fmt.Errorf("walk found %d leases, want %d", got, total)
		}
		if walkBest == 0 || d < walkBest {
			walkBest, firstRow = d, first
		}
		r, rgot, err := timeRawLoop(ctx, rootAPI, conc)
		if err != nil {
			return nil, err
		}
		if rgot != total {
			return nil, fmt.Errorf("raw loop found %d leases, want %d", rgot, total)
		}
		if rawBest == 0 || r < rawBest {
			rawBest = r
		}
	}
	walkRate := float64(total) / walkBest.Seconds()
	rawRate := float64(total) / rawBest.Seconds()
	if want(1) {
		figs = append(figs, figure{"1. crawl: leasetop Walk vs raw api loop (same concurrency)",
			fmt.Sprintf("%.2fx (%.0f vs %.0f lookups/s)", walkRate/rawRate, walkRate, rawRate), []check{atLeast("", walkRate/rawRate, 0.9, "x")}, false})
	}
	if want(2) {
		// The operator's way today, one vault CLI process per call.
		cliRate, err := timeCLI(bin, srv, cliSample)
		if err != nil {
			return nil, err
		}
		figs = append(figs, figure{"2. crawl: leasetop vs sequential vault CLI (list + lease lookup)",
			fmt.Sprintf("%.0fx (%.0f vs %.1f leases/s; CLI on %d leases, extrapolated: %s for all)", walkRate/cliRate, walkRate, cliRate, cliSample,
				(time.Duration(float64(total)/cliRate) * time.Second).Round(time.Minute)), []check{atLeast("", walkRate/cliRate, 200, "x")}, false})
	}
	if want(3) {
		share := 100 * firstRow.Seconds() / walkBest.Seconds()
		figs = append(figs, figure{"3. time to first row / full crawl",
			fmt.Sprintf("%.2f%% (%s of %s)", share, firstRow.Round(time.Millisecond), walkBest.Round(time.Millisecond)), []check{atMost("", share, 5, "%")}, false})
	}
	if want(4) {
		figs = append(figs, viewFigure())
	}
	if want(5) {
		// Heap per lease, the whole index as the UI holds it.
		perLease, err := heapPerLease(ctx, client, total)
		if err != nil {
			return nil, err
		}
		figs = append(figs, figure{"5. heap per lease at 100k (the model index)", fmt.Sprintf("%.0f B", perLease), []check{atMost("", perLease, 1024, " B")}, false})
	}
	if want(6) {
		// Requests per steady-state poll of the unchanged tree, counted at a proxy.
		lists, lookups, prefixCount, err := pollRequests(ctx, srv, conc)
		if err != nil {
			return nil, err
		}
		figs = append(figs, figure{"6. requests per steady-state poll (unchanged tree)",
			fmt.Sprintf("%d lookups, %d LISTs (%d prefixes)", lookups, lists, prefixCount), []check{atMost("lookups", float64(lookups), 0, "")}, false})
	}
	if want(7) {
		cpu, err := idleCPU(rootAPI, conc, total, idle)
		if err != nil {
			return nil, err
		}
		// "A few %": 10% of one core is the most that still reads so.
		figs = append(figs, figure{fmt.Sprintf("7. CPU of an idle leasetop with %dk leases over %s", total/1000, idle), fmt.Sprintf("%.2f%% of one core", cpu), []check{atMost("", cpu, 10, "% of a core")}, false})
	}

	return figs, nil
}

// timeWalk crawls everything with leasetop's Walk.
func timeWalk(ctx context.Context, c *vaultclient.Client, conc int) (total, firstRow time.Duration, leases int, err error) {
	start := time.Now()
	for ev := range c.Walk(ctx, "secret/bench/", vaultclient.WalkOptions{Concurrency: conc}) {
		switch ev.Kind {
		case vaultclient.EventLease:
			if leases == 0 {
				firstRow = time.Since(start)
			}
			leases++
		case vaultclient.EventError:
			return 0, 0, 0, ev.Err
		}
	}
	return time.Since(start), firstRow, leases, nil
}

// timeRawLoop is the ceiling: the plainest concurrent loop over the api
// package, LIST every prefix, then conc goroutines looking ids up.
func timeRawLoop(ctx context.Context, c *api.Client, conc int) (time.Duration, int, error) {
	start := time.Now()
	top, err := c.Logical().ListWithContext(ctx, "sys/leases/lookup/secret/bench/")
	if err != nil {
		return 0, 0, err
	}
	var ids []string
	for _, k := range top.Data["keys"].([]any) {
		sub, err := c.Logical().ListWithContext(ctx, "sys/leases/lookup/secret/bench/"+k.(string))
		if err != nil {
			return 0, 0, err
		}
		for _, id := range sub.Data["keys"].([]any) {
			ids = append(ids, "secret/bench/"+k.(string)+id.(string))
		}
	}
	if _, _, err := rawLookups(ctx, c, ids, conc, false); err != nil {
		return 0, 0, err
	}
	return time.Since(start), len(ids), nil
}

// timeCLI runs `vault list` once and `vault lease lookup` per lease, one
// process each, the way an operator's shell loop does.
func timeCLI(bin string, srv *devvault.Server, sample int) (float64, error) {
	env := append(os.Environ(), "VAULT_ADDR="+srv.Addr, "VAULT_TOKEN="+srv.RootToken)
	start := time.Now()
	cmd := exec.Command(bin, "list", "-format=json", "sys/leases/lookup/secret/bench/role-00/")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("vault list: %w", err)
	}
	var ids []string
	for _, f := range strings.Split(string(out), "\"") {
		if len(f) == 24 {
			ids = append(ids, f)
		}
	}
	if len(ids) < sample {
		return 0, fmt.Errorf("vault list gave %d ids", len(ids))
	}
	for _, id := range ids[:sample] {
		cmd := exec.Command(bin, "lease", "lookup", "secret/bench/role-00/"+id)
		cmd.Env = env
		cmd.Stdout = io.Discard
		if err := cmd.Run(); err != nil {
			return 0, fmt.Errorf("vault lease lookup: %w", err)
		}
	}
	return float64(sample) / time.Since(start).Seconds(), nil
}

// heapPerLease crawls into a model.Index and measures the live heap it adds.
func heapPerLease(ctx context.Context, c *vaultclient.Client, want int) (float64, error) {
	var leases []vaultclient.Lease
	var listings []vaultclient.Listing
	for ev := range c.Walk(ctx, "secret/bench/", vaultclient.WalkOptions{}) {
		switch ev.Kind {
		case vaultclient.EventListed:
			listings = append(listings, ev.Listing)
		case vaultclient.EventLease:
			leases = append(leases, ev.Lease)
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	idx := model.NewIndex()
	now := time.Now()
	for _, l := range listings {
		idx.ApplyListing(l.Prefix, l.Prefixes, l.LeaseIDs, now)
	}
	for _, l := range leases {
		idx.ApplyLease(crawl.Info(l))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(listings) // measured with them alive on both sides
	runtime.KeepAlive(leases)
	if idx.Len() != want {
		return 0, fmt.Errorf("index holds %d leases, want %d", idx.Len(), want)
	}
	per := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(idx.Len())
	runtime.KeepAlive(idx)
	return per, nil
}

// pollRequests fills an index, then runs one refresh as the UI does (a
// list-only walk, then lookups of the ids the index did not know) through
// a counting proxy.
func pollRequests(ctx context.Context, srv *devvault.Server, conc int) (lists, lookups, prefixes int, err error) {
	p, err := faultproxy.New(srv.Addr)
	if err != nil {
		return 0, 0, 0, err
	}
	defer p.Close()
	a, err := srv.Client()
	if err != nil {
		return 0, 0, 0, err
	}
	if err := a.SetAddress(p.URL); err != nil {
		return 0, 0, 0, err
	}
	c := vaultclient.NewFromAPI(a, vaultclient.Config{Concurrency: conc})
	idx := model.NewIndex()
	now := time.Now()
	for ev := range c.Walk(ctx, "", vaultclient.WalkOptions{}) {
		crawl.Apply(idx, ev, now, nil)
	}
	p.Reset()
	var fresh []string
	var st crawl.Stats
	for ev := range c.Walk(ctx, "", vaultclient.WalkOptions{ListOnly: true}) {
		fresh = append(fresh, crawl.Apply(idx, ev, now, &st)...)
	}
	prefixes = st.Listed
	for _, id := range fresh {
		if _, err := c.Lookup(ctx, id); err != nil {
			return 0, 0, 0, err
		}
	}
	for _, r := range p.Requests() {
		switch {
		case r.Method == "LIST":
			lists++
		case strings.HasPrefix(r.Path, "sys/leases/lookup"):
			lookups++
		}
	}
	return lists, lookups, prefixes, nil
}

// idleCPU runs the real UI model in a headless Bubble Tea program, waits
// for the crawl to finish, then measures this process's CPU time while the
// UI sits idle (countdown ticks and the default 15 s polls included).
func idleCPU(a *api.Client, conc, want int, d time.Duration) (float64, error) {
	c := vaultclient.NewFromAPI(a, vaultclient.Config{Concurrency: conc})
	w := &watched{Model: ui.New(c, ui.Options{Refresh: 15 * time.Second, Concurrency: conc}), busy: &atomic.Bool{}}
	w.busy.Store(true)
	p := tea.NewProgram(w, tea.WithInput(nil), tea.WithOutput(io.Discard), tea.WithWindowSize(160, 50), tea.WithoutSignalHandler())
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	defer func() { p.Quit(); <-done }()
	// Wait for the first crawl to end, then a moment for the last redraw.
	deadline := time.Now().Add(10 * time.Minute)
	for time.Sleep(time.Second); w.busy.Load(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("the crawl of %d leases did not end within 10 minutes", want)
		}
	}
	time.Sleep(2 * time.Second)
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return 0, err
		}
		defer pprof.StopCPUProfile()
	}
	before := cpuTime()
	time.Sleep(d)
	used := cpuTime() - before
	return 100 * used.Seconds() / d.Seconds(), nil
}

// watched forwards to the UI model and records whether it is busy.
type watched struct {
	ui.Model
	busy *atomic.Bool
}

func (w *watched) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := w.Model.Update(msg)
	w.Model = next.(ui.Model)
	w.busy.Store(w.Model.Busy())
	return w, cmd
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// viewFigure runs the ui package's View benchmark and divides.
func viewFigure() figure {
	const name = "4. View() at 100k / View() at 1k"
	target := func(r float64) []check { return []check{atMost("", r, 1.5, "")} }
	ns, err := uiBench("^BenchmarkView$")
	if err != nil {
		return failedFigure(name, err, target(0)...)
	}
	v := func(n string) float64 { return ns["BenchmarkView/leases="+n] }
	if v("1000") == 0 || v("100000") == 0 {
		return failedFigure(name, fmt.Errorf("could not read the benchmark: %s", benchNames(ns)), target(0)...)
	}
	r := v("100000") / v("1000")
	return figure{name, fmt.Sprintf("%.2f (1k %.0f µs, 10k %.0f µs, 100k %.0f µs)", r, v("1000")/1000, v("10000")/1000, v("100000")/1000), target(r), false}
}

// ownersViewFigure runs the owners screen's View benchmark beside the
// lease table's, in one go test, and divides.
func ownersViewFigure() figure {
	const name = "10. owners screen View() at 100k / at 1k; and / lease table View() at 100k"
	target := func(a, b float64) []check {
		return []check{atMost("100k/1k", a, 1.5, ""), atMost("owners/table", b, 1, "")}
	}
	ns, err := uiBench("^Benchmark(Owners)?View$")
	if err != nil {
		return failedFigure(name, err, target(0, 0)...)
	}
	o := func(n string) float64 { return ns["BenchmarkOwnersView/leases="+n] }
	table := ns["BenchmarkView/leases=100000"]
	if o("1000") == 0 || o("100000") == 0 || table == 0 {
		return failedFigure(name, fmt.Errorf("could not read the benchmark: %s", benchNames(ns)), target(0, 0)...)
	}
	a, b := o("100000")/o("1000"), o("100000")/table
	return figure{name, fmt.Sprintf("%.2f; %.2f (owners 1k %.0f µs, 10k %.0f µs, 100k %.0f µs; table 100k %.0f µs)", a, b,
		o("1000")/1000, o("10000")/1000, o("100000")/1000, table/1000), target(a, b), false}
}

// uiBench runs benchmarks of the ui package, 200 frames each, and returns
// ns/op by name (without the -GOMAXPROCS suffix).
func uiBench(pattern string) (map[string]float64, error) { return uiBenchTime(pattern, "200x") }

// uiBenchRuns is how many times each benchmark runs; a figure takes the
// median. A frame costs half a millisecond, so a run of 200 frames takes
// a tenth of a second, which a garbage collection or the machine's other
// work can stretch.
const uiBenchRuns = 5

// uiBenchTime is uiBench with a -benchtime of its own; a metric a
// benchmark reports is under "name unit".
func uiBenchTime(pattern, benchtime string) (map[string]float64, error) {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", pattern, "-benchtime", benchtime, "-count", fmt.Sprint(uiBenchRuns), "-timeout", "30m", "./ui")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("error: %s", strings.TrimSpace(string(out)))
	}
	runs := map[string][]float64{}
	suffix := "-" + fmt.Sprint(runtime.GOMAXPROCS(0))
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && strings.HasPrefix(f[0], "Benchmark") {
			name := strings.TrimSuffix(f[0], suffix)
			var v float64
			fmt.Sscan(f[2], &v)
			runs[name] = append(runs[name], v)
			// Reported metrics follow as value-unit pairs: "name unit".
			for i := 4; i+1 < len(f); i += 2 {
				var m float64
				if _, err := fmt.Sscan(f[i], &m); err == nil {
					runs[name+" "+f[i+1]] = append(runs[name+" "+f[i+1]], m)
				}
			}
		}
	}
	ns := map[string]float64{}
	for name, vs := range runs {
		ns[name] = median(vs)
	}
	return ns, nil
}

func benchNames(ns map[string]float64) string {
	keys := make([]string, 0, len(ns))
	for k := range ns {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}
