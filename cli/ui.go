package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/ui"
	"github.com/leasetop/leasetop/vaultclient"
)

// uiFlags are the options of the UI (and of the demo, which opens it).
type uiFlags struct {
	fs         *pflag.FlagSet // where they were declared: which were given
	refresh    time.Duration
	increment  string
	readOnly   bool
	warn, crit string
	journal    string
	vaultAudit string
}

// register declares the UI's flags on fs: the root's and the demo's.
func (f *uiFlags) register(fs *pflag.FlagSet) {
	d := config.Defaults
	f.fs = fs
	fs.DurationVar(&f.refresh, "refresh", d.Refresh, "how often to re-list the tree (0 turns polling off)")
	fs.StringVar(&f.increment, "increment", "1h", "default renew increment")
	fs.BoolVar(&f.readOnly, "read-only", false, "disable every key that changes Vault")
	fs.StringVar(&f.warn, "warn", model.FormatDuration(d.Warn), "TTLs under this show as a warning")
	fs.StringVar(&f.crit, "crit", model.FormatDuration(d.Crit), "TTLs under this show as critical")
	fs.StringVar(&f.journal, "journal", "", "append every action leasetop applies to this file as JSON lines (its own journal, not Vault's audit log)")
	fs.StringVar(&f.vaultAudit, "vault-audit", "", "Vault's audit log, to see who made each lease: a file (followed), a folder of rotated files, a .gz file, or - for stdin")
}

const rootLong = `leasetop: top for Vault leases.

With no command, leasetop opens its terminal UI on the leases under PREFIX
(default: all). The commands for scripts print what the UI shows.

Vault is configured as for the vault CLI: VAULT_ADDR, VAULT_TOKEN or
~/.vault-token, VAULT_NAMESPACE, VAULT_CACERT, VAULT_SKIP_VERIFY, ...
A context of leasetop's config file (--context, leasetop ctx) can name
them instead; flags given on the command line win over the context.
Listing leases needs list+sudo on sys/leases/lookup/*.`

// uiCommand is the root: `leasetop [PREFIX]` opens the UI.
func (a *app) uiCommand() *cobra.Command {
	var f uiFlags
	var showVersion bool
	cmd := &cobra.Command{
		Use:   "leasetop [PREFIX]",
		Short: "top for Vault leases: browse, renew and revoke them",
		Long:  rootLong,
		Example: `  leasetop                     # every lease
  leasetop database/creds/     # start at a prefix
  leasetop --read-only         # look, never touch
  leasetop demo                # a dev Vault with real leases`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completePrefix(1),
		RunE: func(cmd *cobra.Command, pos []string) error {
			return code(a.ui(cmd, pos, f, showVersion))
		},
	}
	f.register(cmd.Flags())
	_ = cmd.MarkFlagFilename("journal")
	_ = cmd.MarkFlagFilename("vault-audit")
	cmd.Flags().BoolVar(&showVersion, "version", false, "print the version and exit")
	return cmd
}

// given are the UI's flags given on the command line (and the PREFIX
// argument), parsed, for config.Merge.
func (f uiFlags) given(prefix []string) (config.Flags, error) {
	var g config.Flags
	changed := func(name string) bool { return f.fs != nil && f.fs.Changed(name) }
	if changed("refresh") {
		if f.refresh < 0 {
			return g, errors.New("--refresh must not be negative")
		}
		g.Refresh = &f.refresh
	}
	if changed("read-only") {
		g.ReadOnly = &f.readOnly
	}
	for _, d := range []struct {
		name string
		v    string
		to   **time.Duration
	}{{"warn", f.warn, &g.Warn}, {"crit", f.crit, &g.Crit}} {
		if !changed(d.name) {
			continue
		}
		v, err := model.ParseDuration(d.v)
		if err != nil {
			return g, fmt.Errorf("--%s: %w", d.name, err)
		}
		*d.to = &v
	}
	if changed("vault-audit") {
		if f.vaultAudit != "-" {
			if _, err := os.Stat(f.vaultAudit); err != nil {
				return g, fmt.Errorf("--vault-audit: %w", err)
			}
		}
		g.VaultAudit = &f.vaultAudit
	}
	if len(prefix) == 1 {
		g.Prefix = &prefix[0]
	}
	return g, nil
}

