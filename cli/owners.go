package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
	"github.com/leasetop/leasetop/report"
	"github.com/spf13/cobra"
)

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

// ownersFlags are the options of `leasetop owners`.
type ownersFlags struct {
	af             auditFlags
	recent, format string
	tokenStore     bool
}

// ownersCommand is `leasetop owners`: the live leases grouped by who made
// them.
func (a *app) ownersCommand() *cobra.Command {
	var f ownersFlags
	cmd := &cobra.Command{
		Use:   "owners [PREFIX] [--vault-audit PATH] [--token-store]",
		Short: "the live leases grouped by who made them, from Vault's audit log and token store",
		Long: `Group the live leases under PREFIX by who made them, as Vault's audit log
says (a file, a .gz file, a folder of rotated files, or - for stdin, read
once to its end) and, with --token-store, the token store for token leases
(whose ids the audit log cannot name): owners first, most leases first, then
the leases without an owner, grouped by the reason.`,
		Example: `  leasetop owners secret/ --vault-audit /var/log/vault_audit.log --by role
  leasetop owners --vault-audit /var/log/vault/ --by entity --recent 10m -o json
  leasetop owners auth/ --token-store --by role`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completePrefix(1),
		RunE:              run(func(cmd *cobra.Command, pos []string) int { return a.runOwners(cmd.Context(), pos, f) }),
	}
	f.af.register(cmd, true)
	cmd.Flags().StringVar(&f.recent, "recent", "5m", "count the leases the log says were made within this window, e.g. 5m")
	cmd.Flags().StringVarP(&f.format, "output", "o", "table", "output: table, json (an array) or csv")
	cmd.Flags().BoolVar(&f.tokenStore, "token-store", false, "read the token store too, for the owners of token leases (lists every token and looks each one up; needs list and sudo on auth/token/accessors)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json", "csv"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) runOwners(ctx context.Context, pos []string, f ownersFlags) int {
	const cmd = "leasetop owners"
	prefix, err := onePrefix(pos)
	var by owners.By
	var recent time.Duration
	if err == nil {
		by, err = owners.ParseBy(f.af.by)
	}
	if err == nil {
		if recent, err = model.ParseDuration(f.recent); err != nil {
			err = fmt.Errorf("--recent: %w", err)
		}
	}
	if err == nil {
		err = report.CheckOwnerFormat(f.format)
	}
	if err == nil {
		err = f.af.needSource(f.tokenStore)
	}
	if err != nil {
		return a.fail(2, cmd, "%v", err)
	}
	c, _, err := a.conn.client()
	if err != nil {
		return a.fail(exitFor(err, 1), cmd, "%v", err)
	}
	src, err := ownerSource(ctx, cmd, c, f.af.path, f.tokenStore, a.stdin, a.stderr)
	if err != nil {
		return a.fail(1, cmd, "%v", err)
	}
	prefix = leaseid.AsPrefix(prefix)
	idx, failures := crawlIndex(ctx, c, prefix, a.stderr)
	now := time.Now()
	rows, total := owners.Rollup(idx, prefix, by, src, now, recent)
	if err := report.WriteOwners(a.stdout, f.format, ownerRows(rows, total, now), by.Words(), recent); err != nil {
		return a.fail(1, cmd, "%v", err)
	}
	return a.reportFailures(cmd, failures)
}
