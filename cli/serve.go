package cli

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/metrics"
	"github.com/leasetop/leasetop/owners"
	"github.com/leasetop/leasetop/vaultclient"
)

// serveFlags are the options of `leasetop serve`.
type serveFlags struct {
	fs         *pflag.FlagSet
	listen     string
	depth, top int
	refresh    time.Duration
	vaultAudit string
	tokenStore time.Duration
}

// serveCommand is `leasetop serve`: the crawl engine behind an HTTP front
// end for Prometheus instead of a terminal.
func (a *app) serveCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "serve lease metrics to Prometheus: /metrics, /healthz, /readyz",
		Long: `Crawl Vault once, keep the index current with the same refreshes as the UI,
and serve the leases per prefix, their TTLs, the leases created and gone,
irrevocable leases and the leases per owner (with --vault-audit for the
leases of secrets engines, --token-store for token leases) as
Prometheus metrics on /metrics. /healthz answers 200 while the process
runs, /readyz 200 once every context's first crawl ended. With a config
file, every context in it is served (or those --context names, comma
separated), each labelled context. It never changes anything in Vault.
SIGINT and SIGTERM stop it cleanly.`,
		Example: `  leasetop serve
  leasetop serve --context prod,staging --listen 127.0.0.1:19155
  leasetop serve --vault-audit /var/log/vault/audit.log --depth 2 --top 20
  leasetop serve --vault-audit /var/log/vault/audit.log --token-store 10m`,
		Args: cobra.NoArgs,
		RunE: run(func(cmd *cobra.Command, _ []string) int { return a.runServe(cmd.Context(), f) }),
	}
	fs := cmd.Flags()
	f.fs = fs
	fs.StringVar(&f.listen, "listen", metrics.DefaultListenAddress, "the address to serve the metrics on")
	fs.IntVar(&f.depth, "depth", metrics.DefaultDepth, "segments of a prefix that get a series of their own (deeper prefixes add up in theirs)")
	fs.IntVar(&f.top, "top", metrics.DefaultTopN, "prefixes (and owners) with series of their own, most leases first; the rest add up under prefix=\"other\"")
	fs.DurationVar(&f.refresh, "refresh", config.Defaults.Refresh, "how often to re-list the tree (0 turns refreshes off)")
	fs.StringVar(&f.vaultAudit, "vault-audit", "", "Vault's audit log, for the leases per owner: a file (followed), a folder of rotated files or a .gz file")
	_ = cmd.MarkFlagFilename("vault-audit")
	fs.DurationVar(&f.tokenStore, "token-store", 0, "read the token store this often, for the owners of token leases (0: never; each read lists the accessors and looks every token up)")
	return cmd
}

// given are serve's flags given on the command line, for config.Merge.
func (f serveFlags) given() (config.Flags, error) {
	var g config.Flags
	switch {
	case f.depth < 1:
		return g, errors.New("--depth must be at least 1")
	case f.top < 1:
		return g, errors.New("--top must be at least 1")
	case f.tokenStore < 0:
		return g, errors.New("--token-store must not be negative")
	}
	if f.fs.Changed("refresh") {
		if f.refresh < 0 {
			return g, errors.New("--refresh must not be negative")
		}
		g.Refresh = &f.refresh
	}
	if f.fs.Changed("vault-audit") {
		if f.vaultAudit == "-" {
			return g, errors.New("--vault-audit: serve cannot read stdin; give the log's file or folder")
		}
		if _, err := os.Stat(f.vaultAudit); err != nil {
			return g, fmt.Errorf("--vault-audit: %w", err)
		}
		g.VaultAudit = &f.vaultAudit
	}
	return g, nil
}

