package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
	"github.com/leasetop/leasetop/report"
	"github.com/leasetop/leasetop/vaultclient"
)

// Exit codes of `leasetop check`, as monitoring plugins (Nagios, Icinga,
// Sensu) expect them.
const (
	exitOK       = 0
	exitWarning  = 1
	exitCritical = 2
	exitUnknown  = 3
)

// scriptFlags are the connection flags every script subcommand shares.
type scriptFlags struct {
	addr, namespace string
	concurrency     int
}

func (s *scriptFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.addr, "addr", "", "Vault address (default $VAULT_ADDR)")
	fs.StringVar(&s.namespace, "namespace", "", "Vault namespace (default $VAULT_NAMESPACE)")
	fs.IntVar(&s.concurrency, "concurrency", vaultclient.DefaultConcurrency, "Vault requests in flight")
}

func (s *scriptFlags) client() (*vaultclient.Client, error) {
	if s.concurrency < 1 || s.concurrency > 256 {
		return nil, errors.New("--concurrency must be between 1 and 256")
	}
	return vaultclient.New(vaultclient.Config{Address: s.addr, Namespace: s.namespace, Concurrency: s.concurrency})
}

// onePrefix takes zero or one positional prefix.
func onePrefix(pos []string) (string, error) {
	switch len(pos) {
	case 0:
		return "", nil
	case 1:
		return vaultclient.CleanPrefix(pos[0])
	}
	return "", fmt.Errorf("one prefix at most, got %q", strings.Join(pos, " "))
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// progress draws a one-line crawl counter on stderr when it is a terminal
// and stays quiet otherwise (pipes, CI logs).
type progress struct {
	w       io.Writer
	on      bool
	last    time.Time
	listed  int
	leases  int
	started time.Time
}

func newProgress(stderr io.Writer) *progress {
	f, ok := stderr.(*os.File)
	return &progress{w: stderr, on: ok && term.IsTerminal(f.Fd()), started: time.Now()}
}

func (p *progress) event(ev vaultclient.Event) {
	switch ev.Kind {
	case vaultclient.EventListed:
		p.listed++
	case vaultclient.EventLease:
		p.leases++
	}
	if p.on && time.Since(p.last) > 100*time.Millisecond {
		p.last = time.Now()
		fmt.Fprintf(p.w, "\r\x1b[Kcrawling: %d prefixes listed, %d leases looked up (%s)", p.listed, p.leases, time.Since(p.started).Round(time.Second))
	}
}

func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// runLs is `leasetop ls`.
func runLs(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("leasetop ls", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf scriptFlags
	sf.register(fs)
	recursive := fs.Bool("r", false, "every lease below PREFIX, not only those directly under it")
	within := fs.String("expiring-within", "", "only leases whose TTL is at most this (expired ones included), e.g. 1h")
	renewable := fs.Bool("renewable", false, "only leases sys/leases/renew can renew (no token leases)")
	format := fs.String("o", "table", "output: table, json (an array), jsonl (one object a line) or csv")
	var af auditFlags
	af.register(fs, false)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: leasetop ls [PREFIX] [-r] [--expiring-within D] [--renewable] [--vault-audit PATH] [-o table|json|jsonl|csv]")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return helpOr(err, 2)
	}
	prefix, err := onePrefix(pos)
	if err != nil {
		fmt.Fprintln(stderr, "leasetop ls:", err)
		return 2
	}
	var limit time.Duration
	if *within != "" {
		if limit, err = model.ParseDuration(*within); err != nil {
			fmt.Fprintln(stderr, "leasetop ls: --expiring-within:", err)
			return 2
		}
	}
	if err := af.checkPath(); err != nil {
		fmt.Fprintln(stderr, "leasetop ls:", err)
		return 2
	}
	newWriter := report.New
	if af.path != "" {
		newWriter = report.NewWithOwners
	}
	w, err := newWriter(*format, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "leasetop ls:", err)
		return 2
	}
	c, err := sf.client()
	if err != nil {
		fmt.Fprintln(stderr, "leasetop ls:", err)
		return 1
	}
	ctx, cancel := signalContext()
	defer cancel()
	var src owners.Source
	if af.path != "" {
		if src, err = readAudit(ctx, "leasetop ls", af.path, stdin, stderr, false); err != nil {
			fmt.Fprintln(stderr, "leasetop ls:", err)
			return 1
		}
	}
	now := time.Now()
	prog := newProgress(stderr)
	var failures []error
	base := leaseid.AsPrefix(prefix)
	walk := c.Walk(ctx, prefix, vaultclient.WalkOptions{})
	if !*recursive {
		walk = directOnly(ctx, c, base)
	}
	for ev := range walk {
		prog.event(ev)
		switch ev.Kind {
		case vaultclient.EventError:
			failures = append(failures, ev.Err)
		case vaultclient.EventLease:
			l := ev.Lease
			if limit > 0 && (l.ExpireTime.IsZero() || l.ExpireTime.Sub(now) > limit) {
				continue
			}
			if *renewable && (!l.Renewable || leaseid.IsToken(l.ID)) {
				continue
			}
			row := report.NewRow(l.ID, l.IssueTime, l.ExpireTime, l.LastRenewal, l.Renewable, now)
			if src.Log != nil {
				row.Owner = lsOwner(l.ID, l.IssueTime, src)
			}
			if err := w.Write(row); err != nil {
				fmt.Fprintln(stderr, "leasetop ls:", err)
				return 1
			}
		}
	}
	prog.done()
	if err := w.Close(); err != nil {
		fmt.Fprintln(stderr, "leasetop ls:", err)
		return 1
	}
	return reportFailures("leasetop ls", failures, stderr)
}

