// Command leasetop is `top` for the leases of HashiCorp Vault and OpenBao:
// a prefix tree with lease counts beside a table of leases with live TTL
// countdowns, and renew/revoke from the keyboard.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/ui"
	"github.com/leasetop/leasetop/vaultclient"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// flags is every option of the UI (and of the demo, which opens it).
type flags struct {
	addr, namespace string
	refresh         time.Duration
	concurrency     int
	rate            float64
	increment       string
	readOnly        bool
	warn, crit      string
	journal         string
	vaultAudit      string
	fixedConc       bool
	showVersion     bool
}

func newFlagSet(name string, f *flags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.addr, "addr", "", "Vault address (default $VAULT_ADDR)")
	fs.StringVar(&f.namespace, "namespace", "", "Vault namespace (default $VAULT_NAMESPACE)")
	fs.DurationVar(&f.refresh, "refresh", 15*time.Second, "how often to re-list the tree (0 turns polling off)")
	fs.IntVar(&f.concurrency, "concurrency", vaultclient.DefaultConcurrency, "at most this many Vault requests in flight (fewer while Vault is slow or answers 429/503)")
	fs.BoolVar(&f.fixedConc, "fixed-concurrency", false, "keep --concurrency requests in flight whatever Vault's latency (turns the adaptive limit off)")
	fs.Float64Var(&f.rate, "rate", 0, "at most this many Vault requests per second (0: no limit)")
	fs.StringVar(&f.increment, "increment", "1h", "default renew increment")
	fs.BoolVar(&f.readOnly, "read-only", false, "disable every key that changes Vault")
	fs.StringVar(&f.warn, "warn", "1h", "TTLs under this show as a warning")
	fs.StringVar(&f.crit, "crit", "5m", "TTLs under this show as critical")
	fs.StringVar(&f.journal, "journal", "", "append every action leasetop applies to this file as JSON lines (its own journal, not Vault's audit log)")
	fs.StringVar(&f.vaultAudit, "vault-audit", "", "Vault's audit log, to see who made each lease: a file (followed), a folder of rotated files, a .gz file, or - for stdin")
	fs.BoolVar(&f.showVersion, "version", false, "print the version and exit")
	return fs
}

// parseInterleaved parses flags that may come before or after the
// positional arguments (leasetop secret/ --read-only).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "demo":
			return runDemo(args[1:], stdout, stderr)
		case "ls":
			return runLs(args[1:], os.Stdin, stdout, stderr)
		case "count":
			return runCount(args[1:], stdout, stderr)
		case "check":
			return runCheck(args[1:], stdout, stderr)
		case "revoke":
			return runRevoke(args[1:], os.Stdin, stdout, stderr)
		case "renew":
			return runRenew(args[1:], stdout, stderr)
		case "owners":
			return runOwners(args[1:], os.Stdin, stdout, stderr)
		case "who":
			return runWho(args[1:], os.Stdin, stdout, stderr)
		}
	}
	var f flags
	fs := newFlagSet("leasetop", &f, stderr)
	fs.Usage = func() { usage(fs, stderr) }
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(fs, stdout)
			return 0
		}
		return 2
	}
	if f.showVersion {
		fmt.Fprintln(stdout, "leasetop", buildVersion())
		return 0
	}
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "leasetop: one prefix at most, got %d: %s\n", len(pos), strings.Join(pos, " "))
		return 2
	}
	prefix := ""
	if len(pos) == 1 {
		prefix = pos[0]
	}
	if f.rate < 0 {
		fmt.Fprintln(stderr, "leasetop: --rate must not be negative")
		return 2
	}
	client, err := vaultclient.New(vaultclient.Config{Address: f.addr, Namespace: f.namespace, Concurrency: f.concurrency, RateLimit: f.rate, FixedConcurrency: f.fixedConc})
	if err != nil {
		fmt.Fprintln(stderr, "leasetop:", err)
		return 1
	}
	return runUI(client, prefix, f, stderr)
}