// serveTargets resolves the contexts to serve: those --context names
// (comma separated), else every context of the config file, else the
// environment's Vault alone.
func (a *app) serveTargets(given config.Flags) ([]settings, error) {
	c := &a.conn
	f, err := c.loadConfig()
	if err != nil {
		return nil, badArgs{err}
	}
	var names []string
	for n := range strings.SplitSeq(c.context, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 && f != nil {
		names = f.Names()
	}
	if len(names) == 0 {
		s, err := c.plain(given)
		return []settings{s}, err
	}
	if len(names) > 1 {
		for _, flag := range []string{"addr", "namespace"} {
			if c.changed(flag) {
				return nil, badArgs{fmt.Errorf("--%s names one Vault: with several contexts, set it in each context of the config file", flag)}
			}
		}
		if given.VaultAudit != nil {
			return nil, badArgs{errors.New("--vault-audit names one Vault's log: with several contexts, set vault-audit in each context of the config file")}
		}
	}
	var out []settings
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return nil, badArgs{fmt.Errorf("--context names %s twice", n)}
		}
		seen[n] = true
		ctx, err := f.Find(n)
		if err != nil {
			return nil, badArgs{err}
		}
		s, err := c.overlay(settings{ctx: ctx, file: f}, given)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (a *app) runServe(ctx context.Context, f serveFlags) int {
	const cmd = "leasetop serve"
	given, err := f.given()
	if err != nil {
		return a.fail(2, cmd, "%v", err)
	}
	ss, err := a.serveTargets(given)
	if err != nil {
		return a.fail(exitFor(err, 1), cmd, "%v", err)
	}
	log := slog.New(slog.NewTextHandler(a.stderr, nil))
	col := metrics.NewCollector()
	var targets []*target
	for _, s := range ss {
		t, err := newTarget(s, f, col, log)
		if err != nil {
			return a.fail(exitFor(err, 1), cmd, "%v", err)
		}
		targets = append(targets, t)
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return a.fail(1, cmd, "--listen %s: %v", f.listen, err)
	}
	srv := &http.Server{Handler: serveMux(col, targets), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.name
	}
	log.Info("leasetop serve started", "listen", ln.Addr().String(), "contexts", strings.Join(names, ","), "version", buildVersion())

	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.run(runCtx)
		}()
	}
	go func() {
		// One line when all are ready: what a readiness probe waits for.
		for !allReady(targets) {
			select {
			case <-runCtx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
		log.Info("ready: every context's first crawl ended", "contexts", strings.Join(names, ","))
	}()

	exit := 0
	select {
	case <-ctx.Done():
		log.Info("stopping", "reason", "signal")
	case err := <-served:
		log.Error("the HTTP server stopped", "err", err)
		exit = 1
	}
	stop()
	wg.Wait()
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		log.Warn("the HTTP server did not stop cleanly", "err", err)
	}
	log.Info("stopped")
	return exit
}

// target is one context served: its client, its engine and what the
// landing page and /readyz say of it.
type target struct {
	name    string
	addr    string
	client  *vaultclient.Client
	eng     *crawl.Engine
	builder *metrics.Builder
	col     *metrics.Collector
	log     *slog.Logger
	prefix  string
	opt     crawl.Options
	audit   string
	budgets []config.Budget // the config file's, under prefix
	// ctx ends with serve: the reads started off the engine's goroutine
	// stop with it.
	ctx context.Context

	// owners is the audit log's attribution, filled by its reader and
	// read by Build, so behind a lock (the engine's own is for a front
	// end that hands it entries on its loop).
	ownersMu sync.Mutex
	owners   *audit.Attribution

	// tokens is the last read of the token store (the owners of token
	// leases), every tokenEvery; nil until one succeeded.
	tokenEvery    time.Duration
	tokens        atomic.Pointer[owners.Tokens]
	readingTokens atomic.Bool
	tokensErr     atomic.Int32 // the kind of the last failed read; -1: none
	tokensAt      time.Time    // when the last read began; only on the engine's goroutine

	irrevocable    atomic.Pointer[irrevocableRead]
	reading        atomic.Bool
	irrevocableErr atomic.Int32 // the kind of the last failed count; -1: none

	// Set on the engine's goroutine, read by HTTP handlers.
	ready   atomic.Bool
	up      atomic.Bool
	leases  atomic.Int64
	lastErr atomic.Pointer[string]

	// Only on the engine's goroutine.
	crawlStart time.Time
	crawlTook  time.Duration
	walkStart  time.Time
	wasUp      bool
}

