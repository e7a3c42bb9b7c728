package cli

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/leasetop/leasetop/model"
	"github.com/spf13/cobra"
)

// renewCommand is `leasetop renew`.
func (a *app) renewCommand() *cobra.Command {
	var increment string
	cmd := &cobra.Command{
		Use:   "renew LEASE_ID...",
		Short: "renew leases; prints what was asked and what was granted",
		Long: `Renew each LEASE_ID by --increment (default: the engine's increment) and print
what was asked and what Vault granted. Exit 1 when a renewal failed.`,
		Example:           `  leasetop renew database/creds/readonly/AbC123 --increment 2h`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completeLease(-1),
		RunE: func(cmd *cobra.Command, pos []string) error {
			if len(pos) == 0 {
				fmt.Fprintln(a.stderr, "leasetop renew: give one lease id or more")
				fmt.Fprint(a.stderr, cmd.UsageString())
				return code(2)
			}
			return code(a.runRenew(cmd.Context(), pos, increment))
		},
	}
	cmd.Flags().StringVar(&increment, "increment", "", "ask for this much more time (Vault may grant less); default: the engine's")
	return cmd
}

func (a *app) runRenew(ctx context.Context, pos []string, increment string) int {
	const cmd = "leasetop renew"
	stdout, stderr := a.stdout, a.stderr
	var err error
	var inc time.Duration
	if increment != "" {
		if inc, err = model.ParseDuration(increment); err != nil {
			return a.fail(2, cmd, "--increment: %v", err)
		}
	}
	c, s, err := a.conn.client()
	if err == nil {
		err = refuseReadOnly(s, "renew")
	}
	if err != nil {
		return a.fail(exitFor(err, 1), cmd, "%v", err)
	}
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
