package config

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/vaultclient"
)

// Budgets are soft limits on how many live leases a prefix or an owner
// holds. They live at the top of the config file (every context) and in a
// context (that Vault only; a budget of the context replaces a top-level
// one of the same prefix or owner):
//
//	budgets:
//	  warn: 80%                       # when a budget warns; 80% when not given
//	  prefix:
//	    database/creds/app/: 5000
//	    secret/app/: {max: 300, warn: 90%}
//	  role: {web: 200}                # owners as the owners screen names them
//	  mount: {approle: 2000}
//	  entity: {ci-runner: 100}
//
// Nothing is refused or revoked: a budget over its share shows as a
// warning, over its max as critical (the tree, `check --budget`, doctor).
type Budgets struct {
	Warn   Share            `yaml:"warn,omitempty"`
	Prefix map[string]Limit `yaml:"prefix,omitempty"`
	Entity map[string]Limit `yaml:"entity,omitempty"`
	Role   map[string]Limit `yaml:"role,omitempty"`
	Mount  map[string]Limit `yaml:"mount,omitempty"`
}

// Limit is one budget's size: a count, or {max: N, warn: 90%}.
type Limit struct {
	Max  int
	Warn Share // 0: the section's
}

// Share is a part of a whole, written as a percentage ("80%"); 0 is not
// given.
type Share float64

// DefaultWarn is the share of a budget at which it warns when neither the
// budget nor its section says.
const DefaultWarn Share = 0.8

// Scope is what a budget counts: a prefix's leases or an owner's.
type Scope string

const (
	ScopePrefix Scope = "prefix"
	ScopeEntity Scope = "entity" // the owners screen's name for it, or its entity id
	ScopeRole   Scope = "role"
	ScopeMount  Scope = "mount" // the auth mount's name, without auth/
)

// Budget is one budget in effect.
type Budget struct {
	Scope Scope
	Name  string // the prefix (ending in '/', "" for all) or the owner's name
	Max   int
	Warn  float64 // the share of Max at which it warns, in (0, 1]
}

// Label is the budget in words: "prefix database/creds/app/", "role web".
func (b Budget) Label() string {
	if b.Scope == ScopePrefix && b.Name == "" {
		return "prefix / (all leases)"
	}
	return string(b.Scope) + " " + b.Name
}

// WarnAt is the count at which the budget warns.
func (b Budget) WarnAt() int { return int(math.Ceil(b.Warn * float64(b.Max))) }

// ParseShare reads a share: "80%" (0 < p <= 100), or a fraction in (0, 1]
// such as 0.8.
func ParseShare(s string) (Share, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(t, "%")), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a share: write a percentage, e.g. 80%%", s)
	}
	if pct {
		v /= 100
	}
	if v <= 0 || v > 1 {
		return 0, fmt.Errorf("%q is not a share: a percentage above 0%% and at most 100%%, e.g. 80%%", s)
	}
	return Share(v), nil
}

func (s *Share) UnmarshalYAML(b []byte) error {
	var raw any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return err
	}
	str := strings.TrimSpace(string(b))
	switch v := raw.(type) {
	case string:
		str = v
	case uint64, int64, float64:
	default:
		return fmt.Errorf("%q is not a share: write a percentage, e.g. 80%%", str)
	}
	v, err := ParseShare(str)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

func (s Share) MarshalYAML() (any, error) {
	return strconv.FormatFloat(float64(s)*100, 'f', -1, 64) + "%", nil
}

func (l *Limit) UnmarshalYAML(b []byte) error {
	var raw any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return err
	}
	bad := func(v string) error {
		return fmt.Errorf("%q is not a budget: write a number of leases (5000) or {max: 5000, warn: 90%%}", v)
	}
	switch v := raw.(type) {
	case uint64, int64:
		n, err := strconv.Atoi(fmt.Sprint(v))
		if err != nil || n < 1 {
			return fmt.Errorf("%q is not a budget: the number of leases must be at least 1", fmt.Sprint(v))
		}
		*l = Limit{Max: n}
		return nil
	case map[string]any:
		var m struct {
			Max  *int  `yaml:"max"`
			Warn Share `yaml:"warn"`
		}
		if err := yaml.UnmarshalWithOptions(b, &m, yaml.DisallowUnknownField()); err != nil {
			var ye yaml.Error
			if asYAML(err, &ye) {
				return fmt.Errorf("a budget: %s", ye.GetMessage())
			}
			return err
		}
		if m.Max == nil {
			return fmt.Errorf("a budget {…} needs max, the number of leases: {max: 5000, warn: 90%%}")
		}
		if *m.Max < 1 {
			return fmt.Errorf("%q is not a budget: the number of leases must be at least 1", strconv.Itoa(*m.Max))
		}
		*l = Limit{Max: *m.Max, Warn: m.Warn}
		return nil
	}
	return bad(strings.TrimSpace(string(b)))
}