// irrevocableRead is the last count of irrevocable leases, with the
// mounts that name their accessors.
type irrevocableRead struct {
	counts vaultclient.IrrevocableCounts
	mounts []vaultclient.Mount
}

func newTarget(s settings, f serveFlags, col *metrics.Collector, log *slog.Logger) (*target, error) {
	prefix, err := vaultclient.CleanPrefix(s.eff.Prefix)
	if err != nil {
		return nil, badArgs{err}
	}
	cl, err := vaultclient.New(s.cfg)
	if err != nil {
		return nil, err
	}
	name := s.ctxName
	if name == "" {
		name = "default"
	}
	if !cl.HasToken() {
		return nil, badArgs{fmt.Errorf("context %s: no Vault token: set VAULT_TOKEN, run `vault login`, or name a token source in the context", name)}
	}
	if s.eff.VaultAudit != "" && s.eff.VaultAudit != "-" {
		if _, err := os.Stat(s.eff.VaultAudit); err != nil {
			return nil, badArgs{fmt.Errorf("context %s: vault-audit: %w", name, err)}
		}
	}
	t := &target{name: name, addr: cl.Address(), client: cl, col: col, log: log.With("context", name), prefix: prefix,
		builder: &metrics.Builder{Context: name, Depth: f.depth, TopN: f.top}, audit: s.eff.VaultAudit, tokenEvery: f.tokenStore}
	if s.file != nil {
		t.budgets = budgetsUnder(s.file.BudgetsFor(s.ctx), prefix)
	}
	t.irrevocableErr.Store(-1)
	t.tokensErr.Store(-1)
	t.opt = crawl.Options{Prefix: prefix, Refresh: s.eff.Refresh, Concurrency: s.cfg.Concurrency,
		ErrorText: func(err error) string { return vaultclient.KindOf(err).String() }}
	return t, nil
}

// run drives the engine until ctx ends, publishing a snapshot after each
// event that changes the data.
func (t *target) run(ctx context.Context) {
	t.ctx = ctx
	t.eng = crawl.New(ctx, t.client, t.opt)
	if t.audit != "" {
		t.owners = audit.NewAttribution()
		go t.readAudit(ctx)
	}
	t.log.Info("crawling", "vault", t.addr, "prefix", t.prefix, "refresh", t.opt.Refresh.String())
	t.publish() // the context's up and crawl series from the start
	crawl.Run(ctx, t.eng, t.event)
}

func (t *target) event(ev crawl.Event) {
	now := time.Now()
	switch ev := ev.(type) {
	case crawl.Started:
		t.walkStart = now
		if !ev.Poll {
			t.crawlStart = now
		}
		return
	case crawl.Counted:
	case crawl.Done:
		if !ev.Poll {
			t.crawlTook = now.Sub(t.crawlStart)
		}
		t.retainOwners()
		t.readIrrevocable()
		t.readTokens(now)
	case crawl.LookupsFailed:
		t.log.Warn("lookups failed", "n", ev.N, "err", vaultclient.KindOf(ev.Err).String())
		return
	default:
		return
	}
	t.publish()
	// Ready once a first crawl ended and something was listed: a crawl
	// that found Vault away is no picture of it.
	if st := t.eng.Status(); st.Crawled && !st.LastOK.IsZero() && !t.ready.Load() {
		t.ready.Store(true)
		t.log.Info("first crawl ended", "leases", t.eng.Index().Len(), "took", t.crawlTook.Round(time.Millisecond).String())
	}
}

