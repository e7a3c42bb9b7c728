package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/leasetop/leasetop/hygiene"
	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
	"github.com/spf13/cobra"
)

// doctorFlags are the options of `leasetop doctor`.
type doctorFlags struct {
	format         string
	permanentAfter string
	af             auditFlags
}

// doctorCommand is `leasetop doctor`: the hygiene checks, ranked.
func (a *app) doctorCommand() *cobra.Command {
	var f doctorFlags
	cmd := &cobra.Command{
		Use:   "doctor [PREFIX]",
		Short: "leases that should not exist: orphans, effectively permanent leases, the audit cost of a crawl",
		Long: `Crawl the leases under PREFIX and list what should not be, the largest first:
leases whose role or mount is gone, irrevocable leases whose mount is gone,
leases that never expire or were granted --permanent-after or more, clients
that make a lease per read and never renew one (named by Vault's audit log
with --vault-audit, else by their path) or log in for every request (named
by the token store), prefixes and owners over the
budgets of the config file, and audit devices that a crawl's LISTs fill
because they lack elide_list_responses.
Each finding comes with its evidence and the command that fixes it. A check
the token may not run names the policy line it lacks.

Exit codes, as check's: 0 nothing found, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
(the crawl failed, or nothing was found but a check could not run).`,
		Example: `  leasetop doctor
  leasetop doctor -o json --permanent-after 7d database/`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completePrefix(1),
		RunE:              run(func(cmd *cobra.Command, pos []string) int { return a.runDoctor(cmd.Context(), pos, f) }),
	}
	fs := cmd.Flags()
	fs.StringVarP(&f.format, "output", "o", "text", "output: text or json")
	fs.StringVar(&f.permanentAfter, "permanent-after", model.FormatDuration(hygiene.DefaultPermanentAfter),
		"a lease granted this long or longer is effectively permanent, e.g. 30d")
	f.af.register(cmd, false)
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	a.doctorCmd = cmd
	return cmd
}

func (a *app) runDoctor(ctx context.Context, pos []string, f doctorFlags) int {
	const cmd = "leasetop doctor"
	prefix, err := onePrefix(pos)
	if err == nil && f.format != "text" && f.format != "json" {
		err = fmt.Errorf("unknown output format %q: use text or json", f.format)
	}
	var after time.Duration
	if err == nil {
		if after, err = model.ParseDuration(f.permanentAfter); err != nil {
			err = fmt.Errorf("--permanent-after: %w", err)
		}
	}
	if err != nil {
		return a.fail(exitUnknown, cmd, "%v", err)
	}
	if err := f.af.checkPath(); err != nil {
		return a.fail(exitUnknown, cmd, "%v", err)
	}
	c, s, err := a.conn.client()
	if err != nil {
		return a.fail(exitUnknown, cmd, "%v", err)
	}
	prefix = leaseid.AsPrefix(prefix)
	var src owners.Source
	if auditPath := cmp.Or(f.af.path, s.eff.VaultAudit); auditPath != "" {
		if src, err = readAudit(ctx, cmd, auditPath, a.stdin, a.stderr, false); err != nil {
			return a.fail(exitUnknown, cmd, "%v", err)
		}
	}
	idx, failures := crawlIndex(ctx, c, prefix, a.stderr)
	if why := incomplete(idx, prefix, failures, ctx.Err() != nil); why != "" {
		return a.fail(exitUnknown, cmd, "%s", why)
	}
	var fs []hygiene.Finding
	var un []hygiene.Unchecked
	add := func(f []hygiene.Finding, u []hygiene.Unchecked) {
		fs, un = append(fs, f...), append(un, u...)
	}
	leases := hygiene.Snapshot(idx, prefix)
	orphans := hygiene.OrphanInput{Leases: leases}
	if n := idx.Node("auth/"); n != nil && n.Count() > 0 {
		// Token leases: the token store names their owners, for the
		// login-per-request and budget checks as for the orphans. When it
		// cannot be read, FindOrphans asks again and names the policy
		// line the token lacks.
		if infos, err := c.Tokens(ctx, 0, nil); err == nil {
			orphans.Tokens, src.Tokens = infos, hygiene.TokenIndex(infos)
		}
	}
	add(hygiene.FindOrphans(ctx, c, orphans))
	add(hygiene.FindPermanent(ctx, c, leases, after))
	add(hygiene.FindAuditCost(ctx, c, leases))
	add(hygiene.LeasePerRead(idx, src, hygiene.ReuseOptions{}))
	if budgets := budgetsUnder(s.file.BudgetsFor(s.ctx), prefix); len(budgets) > 0 {
		add(hygiene.Budgets(idx, src, budgets))
	}
	hygiene.Rank(fs)
	if f.format == "json" {
		err = writeFindingsJSON(a.stdout, idx.Len(), fs, un)
	} else {
		err = writeFindingsText(a.stdout, prefix, idx.Len(), fs, un)
	}
	if err != nil {
		return a.fail(exitUnknown, cmd, "%v", err)
	}
	return doctorExit(fs, un)
}

