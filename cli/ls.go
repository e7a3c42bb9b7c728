package cli

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
	"github.com/leasetop/leasetop/report"
	"github.com/leasetop/leasetop/vaultclient"
	"github.com/spf13/cobra"
)

// lsFlags are the options of `leasetop ls`.
type lsFlags struct {
	recursive, renewable bool
	within, format       string
	af                   auditFlags
	tokenStore           bool
}

// lsCommand is `leasetop ls`.
func (a *app) lsCommand() *cobra.Command {
	var f lsFlags
	cmd := &cobra.Command{
		Use:   "ls [PREFIX]",
		Short: "list the leases under PREFIX",
		Long: `List the leases directly under PREFIX (with -r, every lease below it), as a
table, JSON, JSON lines or CSV. Rows stream as the crawl goes. Exit 1 when
part of the crawl failed (the output is then partial, and stderr says why).`,
		Example: `  leasetop ls database/creds/ -r --expiring-within 1h -o jsonl
  leasetop ls -r --renewable -o csv > leases.csv
  leasetop ls -r database/ --vault-audit /var/log/vault_audit.log -o csv
  leasetop ls -r auth/ --token-store -o json`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completePrefix(1),
		RunE:              run(func(cmd *cobra.Command, pos []string) int { return a.runLs(cmd.Context(), pos, f) }),
	}
	fs := cmd.Flags()
	fs.BoolVarP(&f.recursive, "recursive", "r", false, "every lease below PREFIX, not only those directly under it")
	fs.StringVar(&f.within, "expiring-within", "", "only leases whose TTL is at most this (expired ones included), e.g. 1h")
	fs.BoolVar(&f.renewable, "renewable", false, "only leases sys/leases/renew can renew (no token leases)")
	fs.StringVarP(&f.format, "output", "o", "table", "output: table, json (an array), jsonl (one object a line) or csv")
	f.af.register(cmd, false)
	fs.BoolVar(&f.tokenStore, "token-store", false, "add each token lease's owner from the token store (lists every token and looks each one up; needs list and sudo on auth/token/accessors)")
	return cmd
}

func (a *app) runLs(ctx context.Context, pos []string, f lsFlags) int {
	const cmd = "leasetop ls"
	prefix, err := onePrefix(pos)
	if err != nil {
		return a.fail(2, cmd, "%v", err)
	}
	var limit time.Duration
	if f.within != "" {
		if limit, err = model.ParseDuration(f.within); err != nil {
			return a.fail(2, cmd, "--expiring-within: %v", err)
		}
	}
	if err := f.af.checkPath(); err != nil {
		return a.fail(2, cmd, "%v", err)
	}
	owned := f.af.path != "" || f.tokenStore
	newWriter := report.New
	if owned {
		newWriter = report.NewWithOwners
	}
	w, err := newWriter(f.format, a.stdout)
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
	now := time.Now()
	prog := newProgress(a.stderr)
	var failures []error
	base := leaseid.AsPrefix(prefix)
	// One walk, not the crawl engine: ls refreshes nothing, so the
	// engine's refresh plan, growth hints and churn have nothing to
	// decide, and a walk streams each row as its lookup answers.
	walk := c.Walk(ctx, prefix, vaultclient.WalkOptions{})
	if !f.recursive {
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
			if f.renewable && (!l.Renewable || leaseid.IsToken(l.ID)) {
				continue
			}
			row := report.NewRow(l.ID, l.IssueTime, l.ExpireTime, l.LastRenewal, l.Renewable, now)
			if owned {
				row.Owner = lsOwner(l, src)
			}
			if err := w.Write(row); err != nil {
				return a.fail(1, cmd, "%v", err)
			}
		}
	}
	prog.done()
	if err := w.Close(); err != nil {
		return a.fail(1, cmd, "%v", err)
	}
	return a.reportFailures(cmd, failures)
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

// shortReasons are the reasons `ls --vault-audit` and `ls --token-store`
// give in owner_reason: short, stable words.
var shortReasons = map[string]string{
	owners.TokenLease.Key:     "token lease",
	"!before":                 "before the audit log",
	owners.Unseen.Key:         "not in the audit log",
	owners.NoSource.Key:       "no audit log",
	owners.TokenUnmatched.Key: "token not found",
}

// lsOwner is the owner fields of one lease for `ls --vault-audit` and
// `ls --token-store`: a token lease's from the token store, any other's
// from the audit log.
func lsOwner(l vaultclient.Lease, src owners.Source) *report.Owner {
	var (
		own     *audit.Owner
		created time.Time
		ok      bool
	)
	switch {
	case leaseid.IsToken(l.ID) && src.Tokens != nil:
		if own, _, ok = src.Tokens.Owner(l.ID, l.IssueTime, l.ExpireTime); ok {
			created = l.IssueTime // the token was made as its lease was issued
		}
	case src.Log != nil:
		own, created, ok = src.Log.Owner(l.ID)
	}
	if !ok {
		g, _ := owners.Of(l.ID, l.IssueTime, l.ExpireTime, owners.ByEntity, src)
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
