package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/owners"
	"github.com/leasetop/leasetop/report"
	"github.com/leasetop/leasetop/vaultclient"
	"github.com/spf13/cobra"
)

// Exit codes of `leasetop who`.
const (
	whoKnown   = 0 // the audit log names who made the lease
	whoUnknown = 3 // it does not; the output says why
)

// whoCommand is `leasetop who`: who made one lease.
func (a *app) whoCommand() *cobra.Command {
	var af auditFlags
	var format string
	var tokenStore bool
	cmd := &cobra.Command{
		Use:   "who LEASE_ID [--vault-audit PATH] [--token-store]",
		Short: "who made one lease, from Vault's audit log or, for a token lease, its token store",
		Long: `Print everything Vault's audit log says about who made one lease (display
name, entity, metadata, policies, remote address, user agent, mount, path,
when). A token lease's id is a salted hash the log cannot name: with
--token-store, its token is found in the token store instead (display name,
entity, metadata, policies, path, accessor).

Exit codes: 0 the owner is known, 3 it is not (the output says why), 1 an
error, 2 bad arguments.`,
		Example: `  leasetop who database/creds/readonly/AbC123 --vault-audit /var/log/vault_audit.log
  leasetop who auth/approle/login/h8c3e… --token-store`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completeLease(1),
		RunE: run(func(cmd *cobra.Command, pos []string) int {
			return a.runWho(cmd.Context(), pos, af, format, tokenStore)
		}),
	}
	af.register(cmd, false)
	cmd.Flags().BoolVar(&tokenStore, "token-store", false, "for a token lease: find its token in the token store (lists every token and looks each one up; needs list and sudo on auth/token/accessors)")
	cmd.Flags().StringVarP(&format, "output", "o", "text", "output: text or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) runWho(ctx context.Context, pos []string, af auditFlags, format string, tokenStore bool) int {
	const cmd = "leasetop who"
	var err error
	switch {
	case len(pos) != 1 || pos[0] == "":
		err = errors.New("give one lease id")
	case format != "text" && format != "json":
		err = fmt.Errorf("unknown output format %q: use text or json", format)
	default:
		err = af.needSource(tokenStore)
	}
	if err != nil {
		return a.fail(2, cmd, "%v", err)
	}
	id := pos[0]
	c, _, err := a.conn.client()
	if err != nil {
		return a.fail(exitFor(err, 1), cmd, "%v", err)
	}
	var src owners.Source
	if af.path != "" {
		if src, err = readAudit(ctx, cmd, af.path, a.stdin, a.stderr, false); err != nil {
			return a.fail(1, cmd, "%v", err)
		}
	}
	// The lease's issue time tells "created before the log" from "not in
	// the log".
	inVault := true
	lease, err := c.Lookup(ctx, id)
	switch {
	case errors.Is(err, vaultclient.ErrInvalidLease):
		inVault = false
	case err != nil:
		return a.fail(1, cmd, "%v", err)
	}
	if tokenStore && inVault && leaseid.IsToken(id) {
		if src.Tokens, err = readTokenStore(ctx, c); err != nil {
			return a.fail(1, cmd, "%v", err)
		}
	}
	w := report.Who{LeaseID: id, InVault: inVault}
	var (
		own      *audit.Owner
		created  time.Time
		known    bool
		accessor string
	)
	switch {
	case leaseid.IsToken(id) && src.Tokens != nil:
		// The token was made as its lease was issued.
		if own, accessor, known = src.Tokens.Owner(id, lease.IssueTime, lease.ExpireTime); known {
			created, w.Source = lease.IssueTime, "token store"
		}
	case src.Log != nil:
		if own, created, known = src.Log.Owner(id); known {
			w.Source = "audit log"
		}
	}
	if known {
		w.Known = true
		w.Owner = &report.WhoOwner{Name: owners.Name(own), DisplayName: own.DisplayName, EntityID: own.EntityID,
			Metadata: own.Metadata, Policies: own.Policies, RemoteAddress: own.RemoteAddr, UserAgent: own.UserAgent,
			Mount: own.Mount, MountType: own.MountType, Path: own.Path, ClientID: own.ClientID, Accessor: accessor}
		if !created.IsZero() {
			t := created.UTC()
			w.CreatedTime = &t
		}
	} else {
		g, _ := owners.Of(id, lease.IssueTime, lease.ExpireTime, owners.ByEntity, src)
		w.Reason = noOwnerReason(g)
		if g.Key == owners.TokenLease.Key && inVault {
			w.Reason += "; --token-store finds its token"
		}
	}
	if format == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(w)
	} else {
		err = writeWho(a.stdout, w, lease)
	}
	if err != nil {
		return a.fail(1, cmd, "%v", err)
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
		if w.Source == "audit log" {
			row("remote address", or(o.RemoteAddress, "(not in the audit log)"))
			row("user agent", or(o.UserAgent, "(not in the audit log: Vault audits it only when told to)"))
			mount := or(o.Mount, "-")
			if o.MountType != "" {
				mount += " (" + o.MountType + ")"
			}
			row("mount", mount)
		}
		row("path", or(o.Path, "-"))
		if o.ClientID != "" {
			row("client id", o.ClientID)
		}
		if o.Accessor != "" {
			row("accessor", o.Accessor)
		}
		made := "-"
		if w.CreatedTime != nil {
			made = w.CreatedTime.Format(time.RFC3339)
		}
		row("made at", made+" ("+w.Source+")")
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
