package cli

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
	"github.com/spf13/cobra"
)

// Exit codes of `leasetop check`, as monitoring plugins (Nagios, Icinga,
// Sensu) expect them.
const (
	exitOK       = 0
	exitWarning  = 1
	exitCritical = 2
	exitUnknown  = 3
)

// checkFlags are the options of `leasetop check`.
type checkFlags struct {
	within, growth string
	warn, crit     int
	watch          time.Duration
	budget         bool
	tokenStore     bool
	af             auditFlags
}

// checkCommand is `leasetop check`, a monitoring plugin.
func (a *app) checkCommand() *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check --expiring-within D | --budget [PREFIX]",
		Short: "a monitoring plugin: leases expiring soon, growing too fast, or over their budgets",
		Long: `Count the leases under PREFIX that expire within --expiring-within and print
one summary line with perfdata, as monitoring plugins do (Nagios, Icinga,
Sensu, a CI step). With --growth, list twice --watch apart (the second time
as the UI's refresh does) and warn when the leases directly under one prefix
are created faster than that. With --budget, check the budgets of the
config file (budgets:): WARNING at a budget's warn share, CRITICAL over
it, one line for each below the summary; owners' budgets need Vault's
audit log (--vault-audit, or the context's vault-audit), and count the
owners' token leases too with --token-store.

Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad arguments, Vault
unreachable, a failed crawl).`,
		Example: `  leasetop check --expiring-within 1h --warn 10 --crit 100 database/
  leasetop check --expiring-within 1h --growth 500/m --watch 30s
  leasetop check --budget --vault-audit /var/log/vault_audit.log --token-store`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completePrefix(1),
		RunE:              run(func(cmd *cobra.Command, pos []string) int { return a.runCheck(cmd.Context(), pos, f) }),
	}
	fs := cmd.Flags()
	fs.StringVar(&f.within, "expiring-within", "", "count leases whose TTL is at most this (required), e.g. 1h")
	fs.IntVar(&f.warn, "warn", 1, "WARNING when at least this many leases expire within the window (0: never)")
	fs.IntVar(&f.crit, "crit", 0, "CRITICAL when at least this many leases expire within the window (0: never)")
	fs.StringVar(&f.growth, "growth", "", "WARNING when leases directly under one prefix are created faster than this, e.g. 500/m (lists twice, --watch apart)")
	fs.DurationVar(&f.watch, "watch", 30*time.Second, "with --growth: how long apart the two listings are")
	fs.BoolVar(&f.budget, "budget", false, "check the budgets of the config file: WARNING at a budget's warn share, CRITICAL over it (--expiring-within is then optional)")
	fs.BoolVar(&f.tokenStore, "token-store", false, "with --budget: read the token store too, so that owners' budgets count their token leases (logins)")
	f.af.register(cmd, false)
	a.checkCmd = cmd
	return cmd
}

