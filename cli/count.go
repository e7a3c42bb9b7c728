package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/report"
	"github.com/leasetop/leasetop/vaultclient"
	"github.com/spf13/cobra"
)

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
leases and its soonest expiry. With --watch, list again after that long and
add the leases created and gone per minute under each prefix. Exit 1 when
part of the crawl failed.`,
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
	idx, failures := crawlIndex(ctx, c, prefix, a.stderr)
	var churn churnCounts
	if f.watch > 0 {
		fmt.Fprintf(a.stderr, "watching for %s…\n", model.FormatDuration(f.watch))
		if churn, err = watchChurn(ctx, c, prefix, idx, f.watch); err != nil {
			failures = append(failures, err)
		}
	}
	order := model.ByName
	if f.byCount {
		order = model.ByCount
	}
	rows := report.CountTree(idx, prefix, f.depth, order, time.Now())
	if f.watch > 0 {
		for i := range rows {
			cg := churn.all[rows[i].Prefix]
			created, gone := float64(cg[0])/f.watch.Minutes(), float64(cg[1])/f.watch.Minutes()
			rows[i].CreatedPerMinute, rows[i].GonePerMinute = &created, &gone
		}
	}
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