// publish builds a snapshot on the engine's goroutine and hands it to the
// collector.
func (t *target) publish() {
	st := t.eng.Status()
	up := !st.LastOK.IsZero() && st.StaleSince.IsZero()
	switch {
	case st.Err != nil:
		msg := st.Err.Error()
		if old := t.lastErr.Load(); old == nil || *old != msg || up != t.wasUp {
			t.log.Warn("refresh failed", "up", up, "err", msg)
		}
		t.lastErr.Store(&msg)
	case t.lastErr.Load() != nil:
		t.lastErr.Store(nil)
		t.log.Info("Vault answers again")
	}
	t.wasUp = up
	t.up.Store(up)
	in := metrics.Inputs{Index: t.eng.Index(), Churn: t.eng.Churn(), Now: time.Now(), Budgets: t.budgets,
		Crawl: metrics.Crawl{Up: up, Complete: st.Crawled, Duration: t.crawlTook, LastRefresh: st.LastOK}}
	if r := t.irrevocable.Load(); r != nil {
		in.Irrevocable, in.Mounts = &r.counts, r.mounts
	}
	t.leases.Store(int64(t.eng.Index().Len()))
	tokens := t.tokens.Load()
	if t.owners == nil {
		if tokens != nil {
			in.Owners = &owners.Source{Tokens: tokens}
		}
		t.col.Publish(t.builder.Build(in))
		return
	}
	t.ownersMu.Lock()
	defer t.ownersMu.Unlock()
	in.Owners = &owners.Source{Log: t.owners, Tokens: tokens}
	t.col.Publish(t.builder.Build(in))
}

// retainOwners keeps the attribution to the leases that live, and those
// made since the walk began (which it may not have listed), so memory
// follows Vault's leases, not the log.
func (t *target) retainOwners() {
	if t.owners == nil {
		return
	}
	idx, started := t.eng.Index(), t.walkStart
	t.ownersMu.Lock()
	defer t.ownersMu.Unlock()
	t.owners.RetainMade(func(id string, made time.Time) bool {
		return idx.Lease(id) != nil || !made.Before(started)
	})
}

// readIrrevocable counts the irrevocable leases off the engine's
// goroutine, one read at a time; the next snapshot carries the answer. A
// token without the right to read them leaves the series out.
func (t *target) readIrrevocable() {
	if !t.reading.CompareAndSwap(false, true) {
		return
	}
	cl, old := t.client, t.irrevocable.Load()
	go func() {
		defer t.reading.Store(false)
		ctx, cancel := context.WithTimeout(t.ctx, 30*time.Second)
		defer cancel()
		counts, err := cl.IrrevocableCount(ctx)
		if err != nil {
			// Said once per kind of failure: an unreachable Vault is the
			// refreshes' to report, every interval would be noise.
			if k := vaultclient.KindOf(err); t.irrevocableErr.Swap(int32(k)) != int32(k) && k != vaultclient.KindUnreachable {
				t.log.Warn("counting irrevocable leases failed (their series are left out)", "err", err.Error())
			}
			return
		}
		t.irrevocableErr.Store(-1)
		r := &irrevocableRead{counts: counts}
		if old != nil {
			r.mounts = old.mounts
		}
		if len(counts.ByMountAccessor) > 0 {
			// Name the accessors; fall back on them when mounts are unreadable.
			if m, err := cl.Mounts(ctx); err == nil {
				r.mounts = m
			}
		}
		t.irrevocable.Store(r)
	}()
}

// readTokens reads the token store off the engine's goroutine when the
// last read began tokenEvery ago or more, one read at a time; the next
// snapshot carries the answer. A failed read keeps the last one: tokens
// that live still name their leases, and the leases made since add up
// under owner="unknown" until a read succeeds.
func (t *target) readTokens(now time.Time) {
	if t.tokenEvery <= 0 || (!t.tokensAt.IsZero() && now.Sub(t.tokensAt) < t.tokenEvery) {
		return
	}
	if !t.readingTokens.CompareAndSwap(false, true) {
		return
	}
	t.tokensAt = now
	first := t.tokens.Load() == nil
	go func() {
		defer t.readingTokens.Store(false)
		start := time.Now()
		tokens, err := readTokenStore(t.ctx, t.client)
		if err != nil {
			if t.ctx.Err() != nil {
				return
			}
			if k := vaultclient.KindOf(err); t.tokensErr.Swap(int32(k)) != int32(k) && k != vaultclient.KindUnreachable {
				t.log.Warn("the token store was not read (token leases count as owner=\"unknown\" until it is)", "err", err.Error())
			}
			return
		}
		failed := t.tokensErr.Swap(-1) != -1
		t.tokens.Store(tokens)
		if first || failed {
			t.log.Info("token store read", "tokens", tokens.Len(), "took", time.Since(start).Round(time.Millisecond).String())
		}
	}()
}