// directOnly walks one level: the leases directly under prefix.
func directOnly(ctx context.Context, c *vaultclient.Client, prefix string) <-chan vaultclient.Event {
	out := make(chan vaultclient.Event)
	go func() {
		defer close(out)
		l, err := c.List(ctx, prefix)
		if err != nil {
			out <- vaultclient.Event{Kind: vaultclient.EventError, Prefix: prefix, Err: err}
			return
		}
		out <- vaultclient.Event{Kind: vaultclient.EventListed, Listing: l, Prefix: prefix}
		for _, id := range l.LeaseIDs {
			lease, err := c.Lookup(ctx, id)
			switch {
			case errors.Is(err, vaultclient.ErrInvalidLease):
				continue // vanished between the listing and the lookup
			case err != nil:
				out <- vaultclient.Event{Kind: vaultclient.EventError, LeaseID: id, Err: err}
			default:
				out <- vaultclient.Event{Kind: vaultclient.EventLease, Lease: lease}
			}
		}
	}()
	return out
}

func reportFailures(cmd string, failures []error, stderr io.Writer) int {
	if len(failures) == 0 {
		return 0
	}
	if len(failures) == 1 {
		fmt.Fprintf(stderr, "%s: the crawl failed: %s\n", cmd, failures[0])
	} else {
		fmt.Fprintf(stderr, "%s: %d parts of the crawl failed; the output is partial. First: %s\n", cmd, len(failures), failures[0])
	}
	return 1
}

func helpOr(err error, code int) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return code
}

// crawlIndex walks prefix into a model.Index (every lease looked up).
func crawlIndex(ctx context.Context, c *vaultclient.Client, prefix string, stderr io.Writer) (*model.Index, []error) {
	idx := model.NewIndex()
	prog := newProgress(stderr)
	now := time.Now()
	var failures []error
	for ev := range c.Walk(ctx, prefix, vaultclient.WalkOptions{}) {
		prog.event(ev)
		crawl.Apply(idx, ev, now, nil)
		if ev.Kind == vaultclient.EventError {
			failures = append(failures, ev.Err)
		}
	}
	prog.done()
	idx.PurgeGone(now.Add(time.Hour))
	return idx, failures
}

// churnCounts are the leases a second listing found new and gone, per
// prefix: own (directly under it) and all (its whole subtree).
type churnCounts struct {
	own, all map[string][2]int // [created, gone]
}