// doctorExit is the exit code: the worst finding's, else UNKNOWN when a
// check could not run, else OK.
func doctorExit(fs []hygiene.Finding, un []hygiene.Unchecked) int {
	code := exitOK
	for _, f := range fs {
		switch {
		case f.Severity == hygiene.Critical:
			return exitCritical
		case f.Severity == hygiene.Warning:
			code = exitWarning
		}
	}
	if code == exitOK && len(un) > 0 {
		return exitUnknown
	}
	return code
}

var actionNames = map[hygiene.ActionKind]string{hygiene.NoAction: "advice", hygiene.RevokePrefix: "revoke-prefix",
	hygiene.ForcePrefix: "force-prefix", hygiene.RevokeLeases: "revoke-leases"}

// maxTextIDs is how many of a finding's lease ids the text output lists.
const maxTextIDs = 20

func writeFindingsText(w io.Writer, prefix string, total int, fs []hygiene.Finding, un []hygiene.Unchecked) error {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%-8s %s\n", strings.ToUpper(f.Severity.String()), f.Title)
		fmt.Fprintf(&b, "         %s", f.Kind)
		if f.Prefix != "" {
			fmt.Fprintf(&b, " at %s", f.Prefix)
		}
		if f.Owner != "" {
			fmt.Fprintf(&b, ", owner %s", f.Owner)
		}
		b.WriteString("\n")
		for _, e := range f.Evidence {
			fmt.Fprintf(&b, "         - %s\n", e)
		}
		fmt.Fprintf(&b, "         fix: %s\n", f.Action.Text)
		if c := f.Command(); c != "" {
			fmt.Fprintf(&b, "           $ %s\n", c)
		}
		if f.Action.Kind == hygiene.RevokeLeases && len(f.LeaseIDs) > 1 {
			for i, id := range f.LeaseIDs {
				if i == maxTextIDs {
					fmt.Fprintf(&b, "             … and %d more (-o json lists every id)\n", len(f.LeaseIDs)-maxTextIDs)
					break
				}
				fmt.Fprintf(&b, "             %s\n", id)
			}
		}
		b.WriteString("\n")
	}
	for _, u := range un {
		fmt.Fprintf(&b, "UNCHECKED %s", u.Kind)
		if u.Prefix != "" {
			fmt.Fprintf(&b, " at %s", u.Prefix)
		}
		fmt.Fprintf(&b, ": %s\n", u.Reason)
		if u.Missing != "" {
			fmt.Fprintf(&b, "         the token's policy needs: %s\n", u.Missing)
		}
	}
	held := 0
	for _, f := range fs {
		held += f.Leases
	}
	fmt.Fprintf(&b, "%d findings holding %s of %s leases under %s; %d checks could not run\n",
		len(fs), model.FormatCount(held), model.FormatCount(total), displayPrefix(prefix), len(un))
	_, err := io.WriteString(w, b.String())
	return err
}

type findingJSON struct {
	Kind     string     `json:"kind"`
	Severity string     `json:"severity"`
	Prefix   string     `json:"prefix,omitempty"`
	Owner    string     `json:"owner,omitempty"`
	Leases   int        `json:"leases"`
	LeaseIDs []string   `json:"lease_ids,omitempty"`
	Title    string     `json:"title"`
	Evidence []string   `json:"evidence"`
	Action   actionJSON `json:"action"`
}

type actionJSON struct {
	Kind    string `json:"kind"`
	Text    string `json:"text"`
	Command string `json:"command,omitempty"`
}

type uncheckedJSON struct {
	Kind    string `json:"kind"`
	Prefix  string `json:"prefix,omitempty"`
	Missing string `json:"missing_policy,omitempty"`
	Reason  string `json:"reason"`
}

func writeFindingsJSON(w io.Writer, total int, fs []hygiene.Finding, un []hygiene.Unchecked) error {
	out := struct {
		Leases    int             `json:"leases"`
		Findings  []findingJSON   `json:"findings"`
		Unchecked []uncheckedJSON `json:"unchecked"`
	}{Leases: total, Findings: []findingJSON{}, Unchecked: []uncheckedJSON{}}
	for _, f := range fs {
		ev := f.Evidence
		if ev == nil {
			ev = []string{}
		}
		out.Findings = append(out.Findings, findingJSON{Kind: string(f.Kind), Severity: f.Severity.String(),
			Prefix: f.Prefix, Owner: f.Owner, Leases: f.Leases, LeaseIDs: f.LeaseIDs, Title: f.Title, Evidence: ev,
			Action: actionJSON{Kind: actionNames[f.Action.Kind], Text: f.Action.Text, Command: f.Command()}})
	}
	for _, u := range un {
		out.Unchecked = append(out.Unchecked, uncheckedJSON{Kind: string(u.Kind), Prefix: u.Prefix, Missing: u.Missing, Reason: u.Reason})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
