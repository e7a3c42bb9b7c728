package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/owners"
	"github.com/leasetop/leasetop/vaultclient"
	"github.com/spf13/cobra"
)

// revokeFlags are the options of `leasetop revoke`.
type revokeFlags struct {
	prefix, owner    string
	sync, force, yes bool
	af               auditFlags
}

// revokeCommand is `leasetop revoke`.
func (a *app) revokeCommand() *cobra.Command {
	var f revokeFlags
	cmd := &cobra.Command{
		Use:   "revoke (LEASE_ID | --prefix P | --owner NAME --vault-audit PATH [PREFIX])",
		Short: "revoke one lease, a prefix, or an owner's leases",
		Long: `Revoke one lease (LEASE_ID), every lease under a prefix (--prefix P; never the
empty prefix), or every lease of one owner group named by Vault's audit log
(--owner NAME --vault-audit PATH, below PREFIX if given; one request per
lease). A prefix or an owner asks you to type it on a terminal and needs
--yes otherwise.`,
		Example: `  leasetop revoke database/creds/readonly/AbC123
  leasetop revoke --prefix secret/ci/ --sync --yes
  leasetop revoke --owner billing --by role --vault-audit /var/log/vault_audit.log --yes`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completeLease(1),
		RunE: func(cmd *cobra.Command, pos []string) error {
			set := func(name string) bool { return cmd.Flags().Changed(name) }
			return code(a.runRevoke(cmd.Context(), pos, f, set))
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.prefix, "prefix", "", "revoke every lease under this prefix")
	fs.BoolVar(&f.sync, "sync", false, "wait until Vault has revoked every lease (default: Vault queues the work)")
	fs.BoolVar(&f.force, "force", false, "force-revoke: remove the leases even if the backend fails; the credentials may stay valid")
	fs.BoolVar(&f.yes, "yes", false, "do not ask for confirmation (required when not on a terminal)")
	fs.StringVar(&f.owner, "owner", "", "revoke every lease of the owner group with this name (or key) under --by; needs --vault-audit")
	f.af.register(cmd, true)
	_ = cmd.RegisterFlagCompletionFunc("prefix", a.completePrefixFlag)
	return cmd
}

func (a *app) runRevoke(ctx context.Context, pos []string, f revokeFlags, set func(string) bool) int {
	const cmd = "leasetop revoke"
	stdin, stdout, stderr := a.stdin, a.stdout, a.stderr
	if f.owner == "" && (set("vault-audit") || set("by") || set("owner")) {
		return a.fail(2, cmd, "--vault-audit and --by go with --owner NAME")
	}
	if f.owner != "" {
		return a.revokeOwner(ctx, revokeOwnerArgs{af: f.af, name: f.owner, pos: pos, prefixSet: set("prefix"),
			sync: f.sync, force: f.force, yes: f.yes})
	}
	c, s, err := a.conn.client()
	if err == nil {
		err = refuseReadOnly(s, "revoke")
	}
	if err != nil {
		return a.fail(exitFor(err, 1), cmd, "%v", err)
	}
	switch {
	case f.prefix == "" && len(pos) == 1 && !f.force:
		if _, err := c.Revoke(ctx, pos[0], true); err != nil {
			return a.fail(1, cmd, "%v", err)
		}
		fmt.Fprintln(stdout, "revoked", pos[0])
		return 0
	case f.prefix == "" || len(pos) > 0:
		return a.fail(2, cmd, "give either --prefix P or one lease id")
	case f.sync && f.force:
		return a.fail(2, cmd, "--force is always synchronous; give --sync or --force, not both")
	}
	p, err := vaultclient.CleanPrefix(f.prefix)
	if err == nil && p == "" {
		err = errors.New("refusing to revoke the empty prefix (every lease in the namespace)")
	}
	if err != nil {
		return a.fail(2, cmd, "%v", err)
	}
	n, err := crawl.Count(ctx, c, p)
	if err != nil {
		return a.fail(1, cmd, "counting the leases under %s: %v", p, err)
	}
	what := "Revoke"
	if f.force {
		what = "FORCE-revoke (the backend's errors are ignored; the credentials may stay valid)"
	}
	fmt.Fprintf(stderr, "%s %d leases under %s.\n", what, n, p)
	if !f.yes {
		f, ok := stdin.(*os.File)
		if !ok || !term.IsTerminal(f.Fd()) {
			return a.fail(2, cmd, "not on a terminal: add --yes to revoke a prefix from a script")
		}
		fmt.Fprintf(stderr, "Type the prefix (%s) to confirm: ", p)
		var typed string
		_, _ = fmt.Fscanln(stdin, &typed)
		if typed != p {
			return a.fail(1, cmd, "not confirmed; nothing was revoked")
		}
	}
	if f.force {
		err = c.RevokeForce(ctx, p)
	} else {
		var r vaultclient.RevokeResult
		r, err = c.RevokePrefix(ctx, p, f.sync)
		if err == nil && r.Queued {
			fmt.Fprintf(stdout, "queued the revocation of %d leases under %s\n", n, p)
			return 0
		}
	}
	if err != nil {
		return a.fail(1, cmd, "%v", err)
	}
	fmt.Fprintf(stdout, "revoked %d leases under %s\n", n, p)
	return 0
}

type revokeOwnerArgs struct {
	af                          auditFlags
	name                        string
	pos                         []string
	prefixSet, sync, force, yes bool
}

// revokeOwner is `leasetop revoke --owner NAME`: every live lease of one
// owner group, its ids captured after the crawl, revoked one by one.
func (app *app) revokeOwner(ctx context.Context, a revokeOwnerArgs) int {
	stdin, stdout, stderr := app.stdin, app.stdout, app.stderr
	const cmd = "leasetop revoke"
	fail := func(code int, format string, v ...any) int { return app.fail(code, cmd, format, v...) }
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
	c, s, err := app.conn.client()
	if err == nil {
		err = refuseReadOnly(s, "revoke")
	}
	if err != nil {
		return fail(exitFor(err, 1), "%v", err)
	}
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
	// A lease that may be the lease of this command's own token
	// (vaultclient.CoversOwnToken) is named, and revoked last so that
	// losing the token cannot stop the others. Token leases join an owner
	// group only where a token store names them, which this command does
	// not read: today its groups hold none, and the check keeps it safe if
	// they ever do.
	var own []string
	if self, err := c.Self(ctx); err == nil {
		own = vaultclient.OwnTokenLeases(ids, self)
		if len(own) > 0 {
			fmt.Fprintf(stderr, "Warning: leasetop's own token was created by %s, where this owner holds %d token leases: one may be leasetop's, and revoking it revokes the token this command runs with (it is revoked last).\n", self.Path, len(own))
			ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return slices.Contains(own, id) })
		}
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
	revoked, queued, errs := revokeEach(ctx, c, ids, a.sync, s.cfg.Concurrency)
	if len(own) > 0 {
		r, q, e := revokeEach(ctx, c, own, a.sync, 1)
		revoked, queued, errs = revoked+r, queued+q, append(errs, e...)
		ids = append(ids, own...)
	}
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
