package config

import (
	"time"

	"github.com/leasetop/leasetop/vaultclient"
)

// The one rule for a context's settings, on start and on every :ctx:
// a flag given on the command line wins over the context's setting, which
// wins over leasetop's default; a context marked read-only stays
// read-only whatever the flags say.
//
// --addr, --namespace, --vault-audit and the PREFIX argument name a Vault,
// a namespace in it, its audit log and a path in its tree: they apply to
// the context leasetop starts on, not to the others it switches to (see
// Flags.Elsewhere).

// Flags are the settings given on the command line: nil is not given.
type Flags struct {
	Address     *string
	Namespace   *string
	ReadOnly    *bool
	Refresh     *time.Duration
	Concurrency *int
	Rate        *float64
	Warn        *time.Duration
	Crit        *time.Duration
	Prefix      *string
	VaultAudit  *string
}

// Elsewhere are the flags that apply to a context other than the one
// leasetop started on: without those that name the first one's Vault.
func (f Flags) Elsewhere() Flags {
	f.Address, f.Namespace, f.VaultAudit, f.Prefix = nil, nil, nil, nil
	return f
}

// Settings are a context's settings in effect.
type Settings struct {
	Name  string // "" without a context
	Color string

	Address   string // "" is $VAULT_ADDR
	Namespace string

	ReadOnly bool
	// ReadOnlyWhy is set when the context made it read-only, not the
	// flag.
	ReadOnlyWhy string

	Refresh     time.Duration
	Concurrency int
	Rate        float64
	Warn, Crit  time.Duration
	Prefix      string
	VaultAudit  string
}

// Defaults are leasetop's own settings, under the context's and the
// flags'.
var Defaults = Settings{
	Refresh:     15 * time.Second,
	Concurrency: vaultclient.DefaultConcurrency,
	Warn:        time.Hour,
	Crit:        5 * time.Minute,
}

// Merge is the settings in effect for ctx (nil: no context) with the flags
// given over it and def under it.
func Merge(flags Flags, ctx *Context, def Settings) Settings {
	c := Context{}
	if ctx != nil {
		c = *ctx
	}
	s := Settings{
		Name:        c.Name,
		Color:       c.Color,
		Address:     pick(flags.Address, c.Address, def.Address),
		Namespace:   pick(flags.Namespace, c.Namespace, def.Namespace),
		Refresh:     pick(flags.Refresh, time.Duration(c.Refresh), def.Refresh),
		Concurrency: pick(flags.Concurrency, c.Concurrency, def.Concurrency),
		Rate:        pick(flags.Rate, c.Rate, def.Rate),
		Warn:        pick(flags.Warn, time.Duration(c.Warn), def.Warn),
		Crit:        pick(flags.Crit, time.Duration(c.Crit), def.Crit),
		Prefix:      pick(flags.Prefix, c.Prefix, def.Prefix),
		VaultAudit:  pick(flags.VaultAudit, c.VaultAudit, def.VaultAudit),
	}
	// Read-only only ever adds up: --read-only=false cannot lift the
	// context's.
	s.ReadOnly = def.ReadOnly || c.ReadOnly || (flags.ReadOnly != nil && *flags.ReadOnly)
	if c.ReadOnly && (flags.ReadOnly == nil || !*flags.ReadOnly) {
		s.ReadOnlyWhy = "the context " + c.Name + " is read-only in leasetop's config"
	}
	return s
}

// pick is the flag when given, else the context's value when it sets
// one, else the default.
func pick[T comparable](flag *T, ctx, def T) T {
	var zero T
	switch {
	case flag != nil:
		return *flag
	case ctx != zero:
		return ctx
	}
	return def
}

// ClientConfig is the vaultclient configuration of these settings: the
// context's TLS and token (read from its source), the settings' address,
// namespace, concurrency and rate.
func (s Settings) ClientConfig(ctx *Context) (vaultclient.Config, error) {
	var cfg vaultclient.Config
	if ctx != nil {
		var err error
		if cfg, err = ctx.ClientConfig(); err != nil {
			return vaultclient.Config{}, err
		}
	}
	cfg.Address, cfg.Namespace, cfg.Concurrency, cfg.RateLimit = s.Address, s.Namespace, s.Concurrency, s.Rate
	return cfg, nil
}
