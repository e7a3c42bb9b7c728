package ui

import (
	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

// ConfigSwitcher opens the contexts of a config file with config.Merge's
// rule, the same as the context leasetop started on: the flags given on
// the command line (flags) over the context's settings over the defaults,
// and the context's read-only whatever the flags say. start is the
// context leasetop started on: only it takes the flags that name a Vault
// (config.Flags.Elsewhere). base holds the options no context sets (the
// renew increment, the journal, the clock). connect builds the backend (a
// vaultclient.Client in main).
func ConfigSwitcher(f *config.File, start string, flags config.Flags, base Options, connect func(vaultclient.Config) (Backend, error)) Switcher {
	return &cfgSwitcher{f: f, start: start, flags: flags, base: base, connect: connect}
}

type cfgSwitcher struct {
	f       *config.File
	start   string
	flags   config.Flags
	base    Options
	connect func(vaultclient.Config) (Backend, error)
}

func (s *cfgSwitcher) Names() []string { return s.f.Names() }

func (s *cfgSwitcher) Open(name string) (Backend, Options, error) {
	ctx, err := s.f.Find(name)
	if err != nil {
		return nil, Options{}, err
	}
	flags := s.flags
	if ctx.Name != s.start {
		flags = flags.Elsewhere()
	}
	set := config.Merge(flags, ctx, config.Defaults)
	cfg, err := set.ClientConfig(ctx)
	if err != nil {
		return nil, Options{}, err
	}
	be, err := s.connect(cfg)
	if err != nil {
		return nil, Options{}, err
	}
	o := s.base.With(set)
	o.Budgets = s.f.BudgetsFor(ctx)
	return be, o, nil
}

// With are the options with the settings in effect of a context (from
// config.Merge).
func (o Options) With(s config.Settings) Options {
	o.ContextName, o.Color = s.Name, s.Color
	o.Prefix = s.Prefix
	o.Refresh = s.Refresh
	o.Concurrency = s.Concurrency
	o.ReadOnly, o.ReadOnlyWhy = s.ReadOnly, s.ReadOnlyWhy
	o.Thresholds = model.Thresholds{Warning: s.Warn, Critical: s.Crit}
	o.VaultAudit = s.VaultAudit
	return o
}

// Options are the options in effect of the context shown, after any
// :ctx.
func (m Model) Options() Options { return m.c.opt }

// Backend is the backend of the context shown.
func (m Model) Backend() Backend { return m.c.data.be }
