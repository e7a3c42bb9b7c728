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

	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/ui"
	"github.com/leasetop/leasetop/vaultclient"
)

// uiFlags are the options of the UI (and of the demo, which opens it).
type uiFlags struct {
	refresh    time.Duration
	increment  string
	readOnly   bool
	warn, crit string
	journal    string
	vaultAudit string
}

// register declares the UI's flags on fs: the root's and the demo's.
func (f *uiFlags) register(fs *pflag.FlagSet) {
	fs.DurationVar(&f.refresh, "refresh", 15*time.Second, "how often to re-list the tree (0 turns polling off)")
	fs.StringVar(&f.increment, "increment", "1h", "default renew increment")
	fs.BoolVar(&f.readOnly, "read-only", false, "disable every key that changes Vault")
	fs.StringVar(&f.warn, "warn", "1h", "TTLs under this show as a warning")
	fs.StringVar(&f.crit, "crit", "5m", "TTLs under this show as critical")
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

// ui is the root command's body.
func (a *app) ui(cmd *cobra.Command, pos []string, f uiFlags, showVersion bool) int {
	if showVersion {
		fmt.Fprintln(a.stdout, "leasetop", buildVersion())
		return 0
	}
	if len(pos) > 1 {
		return a.fail(2, "leasetop", "one prefix at most, got %d: %s", len(pos), strings.Join(pos, " "))
	}
	prefix := ""
	if len(pos) == 1 {
		prefix = pos[0]
	}
	s, err := a.conn.resolve()
	if err != nil {
		return a.fail(2, "leasetop", "%v", err)
	}
	client, err := vaultclient.New(s.cfg)
	if err != nil {
		return a.fail(1, "leasetop", "%v", err)
	}
	raw := f
	uiDefaults(cmd, s, &f, &prefix)
	return a.runUI(cmd.Context(), client, s, prefix, f, raw)
}

// uiOptions turns flags into ui.Options, or says what is wrong with them.
func uiOptions(prefix string, f uiFlags, stdin io.Reader) (ui.Options, error) {
	p, err := vaultclient.CleanPrefix(prefix)
	if err != nil {
		return ui.Options{}, err
	}
	inc, err := model.ParseDuration(f.increment)
	if err != nil || inc == 0 {
		return ui.Options{}, fmt.Errorf("--increment: %v", orZero(err))
	}
	warn, err := model.ParseDuration(f.warn)
	if err != nil {
		return ui.Options{}, fmt.Errorf("--warn: %w", err)
	}
	crit, err := model.ParseDuration(f.crit)
	if err != nil {
		return ui.Options{}, fmt.Errorf("--crit: %w", err)
	}
	if f.refresh < 0 {
		return ui.Options{}, errors.New("--refresh must not be negative")
	}
	if f.vaultAudit != "" && f.vaultAudit != "-" {
		if _, err := os.Stat(f.vaultAudit); err != nil {
			return ui.Options{}, fmt.Errorf("--vault-audit: %w", err)
		}
	}
	return ui.Options{Prefix: p, Refresh: f.refresh, Increment: inc, ReadOnly: f.readOnly,
		Thresholds: model.Thresholds{Critical: crit, Warning: warn}, VaultAudit: f.vaultAudit, Stdin: stdin}, nil
}

func orZero(err error) error {
	if err == nil {
		return errors.New("must be more than 0")
	}
	return err
}

// runUI checks that Vault answers, then runs the terminal UI until it
// quits or ctx ends.
//
// raw are the flags as given, without the context's settings: the base of
// the other contexts the UI switches to (:ctx).
func (a *app) runUI(ctx context.Context, client *vaultclient.Client, s settings, prefix string, f, raw uiFlags) int {
	opt, err := uiOptions(prefix, f, os.Stdin)
	if err != nil {
		return a.fail(2, "leasetop", "%v", err)
	}
	opt.Concurrency = s.cfg.Concurrency
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
	opt.Dark = lipgloss.HasDarkBackground(os.Stdin, os.Stdout)
	if s.ctx != nil {
		opt.ContextName, opt.Color = s.ctx.Name, s.ctx.Color
		if s.ctx.ReadOnly && !raw.readOnly {
			opt.ReadOnlyWhy = "the context " + s.ctx.Name + " is read-only in leasetop's config"
		}
		if opt.VaultAudit == "" {
			opt.VaultAudit = s.ctx.VaultAudit
		}
	}
	if s.file != nil {
		opt.Switch = a.switcher(s, opt, raw)
	}
	p := tea.NewProgram(ui.New(client, opt), tea.WithContext(ctx))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return a.fail(1, "leasetop", "%v", err)
	}
	return 0
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

// switcher opens the config file's other contexts in the UI (:ctx) over
// opt with the flags as given (raw), not the first context's settings.
func (a *app) switcher(s settings, opt ui.Options, raw uiFlags) ui.Switcher {
	base := opt
	if r, err := uiOptions("", raw, os.Stdin); err == nil {
		base.Prefix, base.Refresh, base.Thresholds, base.ReadOnly = r.Prefix, r.Refresh, r.Thresholds, r.ReadOnly
	}
	base.ContextName, base.Color = "", ""
	return ui.ConfigSwitcher(s.file, base, func(cfg vaultclient.Config) (ui.Backend, error) {
		// The flags given win over each context, as over the first.
		if a.conn.changed("concurrency") {
			cfg.Concurrency = a.conn.concurrency
		}
		if a.conn.changed("rate") {
			cfg.RateLimit = a.conn.rate
		}
		cfg.FixedConcurrency = a.conn.fixedConc
		c, err := vaultclient.New(cfg)
		if err != nil {
			return nil, err
		}
		return c, nil
	})
}
