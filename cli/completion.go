package cli

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/leasetop/leasetop/leaseid"
)

// completionCommand is `leasetop completion SHELL`: it prints the script
// and never edits a shell's rc file.
func (a *app) completionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "print a shell completion script",
		Long: `Print the completion script of a shell on stdout; nothing is installed or
edited. Besides commands and flags, it completes context names for --context
and, when a Vault client can be built (within 2 seconds; silently nothing
otherwise), prefixes and lease ids by listing Vault.

  bash:       source <(leasetop completion bash)   (in ~/.bashrc)
  zsh:        leasetop completion zsh > "${fpath[1]}/_leasetop"
  fish:       leasetop completion fish > ~/.config/fish/completions/leasetop.fish
  powershell: leasetop completion powershell | Out-String | Invoke-Expression`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), a.stdout
			var err error
			switch args[0] {
			case "bash":
				err = root.GenBashCompletionV2(out, true)
			case "zsh":
				err = root.GenZshCompletion(out)
			case "fish":
				err = root.GenFishCompletion(out, true)
			case "powershell":
				err = root.GenPowerShellCompletionWithDesc(out)
			default:
				return code(a.fail(2, "leasetop completion", "unknown shell %q: use bash, zsh, fish or powershell", args[0]))
			}
			if err != nil {
				return code(a.fail(1, "leasetop completion", "%v", err))
			}
			return nil
		},
	}
}

// completeTimeout bounds the Vault listing behind a completion.
const completeTimeout = 2 * time.Second

// completePrefix completes the positional PREFIX (at most max of them) with
// the prefixes Vault lists.
func (a *app) completePrefix(max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return a.completeVault(cmd.Context(), toComplete, false)
	}
}

// completeLease completes positional LEASE_IDs (at most max, -1 for any
// number) with the prefixes and lease ids Vault lists.
func (a *app) completeLease(max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if max >= 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return a.completeVault(cmd.Context(), toComplete, true)
	}
}

// completePrefixFlag completes a flag that takes a prefix (revoke --prefix).
func (a *app) completePrefixFlag(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return a.completeVault(cmd.Context(), toComplete, false)
}

// completeVault lists the level of Vault's leases that toComplete is in:
// its child prefixes, and with leases its lease ids. Any error (no Vault,
// no token, no permission, too slow) means no completions, never a
// message.
func (a *app) completeVault(ctx context.Context, toComplete string, leases bool) ([]string, cobra.ShellCompDirective) {
	none := cobra.ShellCompDirectiveNoFileComp
	dir := toComplete[:strings.LastIndex(toComplete, "/")+1]
	c, _, err := a.conn.client()
	if err != nil {
		return nil, none
	}
	ctx, cancel := context.WithTimeout(ctx, completeTimeout)
	defer cancel()
	l, err := c.List(ctx, dir)
	if err != nil {
		return nil, none
	}
	var out []string
	add := func(full string) {
		if s := dir + strings.TrimPrefix(full, leaseid.AsPrefix(l.Prefix)); strings.HasPrefix(s, toComplete) {
			out = append(out, s)
		}
	}
	for _, p := range l.Prefixes {
		add(p)
	}
	if leases {
		for _, id := range l.LeaseIDs {
			add(id)
		}
	}
	if len(out) == 1 && !strings.HasSuffix(out[0], "/") {
		return out, none // one lease id: a space after it
	}
	return out, none | cobra.ShellCompDirectiveNoSpace
}
