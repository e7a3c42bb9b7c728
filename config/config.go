// Package config reads leasetop's config file: contexts, one per Vault
// (address, namespace, TLS, where the token comes from, read-only, the
// header's colour, defaults), and the current one. Without a file leasetop
// works from VAULT_* as the vault CLI does. A token is never stored in the
// file: a context names where to read it.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/leasetop/leasetop/vaultclient"
)

// File is a config file.
type File struct {
	Path     string    `yaml:"-"`
	Current  string    `yaml:"current-context,omitempty"`
	Contexts []Context `yaml:"contexts"`
	// Budgets apply to every context (see Budgets).
	Budgets *Budgets `yaml:"budgets,omitempty"`
}

// Context is one Vault.
type Context struct {
	Name      string `yaml:"name"`
	Address   string `yaml:"address"`
	Namespace string `yaml:"namespace,omitempty"`

	CACert        string `yaml:"ca-cert,omitempty"`
	CAPath        string `yaml:"ca-path,omitempty"`
	ClientCert    string `yaml:"client-cert,omitempty"`
	ClientKey     string `yaml:"client-key,omitempty"`
	TLSServerName string `yaml:"tls-server-name,omitempty"`
	SkipVerify    bool   `yaml:"skip-verify,omitempty"`

	// Token says where the token comes from; empty means as the vault CLI
	// does (VAULT_TOKEN, else ~/.vault-token).
	Token TokenSource `yaml:"token,omitempty"`

	ReadOnly    bool     `yaml:"read-only,omitempty"`
	Refresh     Duration `yaml:"refresh,omitempty"`
	Concurrency int      `yaml:"concurrency,omitempty"`
	Rate        float64  `yaml:"rate,omitempty"`
	Warn        Duration `yaml:"warn,omitempty"`
	Crit        Duration `yaml:"crit,omitempty"`
	Prefix      string   `yaml:"prefix,omitempty"`
	// VaultAudit is this Vault's audit log, for the owners screen.
	VaultAudit string `yaml:"vault-audit,omitempty"`
	// Color is the header's colour (#RRGGBB or an ANSI number), so that
	// prod never looks like staging.
	Color string `yaml:"color,omitempty"`
	// Budgets are this Vault's, over the file's top-level ones.
	Budgets *Budgets `yaml:"budgets,omitempty"`
}

// TokenSource is where a context's token is read from: one of an
// environment variable, a file, or the vault CLI's token helper.
type TokenSource struct {
	Env    string `yaml:"env,omitempty"`    // the name of an environment variable
	File   string `yaml:"file,omitempty"`   // a file holding the token (~ expands)
	Helper string `yaml:"helper,omitempty"` // a token helper program, run with "get"
}

// Duration reads "15s", "1h" (Go's duration syntax).
type Duration time.Duration

func (d *Duration) UnmarshalYAML(b []byte) error {
	var s string
	if err := yaml.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration (e.g. 15s, 5m, 1h)", s)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Error is a problem in the file, at a place in it.
type Error struct {
	Path         string
	Line, Column int // 0 when the problem has no one place
	Msg          string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// DefaultPath is where the config file is: $LEASETOP_CONFIG, else the
// platform's config folder ($XDG_CONFIG_HOME on Linux)/leasetop/config.yaml.
func DefaultPath() string {
	if p := os.Getenv("LEASETOP_CONFIG"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "leasetop", "config.yaml")
}

// secretKeys are keys that would hold a token in the file: refused.
var secretKeys = []string{"token-value", "vault-token", "client-token", "secret"}

// Load reads and checks a config file. A file that does not exist is no
// config: (nil, nil). Any problem names the file, line and column; a file
// with a problem is never half used.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &Error{Path: path, Msg: err.Error()}
	}
	var f File
	if err := yaml.UnmarshalWithOptions(b, &f, yaml.DisallowUnknownField()); err != nil {
		return nil, yamlError(path, b, err)
	}
	f.Path = path
	if err := f.check(b); err != nil {
		return nil, err
	}
	return &f, nil
}

func yamlError(path string, src []byte, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		e := &Error{Path: path, Msg: ye.GetMessage()}
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			e.Line, e.Column = tk.Position.Line, tk.Position.Column
		}
		if strings.Contains(e.Msg, "unknown field") {
			for _, k := range secretKeys {
				if strings.Contains(e.Msg, `"`+k+`"`) {
					e.Msg = "a token must never be stored in the config file: say where to read it (token: {env: VAR}, {file: PATH} or {helper: PROGRAM})"
				}
			}
		}
		return e
	}
	// Our own decoders' errors (a duration) carry no position: find the
	// value they quote.
	e := &Error{Path: path, Msg: err.Error()}
	if _, rest, ok := strings.Cut(e.Msg, `"`); ok {
		if v, _, ok := strings.Cut(rest, `"`); ok && v != "" {
			for i, line := range strings.Split(string(src), "\n") {
				if c := strings.Index(line, ": "+v); c >= 0 {
					e.Line, e.Column = i+1, c+3
					break
				}
			}
		}
	}
	return e
}