func (a *app) runCheck(ctx context.Context, pos []string, f checkFlags) int {
	stdout, stderr := a.stdout, a.stderr
	unknown := func(format string, a ...any) int {
		fmt.Fprintf(stdout, "LEASETOP UNKNOWN - "+format+"\n", a...)
		return exitUnknown
	}
	prefix, err := onePrefix(pos)
	if err != nil {
		return unknown("%v", err)
	}
	if f.within == "" && !f.budget {
		return unknown("--expiring-within is required, e.g. --expiring-within 1h (or --budget)")
	}
	if f.tokenStore && !f.budget {
		return unknown("--token-store goes with --budget: it names the owners of token leases for owners' budgets")
	}
	if f.within == "" && f.growth != "" {
		return unknown("--growth goes with --expiring-within, e.g. --expiring-within 1h --growth 500/m")
	}
	var limit time.Duration
	if f.within != "" {
		if limit, err = model.ParseDuration(f.within); err != nil {
			return unknown("--expiring-within: %v", err)
		}
	}
	if err := f.af.checkPath(); err != nil {
		return unknown("%v", err)
	}
	if f.warn < 0 || f.crit < 0 {
		return unknown("--warn and --crit must not be negative")
	}
	growthLimit, err := parseRate(f.growth)
	if err != nil {
		return unknown("--growth: %v", err)
	}
	if f.watch <= 0 {
		return unknown("--watch must be more than 0")
	}
	c, s, err := a.conn.client()
	if err != nil {
		return unknown("%v", err)
	}
	prefix = leaseid.AsPrefix(prefix)
	var budgets []config.Budget
	if f.budget {
		if budgets = budgetsUnder(s.file.BudgetsFor(s.ctx), prefix); len(budgets) == 0 {
			return unknown("%s", noBudgets(s, prefix))
		}
	}
	var src owners.Source
	if auditPath := cmp.Or(f.af.path, s.eff.VaultAudit); f.budget && auditPath != "" && ownerBudgets(budgets) {
		if src, err = readAudit(ctx, "leasetop check", auditPath, a.stdin, stderr, false); err != nil {
			return unknown("%v", err)
		}
		if f.tokenStore {
			if src.Tokens, err = readTokenStore(ctx, c); err != nil {
				return unknown("owners' budgets: %v", err)
			}
		}
	}
	var (
		why, summary string
		n, total     int
		state, code  = "OK", exitOK
	)
	// The verdict on the expiring leases is the first crawl's, taken when
	// it ends: a watch's refresh adds leases whose TTLs it does not look up.
	verdict := func(idx *model.Index, failures []error) bool {
		if why = incomplete(idx, prefix, failures, ctx.Err() != nil); why != "" {
			return false
		}
		now := time.Now()
		soon := idx.Leases(prefix, model.Query{Recursive: true, ExpiringWithin: limit, Now: now})
		n, total = len(soon), idx.Len()
		switch {
		case f.crit > 0 && n >= f.crit:
			state, code = "CRITICAL", exitCritical
		case f.warn > 0 && n >= f.warn:
			state, code = "WARNING", exitWarning
		}
		summary = fmt.Sprintf("%d of %d leases under %s expire within %s", n, total, displayPrefix(prefix), model.FormatDuration(limit))
		if n > 0 {
			summary += fmt.Sprintf(", the first in %s (%s)", model.FormatTTL(soon[0].TTL(now)), soon[0].ID())
		}
		return true
	}
	growthPerf := ""
	var idx *model.Index
	if growthLimit == 0 {
		// One walk: without a refresh the engine has nothing to decide
		// (watch.go).
		var failures []error
		idx, failures = crawlIndex(ctx, c, prefix, stderr)
		if f.within == "" {
			if why = incomplete(idx, prefix, failures, ctx.Err() != nil); why != "" {
				return unknown("%s", why)
			}
			return a.checkBudgets(idx, src, prefix, budgets)
		}
		if !verdict(idx, failures) {
			return unknown("%s", why)
		}
	} else {
		w := a.watch(ctx, c, prefix, f.watch, verdict)
		idx = w.idx
		switch {
		case !w.crawled:
			why = incomplete(w.idx, prefix, w.failures, true)
			fallthrough
		case why != "":
			return unknown("%s", why)
		case w.refreshErr != nil:
			return unknown("listing %s again: %v", displayPrefix(prefix), w.refreshErr)
		case w.refreshes == 0:
			return unknown("listing %s again: %v", displayPrefix(prefix), ctx.Err())
		}
		// The prefix whose own leases were made fastest.
		fastest, rate := "", 0.0
		var visit func(n *model.Node)
		visit = func(n *model.Node) {
			made, _ := w.churn.OwnTotals(n.Path())
			if r := w.perMinute(made, f.watch); r > rate || r == rate && made > 0 && n.Path() < fastest {
				fastest, rate = n.Path(), r
			}
			for _, ch := range n.Children() {
				visit(ch)
			}
		}
		if root := w.idx.Node(prefix); root != nil {
			visit(root)
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
	perf := fmt.Sprintf("expiring=%d;%s;%s;0 total=%d;;;0%s", n, thr(f.warn), thr(f.crit), total, growthPerf)
	var lines []string
	if f.budget {
		b := budgetVerdict(idx, src, prefix, budgets)
		summary += "; " + b.summary
		perf += " " + b.perf
		lines = b.lines
		if worse(b.code, code) {
			state, code = b.state, b.code
		}
	}
	fmt.Fprintf(stdout, "LEASETOP %s - %s | %s\n", state, summary, perf)
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	return code
}

// incomplete says why a crawl cannot give a verdict, with how complete it
// was, or "" when every listed lease was looked up. The walk ends early
// and silently when ctx is cancelled (an interrupt, a monitoring system's
// SIGTERM), and a failed lookup leaves its lease's TTL unknown: either
// way the leases expiring soon would be undercounted.
func incomplete(idx *model.Index, prefix string, failures []error, interrupted bool) string {
	known := fmt.Sprintf("TTLs known for %s of %s leases", model.FormatCount(idx.Known()), model.FormatCount(idx.Len()))
	switch {
	case len(failures) > 0:
		return fmt.Sprintf("the crawl of %s failed (%s): %v", displayPrefix(prefix), known, failures[0])
	case interrupted:
		return fmt.Sprintf("the crawl of %s was interrupted: %s", displayPrefix(prefix), known)
	case idx.Known() < idx.Len():
		return fmt.Sprintf("the crawl of %s did not finish: %s", displayPrefix(prefix), known)
	}
	return ""
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