// uiOptions turns flags into ui.Options, or says what is wrong with them.
func uiOptions(prefix string, f flags) (ui.Options, error) {
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
	if f.concurrency < 1 || f.concurrency > 256 {
		return ui.Options{}, errors.New("--concurrency must be between 1 and 256")
	}
	if f.vaultAudit != "" && f.vaultAudit != "-" {
		if _, err := os.Stat(f.vaultAudit); err != nil {
			return ui.Options{}, fmt.Errorf("--vault-audit: %w", err)
		}
	}
	return ui.Options{Prefix: p, Refresh: f.refresh, Concurrency: f.concurrency, Increment: inc, ReadOnly: f.readOnly,
		Thresholds: model.Thresholds{Critical: crit, Warning: warn}, VaultAudit: f.vaultAudit, Stdin: os.Stdin}, nil
}

func orZero(err error) error {
	if err == nil {
		return errors.New("must be more than 0")
	}
	return err
}

// runUI checks that Vault answers, then runs the terminal UI.
func runUI(client *vaultclient.Client, prefix string, f flags, stderr io.Writer) int {
	return runUIContext(context.Background(), client, prefix, f, stderr)
}

// runUIContext is runUI that also ends when ctx does.
func runUIContext(ctx context.Context, client *vaultclient.Client, prefix string, f flags, stderr io.Writer) int {
	opt, err := uiOptions(prefix, f)
	if err != nil {
		fmt.Fprintln(stderr, "leasetop:", err)
		return 2
	}
	if err := preflight(client); err != nil {
		fmt.Fprintln(stderr, "leasetop:", err)
		return 1
	}
	if f.journal != "" {
		log, err := openJournal(f.journal)
		if err != nil {
			fmt.Fprintln(stderr, "leasetop:", err)
			return 1
		}
		defer log.Close()
		opt.Journal = log.Record
	}
	opt.Dark = lipgloss.HasDarkBackground(os.Stdin, os.Stdout)
	p := tea.NewProgram(ui.New(client, opt), tea.WithContext(ctx))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		fmt.Fprintln(stderr, "leasetop:", err)
		return 1
	}
	return 0
}

// preflight fails fast, before the screen switches, when Vault cannot be
// used at all: unreachable, TLS, sealed, no token.
func preflight(c *vaultclient.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
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

// buildVersion is the -ldflags version, else the module version that
// `go install …@vX` recorded, else "dev".
func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `leasetop: top for Vault leases

Usage:
  leasetop [flags] [PREFIX]     browse the leases under PREFIX (default: all)
  leasetop demo [flags]         start a dev Vault with real leases and browse them

For scripts (each takes -h):
  leasetop ls [PREFIX] [-r] [--expiring-within D] [--renewable] [-o table|json|jsonl|csv]
  leasetop count [PREFIX] [--depth N] [--by-count] [--watch D] [-o table|json]
  leasetop check --expiring-within D [--warn N] [--crit N] [--growth N/m [--watch D]] [PREFIX]
  leasetop revoke --prefix P [--sync|--force] [--yes]  |  leasetop revoke LEASE_ID
  leasetop renew LEASE_ID... [--increment D]
  leasetop owners [PREFIX] --vault-audit PATH [--by entity|role|mount|remote|agent] [--recent D] [-o table|json|csv]
  leasetop who LEASE_ID --vault-audit PATH [-o text|json]      exit 0: owner known, 3: not (says why)
  leasetop revoke --owner NAME --vault-audit PATH [--by ...] [PREFIX] [--sync] [--yes]
  (ls takes --vault-audit PATH too, adding each lease's owner, entity and role)

Vault is configured as for the vault CLI: VAULT_ADDR, VAULT_TOKEN or
~/.vault-token, VAULT_NAMESPACE, VAULT_CACERT, VAULT_SKIP_VERIFY, ...
Listing leases needs list+sudo on sys/leases/lookup/*.

Flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
}
