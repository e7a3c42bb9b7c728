package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/report"
	"github.com/spf13/cobra"
)

// countFlags are the options of `leasetop count`.
type countFlags struct {
	depth   int
	format  string
	byCount bool
	watch   time.Duration
}

// countCommand is `leasetop count`: the roll-up tree of counts.
func (a *app) countCommand() *cobra.Command {
	var f countFlags
	cmd := &cobra.Command{
		Use:   "count [PREFIX]",
		Short: "the roll-up tree: leases and soonest expiry per prefix",
		Long: `Print the prefixes under PREFIX, --depth levels deep, each with its number of
leases and its soonest expiry. With --watch, list again after that long, as
the UI's refresh does, and add the leases created and gone per minute under
each prefix. Exit 1 when part of the crawl failed.`,
		Example: `  leasetop count --depth 3 --by-count
  leasetop count secret/ --watch 1m`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completePrefix(1),
		RunE:              run(func(cmd *cobra.Command, pos []string) int { return a.runCount(cmd.Context(), pos, f) }),
	}
	fs := cmd.Flags()
	fs.IntVar(&f.depth, "depth", 2, "levels of prefixes below PREFIX to show")
	fs.StringVarP(&f.format, "output", "o", "table", "output: table or json")
	fs.BoolVar(&f.byCount, "by-count", false, "order prefixes by lease count, largest first")
	fs.DurationVar(&f.watch, "watch", 0, "list again after this long and show leases created and gone per minute under each prefix")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) runCount(ctx context.Context, pos []string, f countFlags) int {
	const cmd = "leasetop count"
	prefix, err := onePrefix(pos)
	if err == nil && f.format != "table" && f.format != "json" {
		err = fmt.Errorf("unknown output format %q: use table or json", f.format)
	}
	if err == nil && f.depth < 0 {
		err = errors.New("--depth must not be negative")
	}
	if err == nil && f.watch < 0 {
		err = errors.New("--watch must not be negative")
	}
	if err != nil {
		return a.fail(2, cmd, "%v", err)
	}
	c, _, err := a.conn.client()
	if err != nil {
		return a.fail(exitFor(err, 1), cmd, "%v", err)
	}
	prefix = leaseid.AsPrefix(prefix)
	order := model.ByName
	if f.byCount {
		order = model.ByCount
	}
	if f.watch == 0 {
		// One walk: without a refresh the engine has nothing to decide
		// (watch.go).
		idx, failures := crawlIndex(ctx, c, prefix, a.stderr)
		return a.writeCounts(cmd, f, report.CountTree(idx, prefix, f.depth, order, time.Now()), failures)
	}
	w := a.watch(ctx, c, prefix, f.watch, func(*model.Index, []error) bool { return true })
	failures := w.failures
	if w.refreshErr != nil {
		failures = append(failures, w.refreshErr)
	}
	if err := ctx.Err(); err != nil {
		failures = append(failures, err)
	}
	rows := report.CountTree(w.idx, prefix, f.depth, order, time.Now())
	for i := range rows {
		made, gone := w.churn.Totals(rows[i].Prefix)
		created, goneRate := w.perMinute(made, f.watch), w.perMinute(gone, f.watch)
		rows[i].CreatedPerMinute, rows[i].GonePerMinute = &created, &goneRate
	}
	return a.writeCounts(cmd, f, rows, failures)
}

// writeCounts prints count's rows and ends it.
func (a *app) writeCounts(cmd string, f countFlags, rows []report.CountRow, failures []error) int {
	var err error
	if f.format == "json" {
		err = report.WriteCountsJSON(a.stdout, rows)
	} else {
		err = report.WriteCountsTable(a.stdout, rows)
	}
	if err != nil {
		return a.fail(1, cmd, "%v", err)
	}
	return a.reportFailures(cmd, failures)
}