func (l Limit) MarshalYAML() (any, error) {
	if l.Warn == 0 {
		return l.Max, nil
	}
	w, _ := l.Warn.MarshalYAML()
	return map[string]any{"max": l.Max, "warn": w}, nil
}

func asYAML(err error, ye *yaml.Error) bool { return errors.As(err, ye) }

// placed is an error in an entry of a section, with what to look for to
// find its line.
type placed struct {
	needle string
	error
}

// list is the section's budgets, sorted, with their shares settled, or an
// error naming a bad entry.
func (bs *Budgets) list() ([]Budget, error) {
	if bs == nil {
		return nil, nil
	}
	warn := bs.Warn
	if warn == 0 {
		warn = DefaultWarn
	}
	var out []Budget
	add := func(scope Scope, m map[string]Limit) error {
		seen := map[string]string{}
		for name, l := range m {
			key := strings.TrimSpace(name)
			if scope == ScopePrefix {
				clean, err := vaultclient.CleanPrefix(key)
				if err != nil {
					return placed{name, fmt.Errorf("budgets.prefix: %v", err)}
				}
				key = leaseid.AsPrefix(clean)
			} else if key == "" {
				return fmt.Errorf("budgets.%s: an owner's name is empty", scope)
			}
			if other, dup := seen[key]; dup {
				return placed{name, fmt.Errorf("budgets.%s: %q and %q are the same %s", scope, other, name, scope)}
			}
			seen[key] = name
			if l.Max < 1 {
				return placed{name, fmt.Errorf("budgets.%s.%s: the number of leases must be at least 1", scope, name)}
			}
			w := l.Warn
			if w == 0 {
				w = warn
			}
			out = append(out, Budget{Scope: scope, Name: key, Max: l.Max, Warn: float64(w)})
		}
		return nil
	}
	for _, s := range []struct {
		scope Scope
		m     map[string]Limit
	}{{ScopePrefix, bs.Prefix}, {ScopeEntity, bs.Entity}, {ScopeRole, bs.Role}, {ScopeMount, bs.Mount}} {
		if err := add(s.scope, s.m); err != nil {
			return nil, err
		}
	}
	sortBudgets(out)
	return out, nil
}

func sortBudgets(bs []Budget) {
	slices.SortFunc(bs, func(a, b Budget) int {
		return cmp.Or(cmp.Compare(a.Scope, b.Scope), cmp.Compare(a.Name, b.Name))
	})
}

// BudgetsFor are the budgets in effect in ctx (nil: no context): the
// file's top-level ones, each replaced by the context's of the same scope
// and name, sorted by scope and name. A nil File has none.
func (f *File) BudgetsFor(ctx *Context) []Budget {
	if f == nil {
		return nil
	}
	top, _ := f.Budgets.list() // checked by Load
	if ctx == nil {
		return top
	}
	own, _ := ctx.Budgets.list()
	out := slices.Clone(own)
	for _, b := range top {
		if !slices.ContainsFunc(own, func(o Budget) bool { return o.Scope == b.Scope && o.Name == b.Name }) {
			out = append(out, b)
		}
	}
	sortBudgets(out)
	return out
}

// ParseBudgets reads a budgets section on its own (what a file's
// `budgets:` holds) and checks it.
func ParseBudgets(src []byte) ([]Budget, error) {
	var bs Budgets
	if err := yaml.UnmarshalWithOptions(src, &bs, yaml.DisallowUnknownField()); err != nil {
		var ye yaml.Error
		if asYAML(err, &ye) {
			return nil, fmt.Errorf("budgets: %s", ye.GetMessage())
		}
		return nil, fmt.Errorf("budgets: %w", err)
	}
	return bs.list()
}
