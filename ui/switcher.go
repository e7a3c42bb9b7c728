package ui

import (
	"time"

	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

// ConfigSwitcher opens the contexts of a config file over base, the
// options the flags gave: a context's settings fill what the flags left
// at their defaults, and its read-only wins whatever the flags say.
// connect builds the backend (a vaultclient.Client in main).
func ConfigSwitcher(f *config.File, base Options, connect func(vaultclient.Config) (Backend, error)) Switcher {
	return &cfgSwitcher{f: f, base: base, connect: connect}
}

type cfgSwitcher struct {
	f       *config.File
	base    Options
	connect func(vaultclient.Config) (Backend, error)
}

func (s *cfgSwitcher) Names() []string { return s.f.Names() }

func (s *cfgSwitcher) Open(name string) (Backend, Options, error) {
	ctx, err := s.f.Find(name)
	if err != nil {
		return nil, Options{}, err
	}
	cfg, err := ctx.ClientConfig()
	if err != nil {
		return nil, Options{}, err
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = s.base.Concurrency
	}
	be, err := s.connect(cfg)
	if err != nil {
		return nil, Options{}, err
	}
	base := s.base
	base.VaultAudit = "" // the first context's log is not this one's
	return be, ContextOptions(ctx, base), nil
}

// ContextOptions are base with a context's settings: its name, colour and
// start prefix, its refresh, concurrency and thresholds where it sets
// them, and its read-only, which no flag can lift.
func ContextOptions(ctx *config.Context, base Options) Options {
	opt := base
	opt.ContextName, opt.Color = ctx.Name, ctx.Color
	opt.ReadOnly = base.ReadOnly || ctx.ReadOnly
	if ctx.ReadOnly && !base.ReadOnly {
		opt.ReadOnlyWhy = "the context " + ctx.Name + " is read-only in leasetop's config"
	}
	if ctx.Prefix != "" {
		opt.Prefix = ctx.Prefix
	}
	if ctx.VaultAudit != "" && opt.VaultAudit == "" {
		opt.VaultAudit = ctx.VaultAudit
	}
	if ctx.Refresh > 0 {
		opt.Refresh = time.Duration(ctx.Refresh)
	}
	if ctx.Concurrency > 0 {
		opt.Concurrency = ctx.Concurrency
	}
	if ctx.Warn > 0 || ctx.Crit > 0 {
		th := opt.Thresholds
		if th == (model.Thresholds{}) {
			th = model.DefaultThresholds()
		}
		if ctx.Warn > 0 {
			th.Warning = time.Duration(ctx.Warn)
		}
		if ctx.Crit > 0 {
			th.Critical = time.Duration(ctx.Crit)
		}
		opt.Thresholds = th
	}
	return opt
}
