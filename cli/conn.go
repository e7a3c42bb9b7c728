package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/leasetop/leasetop/config"

	"github.com/leasetop/leasetop/vaultclient"
)

// connFlags are the connection flags, persistent flags of the root that
// every command takes.
type connFlags struct {
	addr, namespace string
	concurrency     int
	fixedConc       bool
	rate            float64
	context         string
	config          string
	root            *cobra.Command
}

func (c *connFlags) register(root *cobra.Command) {
	c.root = root
	fs := root.PersistentFlags()
	fs.StringVar(&c.addr, "addr", "", "Vault address (default $VAULT_ADDR)")
	fs.StringVar(&c.namespace, "namespace", "", "Vault namespace (default $VAULT_NAMESPACE)")
	fs.IntVar(&c.concurrency, "concurrency", vaultclient.DefaultConcurrency, "at most this many Vault requests in flight (fewer while Vault is slow or overloaded: 429, 502-504, no answer)")
	fs.BoolVar(&c.fixedConc, "fixed-concurrency", false, "keep --concurrency requests in flight whatever Vault's latency (turns the adaptive limit off)")
	fs.Float64Var(&c.rate, "rate", 0, "at most this many Vault requests per second (0: no limit)")
	fs.StringVar(&c.context, "context", "", "use this context of the config file (default: its current one)")
	fs.StringVar(&c.config, "config", "", "leasetop's config file (default $LEASETOP_CONFIG, else leasetop/config.yaml in the user's config directory)")
	_ = root.RegisterFlagCompletionFunc("context", c.completeContexts)
	_ = root.MarkPersistentFlagFilename("config", "yaml", "yml")
}

// changed says whether the flag was given on the command line.
func (c *connFlags) changed(name string) bool {
	f := c.root.PersistentFlags().Lookup(name)
	return f != nil && f.Changed
}

// badArgs is an error in what the user gave (flags, the config file, a
// context name): exit 2.
type badArgs struct{ error }

// exitFor is 2 for bad arguments, else def.
func exitFor(err error, def int) int {
	var b badArgs
	if errors.As(err, &b) {
		return 2
	}
	return def
}

// settings is the connection as resolved, with config.Merge: the flags
// given over the context over the defaults.
type settings struct {
	cfg      vaultclient.Config
	eff      config.Settings // every setting in effect
	flags    config.Flags    // the settings given on the command line
	readOnly bool            // the context is read-only
	ctxName  string          // "" without a context
	ctx      *config.Context
	file     *config.File // the config file; nil without one
}

// resolve checks the connection flags and merges them with the context.
func (c *connFlags) resolve() (settings, error) { return c.resolveWith(config.Flags{}) }

// resolveWith is resolve with more settings given on the command line
// (the UI's).
func (c *connFlags) resolveWith(given config.Flags) (settings, error) {
	s, err := c.fromContext()
	if err != nil {
		return s, badArgs{err}
	}
	return c.overlay(s, given)
}

// plain is the connection from the flags (the connection's and more) and
// the environment alone (the demo, which starts its own Vault).
func (c *connFlags) plain(more config.Flags) (settings, error) { return c.overlay(settings{}, more) }

// given adds the connection flags given on the command line to f.
func (c *connFlags) given(f config.Flags) config.Flags {
	if c.changed("addr") {
		f.Address = &c.addr
	}
	if c.changed("namespace") {
		f.Namespace = &c.namespace
	}
	if c.changed("concurrency") {
		f.Concurrency = &c.concurrency
	}
	if c.changed("rate") {
		f.Rate = &c.rate
	}
	return f
}

// overlay merges the flags given on the command line (the connection's
// and more) with s's context, and checks them.
func (c *connFlags) overlay(s settings, more config.Flags) (settings, error) {
	s.flags = c.given(more)
	s.eff = config.Merge(s.flags, s.ctx, config.Defaults)
	s.readOnly, s.ctxName = s.ctx != nil && s.ctx.ReadOnly, s.eff.Name
	cfg, err := s.eff.ClientConfig(s.ctx)
	if err != nil {
		return s, badArgs{err}
	}
	s.cfg = cfg
	s.cfg.FixedConcurrency = c.fixedConc // not a context setting
	if s.cfg.Concurrency < 1 || s.cfg.Concurrency > 256 {
		return s, badArgs{errors.New("--concurrency must be between 1 and 256")}
	}
	if s.cfg.RateLimit < 0 {
		return s, badArgs{errors.New("--rate must not be negative")}
	}
	return s, nil
}

// inContext is s in the context ctx of f, its flags merged again over
// it.
func (s settings) inContext(f *config.File, ctx *config.Context) settings {
	s.file, s.ctx = f, ctx
	s.eff = config.Merge(s.flags, ctx, config.Defaults)
	s.readOnly, s.ctxName = ctx.ReadOnly, ctx.Name
	return s
}

// client resolves the connection and builds a client: a badArgs error for
// what the user gave, another for a client that cannot be built.
func (c *connFlags) client() (*vaultclient.Client, settings, error) {
	s, err := c.resolve()
	if err != nil {
		return nil, s, err
	}
	cl, err := vaultclient.New(s.cfg)
	return cl, s, err
}

// refuseReadOnly is the error of an action on a read-only context.
func refuseReadOnly(s settings, what string) error {
	if !s.readOnly {
		return nil
	}
	return badArgs{fmt.Errorf("the context %q is read-only: %s refused, nothing was changed", s.ctxName, what)}
}