// watchChurn waits d, lists prefix again (no lookups) into idx and counts
// what changed per prefix: `count --watch` and `check --growth`.
func watchChurn(ctx context.Context, c *vaultclient.Client, prefix string, idx *model.Index, d time.Duration) (churnCounts, error) {
	ch := churnCounts{own: map[string][2]int{}, all: map[string][2]int{}}
	select {
	case <-time.After(d):
	case <-ctx.Done():
		return ch, ctx.Err()
	}
	st := crawl.Stats{Poll: true, Changed: func(p string, created, gone int) {
		o := ch.own[p]
		ch.own[p] = [2]int{o[0] + created, o[1] + gone}
		for q := p; ; q = leaseid.Parent(q) {
			a := ch.all[q]
			ch.all[q] = [2]int{a[0] + created, a[1] + gone}
			if q == "" {
				break
			}
		}
	}}
	var err error
	for ev := range c.Walk(ctx, prefix, vaultclient.WalkOptions{ListOnly: true}) {
		crawl.Apply(idx, ev, time.Now(), &st)
		if ev.Kind == vaultclient.EventError && err == nil {
			err = ev.Err
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	return ch, err
}

// runCount is `leasetop count`: the roll-up tree of counts.
func runCount(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("leasetop count", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf scriptFlags
	sf.register(fs)
	depth := fs.Int("depth", 2, "levels of prefixes below PREFIX to show")
	format := fs.String("o", "table", "output: table or json")
	byCount := fs.Bool("by-count", false, "order prefixes by lease count, largest first")
	watch := fs.Duration("watch", 0, "list again after this long and show leases created and gone per minute under each prefix")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: leasetop count [PREFIX] [--depth N] [--by-count] [--watch D] [-o table|json]")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return helpOr(err, 2)
	}
	prefix, err := onePrefix(pos)
	if err == nil && *format != "table" && *format != "json" {
		err = fmt.Errorf("unknown output format %q: use table or json", *format)
	}
	if err == nil && *depth < 0 {
		err = errors.New("--depth must not be negative")
	}
	if err == nil && *watch < 0 {
		err = errors.New("--watch must not be negative")
	}
	if err != nil {
		fmt.Fprintln(stderr, "leasetop count:", err)
		return 2
	}
	c, err := sf.client()
	if err != nil {
		fmt.Fprintln(stderr, "leasetop count:", err)
		return 1
	}
	ctx, cancel := signalContext()
	defer cancel()
	prefix = leaseid.AsPrefix(prefix)
	idx, failures := crawlIndex(ctx, c, prefix, stderr)
	var churn churnCounts
	if *watch > 0 {
		fmt.Fprintf(stderr, "watching for %s…\n", model.FormatDuration(*watch))
		if churn, err = watchChurn(ctx, c, prefix, idx, *watch); err != nil {
			failures = append(failures, err)
		}
	}
	order := model.ByName
	if *byCount {
		order = model.ByCount
	}
	rows := report.CountTree(idx, prefix, *depth, order, time.Now())
	if *watch > 0 {
		for i := range rows {
			cg := churn.all[rows[i].Prefix]
			created, gone := float64(cg[0])/watch.Minutes(), float64(cg[1])/watch.Minutes()
			rows[i].CreatedPerMinute, rows[i].GonePerMinute = &created, &gone
		}
	}
	if *format == "json" {
		err = report.WriteCountsJSON(stdout, rows)
	} else {
		err = report.WriteCountsTable(stdout, rows)
	}
	if err != nil {
		fmt.Fprintln(stderr, "leasetop count:", err)
		return 1
	}
	return reportFailures("leasetop count", failures, stderr)
}

// runCheck is `leasetop check`, a monitoring plugin.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("leasetop check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf scriptFlags
	sf.register(fs)
	within := fs.String("expiring-within", "", "count leases whose TTL is at most this (required), e.g. 1h")
	warn := fs.Int("warn", 1, "WARNING when at least this many leases expire within the window (0: never)")
	crit := fs.Int("crit", 0, "CRITICAL when at least this many leases expire within the window (0: never)")
	growth := fs.String("growth", "", "WARNING when leases directly under one prefix are created faster than this, e.g. 500/m (lists twice, --watch apart)")
	watch := fs.Duration("watch", 30*time.Second, "with --growth: how long apart the two listings are")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: leasetop check --expiring-within D [--warn N] [--crit N] [--growth N/m [--watch D]] [PREFIX]")
		fmt.Fprintln(stderr, "Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUnknown
	}
	unknown := func(format string, a ...any) int {
		fmt.Fprintf(stdout, "LEASETOP UNKNOWN - "+format+"\n", a...)
		return exitUnknown
	}
	prefix, err := onePrefix(pos)
	if err != nil {
		return unknown("%v", err)
	}
	if *within == "" {
		return unknown("--expiring-within is required, e.g. --expiring-within 1h")
	}
	limit, err := model.ParseDuration(*within)
	if err != nil {
		return unknown("--expiring-within: %v", err)
	}
	if *warn < 0 || *crit < 0 {
		return unknown("--warn and --crit must not be negative")
	}
	growthLimit, err := parseRate(*growth)
	if err != nil {
		return unknown("--growth: %v", err)
	}
	if *watch <= 0 {
		return unknown("--watch must be more than 0")
	}
	c, err := sf.client()
	if err != nil {
		return unknown("%v", err)
	}
	ctx, cancel := signalContext()
	defer cancel()
	prefix = leaseid.AsPrefix(prefix)
	idx, failures := crawlIndex(ctx, c, prefix, stderr)
	if len(failures) > 0 {
		return unknown("the crawl of %s failed: %v", displayPrefix(prefix), failures[0])
	}
	now := time.Now()
	soon := idx.Leases(prefix, model.Query{Recursive: true, ExpiringWithin: limit, Now: now})
	n, total := len(soon), idx.Len()
	state, code := "OK", exitOK
	switch {
	case *crit > 0 && n >= *crit:
		state, code = "CRITICAL", exitCritical
	case *warn > 0 && n >= *warn:
		state, code = "WARNING", exitWarning
	}
	summary := fmt.Sprintf("%d of %d leases under %s expire within %s", n, total, displayPrefix(prefix), model.FormatDuration(limit))
	if n > 0 {
		summary += fmt.Sprintf(", the first in %s (%s)", model.FormatTTL(soon[0].TTL(now)), soon[0].ID())
	}
	growthPerf := ""
	if growthLimit > 0 {
		fmt.Fprintf(stderr, "watching for %s…\n", model.FormatDuration(*watch))
		churn, err := watchChurn(ctx, c, prefix, idx, *watch)
		if err != nil {
			return unknown("listing %s again: %v", displayPrefix(prefix), err)
		}
		fastest, rate := "", 0.0
		for p, cg := range churn.own {
			if r := float64(cg[0]) / watch.Minutes(); r > rate || r == rate && p < fastest {
				fastest, rate = p, r
			}
		}
		growthPerf = fmt.Sprintf(" growth=%.1f;%g;;0", rate, growthLimit)
		if rate >= growthLimit {
			summary += fmt.Sprintf("; %s grows by %.0f leases a minute (limit %g/m)", fastest, rate, growthLimit)
			if code == exitOK {
				state, code = "WARNING", exitWarning
			}
		} else if fastest != "" {
			summary += fmt.Sprintf("; fastest growth %s %.0f/m", fastest, rate)
		}
	}
	thr := func(v int) string {
		if v == 0 {
			return ""
		}
		return fmt.Sprint(v)
	}
	fmt.Fprintf(stdout, "LEASETOP %s - %s | expiring=%d;%s;%s;0 total=%d;;;0%s\n", state, summary, n, thr(*warn), thr(*crit), total, growthPerf)
	return code
}

// parseRate reads a rate such as "500/m", "30/s" or "2000/h" as per
// minute; "" is 0 (no limit).
func parseRate(s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	num, unit, ok := strings.Cut(s, "/")
	if !ok {
		unit = "m"
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q is not a rate: write it as N/m (leases a minute), N/s or N/h", s)
	}
	switch strings.TrimSpace(unit) {
	case "s":
		return v * 60, nil
	case "m", "min":
		return v, nil
	case "h":
		return v / 60, nil
	}
	return 0, fmt.Errorf("%q is not a rate: the unit after / is s, m or h", s)
}

func displayPrefix(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// runRevoke is `leasetop revoke`.
func runRevoke(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("leasetop revoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf scriptFlags
	sf.register(fs)
	prefix := fs.String("prefix", "", "revoke every lease under this prefix")
	sync := fs.Bool("sync", false, "wait until Vault has revoked every lease (default: Vault queues the work)")
	force := fs.Bool("force", false, "force-revoke: remove the leases even if the backend fails; the credentials may stay valid")
	yes := fs.Bool("yes", false, "do not ask for confirmation (required when not on a terminal)")
	owner := fs.String("owner", "", "revoke every lease of the owner group with this name (or key) under --by; needs --vault-audit")
	var af auditFlags
	af.register(fs, true)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: leasetop revoke --prefix P [--sync|--force] [--yes]\n       leasetop revoke --owner NAME --vault-audit PATH [--by entity|role|mount|remote|agent] [PREFIX] [--sync] [--yes]\n       leasetop revoke LEASE_ID")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return helpOr(err, 2)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *owner == "" && (set["vault-audit"] || set["by"] || set["owner"]) {
		fmt.Fprintln(stderr, "leasetop revoke: --vault-audit and --by go with --owner NAME")
		return 2
	}
	if *owner != "" {
		return revokeOwner(revokeOwnerArgs{sf: sf, af: af, name: *owner, pos: pos, prefixSet: set["prefix"],
			sync: *sync, force: *force, yes: *yes}, stdin, stdout, stderr)
	}
	c, err := sf.client()
	if err != nil {
		fmt.Fprintln(stderr, "leasetop revoke:", err)
		return 1
	}
	ctx, cancel := signalContext()
	defer cancel()
	switch {
	case *prefix == "" && len(pos) == 1 && !*force:
		if _, err := c.Revoke(ctx, pos[0], true); err != nil {
			fmt.Fprintln(stderr, "leasetop revoke:", err)
			return 1
		}
		fmt.Fprintln(stdout, "revoked", pos[0])
		return 0
	case *prefix == "" || len(pos) > 0:
		fmt.Fprintln(stderr, "leasetop revoke: give either --prefix P or one lease id")
		return 2
	case *sync && *force:
		fmt.Fprintln(stderr, "leasetop revoke: --force is always synchronous; give --sync or --force, not both")
		return 2
	}
	p, err := vaultclient.CleanPrefix(*prefix)
	if err == nil && p == "" {
		err = errors.New("refusing to revoke the empty prefix (every lease in the namespace)")
	}
	if err != nil {
		fmt.Fprintln(stderr, "leasetop revoke:", err)
		return 2
	}
	n, err := crawl.Count(ctx, c, p)
	if err != nil {
		fmt.Fprintln(stderr, "leasetop revoke: counting the leases under", p+":", err)
		return 1
	}
	what := "Revoke"
	if *force {
		what = "FORCE-revoke (the backend's errors are ignored; the credentials may stay valid)"
	}
	fmt.Fprintf(stderr, "%s %d leases under %s.\n", what, n, p)
	if !*yes {
		f, ok := stdin.(*os.File)
		if !ok || !term.IsTerminal(f.Fd()) {
			fmt.Fprintln(stderr, "leasetop revoke: not on a terminal: add --yes to revoke a prefix from a script")
			return 2
		}
		fmt.Fprintf(stderr, "Type the prefix (%s) to confirm: ", p)
		var typed string
		_, _ = fmt.Fscanln(stdin, &typed)
		if typed != p {
			fmt.Fprintln(stderr, "leasetop revoke: not confirmed; nothing was revoked")
			return 1
		}
	}
	if *force {
		err = c.RevokeForce(ctx, p)
	} else {
		var r vaultclient.RevokeResult
		r, err = c.RevokePrefix(ctx, p, *sync)
		if err == nil && r.Queued {
			fmt.Fprintf(stdout, "queued the revocation of %d leases under %s\n", n, p)
			return 0
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "leasetop revoke:", err)
		return 1
	}
	fmt.Fprintf(stdout, "revoked %d leases under %s\n", n, p)
	return 0
}

// runRenew is `leasetop renew`.
func runRenew(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("leasetop renew", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf scriptFlags
	sf.register(fs)
	increment := fs.String("increment", "", "ask for this much more time (Vault may grant less); default: the engine's")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: leasetop renew LEASE_ID... [--increment D]")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return helpOr(err, 2)
	}
	if len(pos) == 0 {
		fs.Usage()
		return 2
	}
	var inc time.Duration
	if *increment != "" {
		if inc, err = model.ParseDuration(*increment); err != nil {
			fmt.Fprintln(stderr, "leasetop renew: --increment:", err)
			return 2
		}
	}
	c, err := sf.client()
	if err != nil {
		fmt.Fprintln(stderr, "leasetop renew:", err)
		return 1
	}
	ctx, cancel := signalContext()
	defer cancel()
	code := 0
	sort.Strings(pos)
	for _, id := range pos {
		r, err := c.Renew(ctx, id, inc)
		if err != nil {
			fmt.Fprintln(stderr, "leasetop renew:", err)
			code = 1
			continue
		}
		asked := "the default"
		if inc > 0 {
			asked = model.FormatDuration(inc)
		}
		line := fmt.Sprintf("renewed %s: asked %s, granted %s", id, asked, model.FormatDuration(r.Granted))
		if r.Capped() {
			line += " (capped by the max TTL)"
		}
		fmt.Fprintln(stdout, line)
	}
	return code
}

// auditFlags are the flags of the script commands that name owners from
// Vault's audit log.
type auditFlags struct {
	path string
	by   string
}

func (a *auditFlags) register(fs *flag.FlagSet, withBy bool) {
	fs.StringVar(&a.path, "vault-audit", "", "Vault's audit log, to see who made each lease: a file, a .gz file or a folder of rotated files, read once to its end, or - for stdin")
	if withBy {
		fs.StringVar(&a.by, "by", "entity", "group owners by entity, role, mount, remote or agent")
	}
}

// needPath checks that --vault-audit was given and exists.
func (a *auditFlags) needPath() error {
	if a.path == "" {
		return errors.New("--vault-audit PATH is required: Vault's file audit log (a file, a .gz file, a folder of rotated files, or - for stdin)")
	}
	return a.checkPath()
}

func (a *auditFlags) checkPath() error {
	if a.path != "" && a.path != "-" {
		if _, err := os.Stat(a.path); err != nil {
			return fmt.Errorf("--vault-audit: %w", err)
		}
	}
	return nil
}

// readAudit reads the audit log once, to its end, into an owners.Source.
// strict refuses a log that could only be read in part; otherwise the
// problem is told on stderr and the owners come from what was read.
func readAudit(ctx context.Context, cmd, path string, stdin io.Reader, stderr io.Writer, strict bool) (owners.Source, error) {
	a := audit.NewAttribution()
	st, err := audit.Read(ctx, path, stdin, a.AddAll)
	a.SeenFrom(st.First)
	name := path
	if path == "-" {
		name = "stdin"
	}
	switch {
	case err != nil && (strict || st.Lines == 0 || ctx.Err() != nil):
		return owners.Source{}, fmt.Errorf("reading the audit log %s: %w", name, err)
	case err != nil:
		fmt.Fprintf(stderr, "%s: warning: part of the audit log %s could not be read (the owners come from the rest): %v\n", cmd, name, err)
	}
	if st.Leases == 0 {
		fmt.Fprintf(stderr, "%s: warning: the audit log %s holds no lease creations (%d lines): is it Vault's file audit log?\n", cmd, name, st.Lines)
	}
	return owners.Source{Log: a}, nil
}

// noOwnerReason is the reason of a group without an owner, in words
// ("a token lease (…)"), from its label.
func noOwnerReason(g owners.Group) string {
	if g.Owned {
		return ""
	}
	return strings.TrimPrefix(g.Label, "no owner: ")
}

// shortReasons are the reasons `ls --vault-audit` gives in owner_reason:
// short, stable words.
var shortReasons = map[string]string{
	owners.TokenLease.Key: "token lease",
	"!before":             "before the audit log",
	owners.Unseen.Key:     "not in the audit log",
}

// lsOwner is the owner fields of one lease for `ls --vault-audit`.
func lsOwner(id string, issued time.Time, src owners.Source) *report.Owner {
	own, created, ok := src.Log.Owner(id)
	if !ok {
		g, _ := owners.Of(id, issued, time.Time{}, owners.ByEntity, src)
		return &report.Owner{OwnerReason: shortReasons[g.Key]}
	}
	o := &report.Owner{Owner: owners.Name(own), DisplayName: own.DisplayName, EntityID: own.EntityID}
	if g := owners.OfOwner(own, owners.ByRole); !strings.HasPrefix(g.Key, "role:?") {
		o.Role = g.Name
	}
	if !created.IsZero() {
		t := created.UTC()
		o.CreatedTime = &t
	}
	return o
}

// ownerRows turns a Rollup into report rows.
func ownerRows(rows []owners.Row, total int, now time.Time) []report.OwnerRow {
	out := make([]report.OwnerRow, 0, len(rows))
	for _, r := range rows {
		o := report.OwnerRow{Label: r.Label, Name: r.Name, Key: r.Key, Owned: r.Owned, Reason: noOwnerReason(r.Group),
			Leases: r.Count, Recent: r.Recent}
		if total > 0 {
			o.Share = float64(r.Count) / float64(total)
		}
		if !r.Soonest.IsZero() {
			u := r.Soonest.UTC()
			ttl := int64(r.Soonest.Sub(now) / time.Second)
			o.SoonestExpiry, o.SoonestTTL = &u, &ttl
		}
		out = append(out, o)
	}
	return out
}

// runOwners is `leasetop owners`: the live leases grouped by who made them.
func runOwners(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const cmd = "leasetop owners"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf scriptFlags
	sf.register(fs)
	var af auditFlags
	af.register(fs, true)
	recentFlag := fs.String("recent", "5m", "count the leases the log says were made within this window, e.g. 5m")
	format := fs.String("o", "table", "output: table, json (an array) or csv")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: leasetop owners [PREFIX] --vault-audit PATH [--by entity|role|mount|remote|agent] [--recent D] [-o table|json|csv]")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return helpOr(err, 2)
	}
	prefix, err := onePrefix(pos)
	var by owners.By
	var recent time.Duration
	if err == nil {
		by, err = owners.ParseBy(af.by)
	}
	if err == nil {
		if recent, err = model.ParseDuration(*recentFlag); err != nil {
			err = fmt.Errorf("--recent: %w", err)
		}
	}
	if err == nil {
		err = report.CheckOwnerFormat(*format)
	}
	if err == nil {
		err = af.needPath()
	}
	if err != nil {
		fmt.Fprintln(stderr, cmd+":", err)
		return 2
	}
	c, err := sf.client()
	if err != nil {
		fmt.Fprintln(stderr, cmd+":", err)
		return 1
	}
	ctx, cancel := signalContext()
	defer cancel()
	src, err := readAudit(ctx, cmd, af.path, stdin, stderr, false)
	if err != nil {
		fmt.Fprintln(stderr, cmd+":", err)
		return 1
	}
	prefix = leaseid.AsPrefix(prefix)
	idx, failures := crawlIndex(ctx, c, prefix, stderr)
	now := time.Now()
	rows, total := owners.Rollup(idx, prefix, by, src, now, recent)
	if err := report.WriteOwners(stdout, *format, ownerRows(rows, total, now), by.Words(), recent); err != nil {
		fmt.Fprintln(stderr, cmd+":", err)
		return 1
	}
	return reportFailures(cmd, failures, stderr)
}

// Exit codes of `leasetop who`.
const (
	whoKnown   = 0 // the audit log names who made the lease
	whoUnknown = 3 // it does not; the output says why
)

// runWho is `leasetop who`: who made one lease.
func runWho(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const cmd = "leasetop who"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf scriptFlags
	sf.register(fs)
	var af auditFlags
	af.register(fs, false)
	format := fs.String("o", "text", "output: text or json")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: leasetop who LEASE_ID --vault-audit PATH [-o text|json]")
		fmt.Fprintln(stderr, "Exit codes: 0 the owner is known, 3 it is not (the output says why), 1 an error, 2 bad arguments.")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return helpOr(err, 2)
	}
	switch {
	case len(pos) != 1 || pos[0] == "":
		err = errors.New("give one lease id")
	case *format != "text" && *format != "json":
		err = fmt.Errorf("unknown output format %q: use text or json", *format)
	default:
		err = af.needPath()
	}
	if err != nil {
		fmt.Fprintln(stderr, cmd+":", err)
		return 2
	}
	id := pos[0]
	c, err := sf.client()
	if err != nil {
		fmt.Fprintln(stderr, cmd+":", err)
		return 1
	}
	ctx, cancel := signalContext()
	defer cancel()
	src, err := readAudit(ctx, cmd, af.path, stdin, stderr, false)
	if err != nil {
		fmt.Fprintln(stderr, cmd+":", err)
		return 1
	}
	// The lease's issue time tells "created before the log" from "not in
	// the log".
	inVault := true
	lease, err := c.Lookup(ctx, id)
	switch {
	case errors.Is(err, vaultclient.ErrInvalidLease):
		inVault = false
	case err != nil:
		fmt.Fprintln(stderr, cmd+":", err)
		return 1
	}
	w := report.Who{LeaseID: id, InVault: inVault}
	own, created, known := src.Log.Owner(id)
	if known {
		w.Known = true
		w.Owner = &report.WhoOwner{Name: owners.Name(own), DisplayName: own.DisplayName, EntityID: own.EntityID,
			Metadata: own.Metadata, Policies: own.Policies, RemoteAddress: own.RemoteAddr, UserAgent: own.UserAgent,
			Mount: own.Mount, MountType: own.MountType, Path: own.Path, ClientID: own.ClientID}
		if !created.IsZero() {
			t := created.UTC()
			w.CreatedTime = &t
		}
	} else {
		g, _ := owners.Of(id, lease.IssueTime, lease.ExpireTime, owners.ByEntity, src)
		w.Reason = noOwnerReason(g)
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(w)
	} else {
		err = writeWho(stdout, w, lease)
	}
	if err != nil {
		fmt.Fprintln(stderr, cmd+":", err)
		return 1
	}
	if !known {
		return whoUnknown
	}
	return whoKnown
}

