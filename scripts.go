package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
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
func runLs(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("leasetop ls", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf scriptFlags
	sf.register(fs)
	recursive := fs.Bool("r", false, "every lease below PREFIX, not only those directly under it")
	within := fs.String("expiring-within", "", "only leases whose TTL is at most this (expired ones included), e.g. 1h")
	renewable := fs.Bool("renewable", false, "only leases sys/leases/renew can renew (no token leases)")
	format := fs.String("o", "table", "output: table, json (an array), jsonl (one object a line) or csv")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: leasetop ls [PREFIX] [-r] [--expiring-within D] [--renewable] [-o table|json|jsonl|csv]")
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
	w, err := report.New(*format, stdout)
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
			if err := w.Write(report.NewRow(l.ID, l.IssueTime, l.ExpireTime, l.LastRenewal, l.Renewable, now)); err != nil {
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

// runCount is `leasetop count`: the roll-up tree of counts.
func runCount(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("leasetop count", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf scriptFlags
	sf.register(fs)
	depth := fs.Int("depth", 2, "levels of prefixes below PREFIX to show")
	format := fs.String("o", "table", "output: table or json")
	byCount := fs.Bool("by-count", false, "order prefixes by lease count, largest first")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: leasetop count [PREFIX] [--depth N] [--by-count] [-o table|json]")
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
	order := model.ByName
	if *byCount {
		order = model.ByCount
	}
	rows := report.CountTree(idx, prefix, *depth, order, time.Now())
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
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: leasetop check --expiring-within D [--warn N] [--crit N] [PREFIX]")
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
	thr := func(v int) string {
		if v == 0 {
			return ""
		}
		return fmt.Sprint(v)
	}
	fmt.Fprintf(stdout, "LEASETOP %s - %s | expiring=%d;%s;%s;0 total=%d;;;0\n", state, summary, n, thr(*warn), thr(*crit), total)
	return code
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
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: leasetop revoke --prefix P [--sync|--force] [--yes]\n       leasetop revoke LEASE_ID")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return helpOr(err, 2)
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