// readAudit feeds the attribution from the audit log: a plain file is
// followed, a folder or a .gz file read once.
func (t *target) readAudit(ctx context.Context) {
	add := func(es []audit.Entry) {
		t.ownersMu.Lock()
		defer t.ownersMu.Unlock()
		t.owners.AddAll(es)
	}
	fi, err := os.Stat(t.audit)
	if err == nil && fi.Mode().IsRegular() && !strings.HasSuffix(t.audit, ".gz") {
		_ = audit.Follow(ctx, t.audit, add, func(err error) {
			t.log.Warn("reading the audit log", "path", t.audit, "err", err.Error())
		})
		return
	}
	st, err := audit.Read(ctx, t.audit, nil, add)
	t.ownersMu.Lock()
	t.owners.SeenFrom(st.First)
	t.ownersMu.Unlock()
	if err != nil && ctx.Err() == nil {
		t.log.Warn("reading the audit log", "path", t.audit, "err", err.Error())
	}
}

func allReady(ts []*target) bool {
	for _, t := range ts {
		if !t.ready.Load() {
			return false
		}
	}
	return true
}

// serveMux routes /metrics, /healthz, /readyz and the landing page.
func serveMux(col *metrics.Collector, ts []*target) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler(metrics.NewRegistry(col)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		var waiting []string
		for _, t := range ts {
			if !t.ready.Load() {
				waiting = append(waiting, t.name)
			}
		}
		if len(waiting) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "the first crawl of %s has not ended yet\n", strings.Join(waiting, ", "))
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = landing.Execute(w, landingData(ts))
	})
	return mux
}

// contextRow is one context on the landing page.
type contextRow struct {
	Name, Vault, State, Err string
	Leases                  int64
}

func landingData(ts []*target) any {
	rows := make([]contextRow, 0, len(ts))
	for _, t := range ts {
		r := contextRow{Name: t.name, Vault: t.addr, Leases: t.leases.Load()}
		switch {
		case t.up.Load() && t.ready.Load():
			r.State = "up"
		case t.up.Load():
			r.State = "first crawl under way"
		case t.lastErr.Load() != nil && t.ready.Load():
			r.State = "Vault unreachable: the last data is served"
		case t.lastErr.Load() != nil:
			r.State = "Vault unreachable"
		default:
			r.State = "first crawl under way"
		}
		if e := t.lastErr.Load(); e != nil {
			r.Err = *e
		}
		rows = append(rows, r)
	}
	return struct {
		Version  string
		Contexts []contextRow
	}{buildVersion(), rows}
}

var landing = template.Must(template.New("landing").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>leasetop serve</title></head>
<body>
<h1>leasetop serve</h1>
<p>Vault lease metrics for Prometheus (leasetop {{.Version}}).</p>
<ul>
<li><a href="metrics">/metrics</a>: the metrics</li>
<li><a href="healthz">/healthz</a>: 200 while the process runs</li>
<li><a href="readyz">/readyz</a>: 200 once every context's first crawl ended</li>
</ul>
<table>
<tr><th>context</th><th>Vault</th><th>state</th><th>leases</th><th>last error</th></tr>
{{range .Contexts}}<tr><td>{{.Name}}</td><td>{{.Vault}}</td><td>{{.State}}</td><td>{{.Leases}}</td><td>{{.Err}}</td></tr>
{{end}}</table>
</body></html>
`))