// check finds what the YAML decoder cannot: duplicates, a missing name or
// address, a token stored in place of its source.
func (f *File) check(src []byte) error {
	at := func(needle string) (int, int) {
		for i, line := range strings.Split(string(src), "\n") {
			if c := strings.Index(line, needle); c >= 0 {
				return i + 1, c + 1
			}
		}
		return 0, 0
	}
	fail := func(needle, format string, args ...any) error {
		l, c := at(needle)
		return &Error{Path: f.Path, Line: l, Column: c, Msg: fmt.Sprintf(format, args...)}
	}
	needle := func(err error, def string) string {
		if p, ok := err.(placed); ok {
			return p.needle + ":"
		}
		return def
	}
	if _, err := f.Budgets.list(); err != nil {
		return fail(needle(err, "budgets:"), "%v", err)
	}
	seen := map[string]bool{}
	for i, c := range f.Contexts {
		switch {
		case c.Name == "":
			return &Error{Path: f.Path, Msg: fmt.Sprintf("context %d has no name", i+1)}
		case seen[c.Name]:
			return fail("name: "+c.Name, "two contexts are named %q", c.Name)
		case c.Address == "":
			return fail("name: "+c.Name, "context %q has no address", c.Name)
		}
		seen[c.Name] = true
		if _, err := c.Budgets.list(); err != nil {
			return fail(needle(err, "name: "+c.Name), "context %q: %v", c.Name, err)
		}
		n := 0
		for _, s := range []string{c.Token.Env, c.Token.File, c.Token.Helper} {
			if s != "" {
				n++
			}
		}
		if n > 1 {
			return fail("name: "+c.Name, "context %q names more than one token source: choose env, file or helper", c.Name)
		}
		if looksLikeToken(c.Token.Env) {
			return fail(c.Token.Env, "context %q: token.env holds what looks like a token itself; a token must never be stored in the config file: name the environment variable that holds it", c.Name)
		}
	}
	if f.Current != "" && !seen[f.Current] {
		return fail("current-context", "current-context %q is not a context here (%s)", f.Current, strings.Join(f.Names(), ", "))
	}
	return nil
}

// looksLikeToken spots a Vault token pasted where a name belongs.
func looksLikeToken(s string) bool {
	for _, p := range []string{"hvs.", "hvb.", "hvr.", "s.", "b."} {
		if strings.HasPrefix(s, p) && len(s) > 20 {
			return true
		}
	}
	return false
}

// Names are the contexts' names, in file order.
func (f *File) Names() []string {
	var out []string
	for _, c := range f.Contexts {
		out = append(out, c.Name)
	}
	return out
}

// Find is the context called name, or the current one for "".
func (f *File) Find(name string) (*Context, error) {
	if name == "" {
		name = f.Current
	}
	if name == "" {
		if len(f.Contexts) == 1 {
			return &f.Contexts[0], nil
		}
		return nil, fmt.Errorf("%s: no current context: choose one with --context or `leasetop ctx use NAME` (%s)", f.Path, strings.Join(f.Names(), ", "))
	}
	i := slices.IndexFunc(f.Contexts, func(c Context) bool { return c.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("%s: no context %q (contexts: %s)", f.Path, name, strings.Join(f.Names(), ", "))
	}
	return &f.Contexts[i], nil
}

// Use makes name the current context and writes the file.
func (f *File) Use(name string) error {
	if _, err := f.Find(name); err != nil || name == "" {
		if err == nil {
			err = errors.New("no context name given")
		}
		return err
	}
	f.Current = name
	b, err := yaml.Marshal(f)
	if err != nil {
		return err
	}
	return os.WriteFile(f.Path, b, 0o600)
}

// ClientConfig is the vaultclient configuration of the context, with its
// token read from its source.
func (c *Context) ClientConfig() (vaultclient.Config, error) {
	tok, err := c.token()
	if err != nil {
		return vaultclient.Config{}, fmt.Errorf("context %q: %w", c.Name, err)
	}
	return vaultclient.Config{
		Address: c.Address, Namespace: c.Namespace, Token: tok,
		Concurrency: c.Concurrency, RateLimit: c.Rate,
		CACert: expand(c.CACert), CAPath: expand(c.CAPath), ClientCert: expand(c.ClientCert), ClientKey: expand(c.ClientKey),
		TLSServerName: c.TLSServerName, SkipVerify: c.SkipVerify,
	}, nil
}

func (c *Context) token() (string, error) {
	t := c.Token
	switch {
	case t.Env != "":
		v := os.Getenv(t.Env)
		if v == "" {
			return "", fmt.Errorf("token.env: $%s is empty", t.Env)
		}
		return v, nil
	case t.File != "":
		b, err := os.ReadFile(expand(t.File))
		if err != nil {
			return "", fmt.Errorf("token.file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	case t.Helper != "":
		return runHelper(expand(t.Helper))
	}
	return "", nil // as the vault CLI: VAULT_TOKEN, else ~/.vault-token
}

func expand(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}