// ui is the root command's body.
func (a *app) ui(cmd *cobra.Command, pos []string, f uiFlags, showVersion bool) int {
	if showVersion {
		fmt.Fprintln(a.stdout, "leasetop", buildVersion())
		return 0
	}
	if len(pos) > 1 {
		return a.fail(2, "leasetop", "one prefix at most, got %d: %s", len(pos), strings.Join(pos, " "))
	}
	given, err := f.given(pos)
	if err != nil {
		return a.fail(2, "leasetop", "%v", err)
	}
	s, err := a.conn.resolveWith(given)
	if err != nil {
		return a.fail(2, "leasetop", "%v", err)
	}
	client, err := vaultclient.New(s.cfg)
	if err != nil {
		return a.fail(1, "leasetop", "%v", err)
	}
	return a.runUI(cmd.Context(), client, s, f)
}

// uiOptions are the UI's options: the settings in effect (config.Merge)
// and the flags no context sets; or what is wrong with them.
func uiOptions(s config.Settings, f uiFlags, stdin io.Reader) (ui.Options, error) {
	p, err := vaultclient.CleanPrefix(s.Prefix)
	if err != nil {
		return ui.Options{}, err
	}
	inc, err := model.ParseDuration(f.increment)
	if err != nil || inc == 0 {
		return ui.Options{}, fmt.Errorf("--increment: %v", orZero(err))
	}
	s.Prefix = p
	return ui.Options{Increment: inc, Stdin: stdin}.With(s), nil
}

func orZero(err error) error {
	if err == nil {
		return errors.New("must be more than 0")
	}
	return err
}

// model builds the UI over client with opt, and the switcher to the
// config file's other contexts (:ctx).
func (a *app) model(client *vaultclient.Client, s settings, opt ui.Options) ui.Model {
	if s.file != nil {
		opt.Switch = a.switcher(s, opt)
	}
	return ui.New(client, opt)
}

// runUI checks that Vault answers, then runs the terminal UI until it
// quits or ctx ends.
func (a *app) runUI(ctx context.Context, client *vaultclient.Client, s settings, f uiFlags) int {
	opt, err := uiOptions(s.eff, f, os.Stdin)
	if err != nil {
		return a.fail(2, "leasetop", "%v", err)
	}
	opt.Budgets = s.file.BudgetsFor(s.ctx)
	if err := preflight(ctx, client); err != nil {
		if ctx.Err() != nil {
			return 0 // stopped (the demo's signals) before the UI opened: as when tea.ErrProgramKilled ends it
		}
		return a.fail(1, "leasetop", "%v", err)
	}
	if f.journal != "" {
		log, err := openJournal(f.journal)
		if err != nil {
			return a.fail(1, "leasetop", "%v", err)
		}
		defer log.Close()
		opt.Journal = log.Record
	}
	run := a.program
	if run == nil {
		opt.Dark = lipgloss.HasDarkBackground(os.Stdin, os.Stdout) // asks the terminal
		run = runProgram
	}
	if err := run(ctx, a.model(client, s, opt)); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return a.fail(1, "leasetop", "%v", err)
	}
	return 0
}

// runProgram runs the UI in the terminal.
func runProgram(ctx context.Context, m tea.Model) error {
	_, err := tea.NewProgram(m, tea.WithContext(ctx)).Run()
	return err
}

// preflight fails fast, before the screen switches, when Vault cannot be
// used at all: unreachable, TLS, sealed, no token.
func preflight(ctx context.Context, c *vaultclient.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	h, err := c.Health(ctx)
	if err != nil {
		return err
	}
	if h.Sealed {
		return fmt.Errorf("Vault at %s is sealed: unseal it (vault operator unseal) and start leasetop again", c.Address())
	}
	if !c.HasToken() {
		return errors.New("no Vault token: set VAULT_TOKEN or run `vault login` (which writes ~/.vault-token)")
	}
	if _, err := c.Self(ctx); err != nil {
		return err
	}
	return nil
}

// switcher opens the config file's other contexts in the UI (:ctx) with
// the same rule as the first: config.Merge of the flags given.
func (a *app) switcher(s settings, opt ui.Options) ui.Switcher {
	return ui.ConfigSwitcher(s.file, s.eff.Name, s.flags, opt, func(cfg vaultclient.Config) (ui.Backend, error) {
		cfg.FixedConcurrency = a.conn.fixedConc // not a context setting
		c, err := vaultclient.New(cfg)
		if err != nil {
			return nil, err
		}
		return c, nil
	})
}