// writeWho prints w as aligned "field  value" lines.
func writeWho(out io.Writer, w report.Who, lease vaultclient.Lease) error {
	tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("lease", w.LeaseID)
	if o := w.Owner; o != nil {
		row("owner", o.Name)
		row("display name", or(o.DisplayName, "-"))
		row("entity", or(o.EntityID, "(none)"))
		keys := make([]string, 0, len(o.Metadata))
		for k := range o.Metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		meta := make([]string, len(keys))
		for i, k := range keys {
			meta[i] = k + "=" + o.Metadata[k]
		}
		row("metadata", or(strings.Join(meta, ", "), "(none)"))
		row("policies", or(strings.Join(o.Policies, ", "), "(none)"))
		row("remote address", or(o.RemoteAddress, "(not in the audit log)"))
		row("user agent", or(o.UserAgent, "(not in the audit log: Vault audits it only when told to)"))
		mount := or(o.Mount, "-")
		if o.MountType != "" {
			mount += " (" + o.MountType + ")"
		}
		row("mount", mount)
		row("path", or(o.Path, "-"))
		if o.ClientID != "" {
			row("client id", o.ClientID)
		}
		made := "-"
		if w.CreatedTime != nil {
			made = w.CreatedTime.Format(time.RFC3339)
		}
		row("made at", made+" (audit log)")
	} else {
		row("owner", "unknown: "+w.Reason)
	}
	switch {
	case !w.InVault:
		row("in Vault", "no: revoked, expired, or never made")
	case lease.ExpireTime.IsZero():
		row("in Vault", "live, never expires")
	default:
		row("in Vault", "live, expires "+lease.ExpireTime.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

type revokeOwnerArgs struct {
	sf                          scriptFlags
	af                          auditFlags
	name                        string
	pos                         []string
	prefixSet, sync, force, yes bool
}

// revokeOwner is `leasetop revoke --owner NAME`: every live lease of one
// owner group, its ids captured after the crawl, revoked one by one.
func revokeOwner(a revokeOwnerArgs, stdin io.Reader, stdout, stderr io.Writer) int {
	const cmd = "leasetop revoke"
	fail := func(code int, format string, v ...any) int {
		fmt.Fprintf(stderr, cmd+": "+format+"\n", v...)
		return code
	}
	prefix, err := onePrefix(a.pos)
	var by owners.By
	switch {
	case err != nil:
	case a.prefixSet:
		err = errors.New("--owner revokes lease by lease: give the prefix to look under as an argument, not --prefix")
	case a.force:
		err = errors.New("--force revokes a prefix; it does not go with --owner")
	default:
		if by, err = owners.ParseBy(a.af.by); err == nil {
			err = a.af.needPath()
		}
	}
	if err != nil {
		return fail(2, "%v", err)
	}
	c, err := a.sf.client()
	if err != nil {
		return fail(1, "%v", err)
	}
	ctx, cancel := signalContext()
	defer cancel()
	src, err := readAudit(ctx, cmd, a.af.path, stdin, stderr, true)
	if err != nil {
		return fail(1, "%v; nothing was revoked", err)
	}
	prefix = leaseid.AsPrefix(prefix)
	idx, failures := crawlIndex(ctx, c, prefix, stderr)
	if len(failures) > 0 {
		return fail(1, "the crawl of %s failed, so the owner's leases are not all known; nothing was revoked: %v", displayPrefix(prefix), failures[0])
	}
	rows, _ := owners.Rollup(idx, prefix, by, src, time.Now(), 0)
	var match []owners.Row
	for _, r := range rows {
		if r.Key == a.name || (r.Name != "" && r.Name == a.name) {
			match = append(match, r)
		}
	}
	switch {
	case len(match) == 0:
		var names []string
		for _, r := range rows {
			if r.Owned {
				names = append(names, fmt.Sprintf("%s (%d)", or(r.Name, r.Key), r.Count))
			}
		}
		list := "none"
		if len(names) > 0 {
			list = strings.Join(names, ", ")
		}
		return fail(2, "no owner named %q among the leases under %s grouped by %s; the owners: %s", a.name, displayPrefix(prefix), by, list)
	case len(match) > 1:
		var groups []string
		for _, r := range match {
			groups = append(groups, fmt.Sprintf("%s (%d leases, --owner %q)", r.Label, r.Count, r.Key))
		}
		return fail(2, "--owner %q is ambiguous grouped by %s: it names %d groups: %s; give the group's key as --owner, or another --by; nothing was revoked",
			a.name, by, len(match), strings.Join(groups, "; "))
	case !match[0].Owned:
		return fail(2, "%s: these leases have no owner to revoke by; nothing was revoked", match[0].Label)
	}
	g := match[0]
	ids := owners.Leases(idx, prefix, by, src, g.Key)
	if len(ids) == 0 {
		return fail(1, "%s has no live leases under %s", g.Label, displayPrefix(prefix))
	}
	fmt.Fprintf(stderr, "Revoke every lease of %s (grouped by %s) under %s: %d leases, captured now (leases it makes from now on are not revoked):\n", g.Label, by.Words(), displayPrefix(prefix), len(ids))
	for _, id := range ids[:min(len(ids), 3)] {
		fmt.Fprintln(stderr, "  "+id)
	}
	if len(ids) > 3 {
		fmt.Fprintf(stderr, "  … and %d more\n", len(ids)-3)
	}
	if !a.yes {
		f, ok := stdin.(*os.File)
		switch {
		case a.af.path == "-":
			return fail(2, "stdin held the audit log: add --yes to revoke an owner's leases")
		case !ok || !term.IsTerminal(f.Fd()):
			return fail(2, "not on a terminal: add --yes to revoke an owner's leases from a script")
		}
		fmt.Fprintf(stderr, "Type the owner (%s) to confirm: ", a.name)
		var typed string
		_, _ = fmt.Fscanln(stdin, &typed)
		if typed != a.name {
			return fail(1, "not confirmed; nothing was revoked")
		}
	}
	revoked, queued, errs := revokeEach(ctx, c, ids, a.sync, a.sf.concurrency)
	for _, err := range errs[:min(len(errs), 5)] {
		fmt.Fprintln(stderr, cmd+":", err)
	}
	if len(errs) > 5 {
		fmt.Fprintf(stderr, "%s: … and %d more failures\n", cmd, len(errs)-5)
	}
	verb := "revoked"
	if queued > 0 {
		verb = "revoked or queued the revocation of"
	}
	fmt.Fprintf(stdout, "%s %d of %d leases of %s\n", verb, revoked, len(ids), g.Label)
	if len(errs) > 0 {
		return 1
	}
	return 0
}

func or(v, none string) string {
	if v == "" {
		return none
	}
	return v
}

// revokeEach revokes each id with its own request, n at a time.
func revokeEach(ctx context.Context, c *vaultclient.Client, ids []string, wait bool, n int) (revoked, queued int, errs []error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(n, 1))
	for _, id := range ids {
		if ctx.Err() != nil {
			mu.Lock()
			errs = append(errs, fmt.Errorf("%s: %w", id, ctx.Err()))
			mu.Unlock()
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			r, err := c.Revoke(ctx, id, wait)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			default:
				revoked++
				if r.Queued {
					queued++
				}
			}
		}()
	}
	wg.Wait()
	return revoked, queued, errs
}
