package config

import (
	"math"
	"slices"
	"strings"
	"testing"
)

const budgetsExample = `budgets:
  warn: 75%
  prefix:
    database/creds/app/: 5000
    secret/app: {max: 300, warn: 90%}
  role:
    web: 200
contexts:
  - name: prod
    address: https://vault.example:8200
    budgets:
      prefix:
        database/creds/app/: 8000
      mount:
        approle: 2000
  - name: staging
    address: http://127.0.0.1:8200
`

func TestBudgetsOfAContextReplaceTheFilesOfTheSameName(t *testing.T) {
	f, err := Load(write(t, budgetsExample))
	if err != nil {
		t.Fatal(err)
	}
	prod, _ := f.Find("prod")
	staging, _ := f.Find("staging")
	for _, tt := range []struct {
		name string
		ctx  *Context
		want []Budget
	}{
		{"prod", prod, []Budget{
			{ScopeMount, "approle", 2000, 0.8},
			{ScopePrefix, "database/creds/app/", 8000, 0.8},
			{ScopePrefix, "secret/app/", 300, 0.9},
			{ScopeRole, "web", 200, 0.75},
		}},
		{"staging", staging, []Budget{
			{ScopePrefix, "database/creds/app/", 5000, 0.75},
			{ScopePrefix, "secret/app/", 300, 0.9},
			{ScopeRole, "web", 200, 0.75},
		}},
		{"no context", nil, []Budget{
			{ScopePrefix, "database/creds/app/", 5000, 0.75},
			{ScopePrefix, "secret/app/", 300, 0.9},
			{ScopeRole, "web", 200, 0.75},
		}},
	} {
		got := f.BudgetsFor(tt.ctx)
		if !slices.EqualFunc(got, tt.want, func(a, b Budget) bool {
			return a.Scope == b.Scope && a.Name == b.Name && a.Max == b.Max && math.Abs(a.Warn-b.Warn) < 1e-9
		}) {
			t.Errorf("%s: %+v\n want %+v", tt.name, got, tt.want)
		}
	}
	var none *File
	if none.BudgetsFor(nil) != nil {
		t.Error("no file has budgets")
	}
}

func TestBudgetWarnsAtItsShareRoundedUp(t *testing.T) {
	for _, tt := range []struct {
		b    Budget
		want int
	}{
		{Budget{Max: 5000, Warn: 0.8}, 4000},
		{Budget{Max: 3, Warn: 0.8}, 3},
		{Budget{Max: 10, Warn: 1}, 10},
		{Budget{Max: 1, Warn: 0.01}, 1},
	} {
		if got := tt.b.WarnAt(); got != tt.want {
			t.Errorf("%+v warns at %d, want %d", tt.b, got, tt.want)
		}
	}
}

func TestParseShare(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Share
		err  string
	}{
		{"80%", 0.8, ""},
		{" 90 % ", 0.9, ""},
		{"100%", 1, ""},
		{"0.5", 0.5, ""},
		{"1", 1, ""},
		{"0%", 0, "above 0%"},
		{"120%", 0, "at most 100%"},
		{"80", 0, "at most 100%"},
		{"most", 0, "is not a share"},
		{"NaN%", 0, "is not a share"},
		{"", 0, "is not a share"},
	} {
		got, err := ParseShare(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseShare(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || math.Abs(float64(got-tt.want)) > 1e-9 {
			t.Errorf("ParseShare(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// A bad budget is refused with the file's path, its line when it has one,
// and what is wrong in words.
func TestBadBudgetsNameTheirPlace(t *testing.T) {
	ctx := "contexts:\n  - name: a\n    address: http://x\n"
	for _, tt := range []struct {
		name, src, want string
		line            int
	}{
		{"not a number", ctx + "budgets:\n  prefix:\n    secret/: lots\n", `"lots" is not a budget`, 6},
		{"zero", ctx + "budgets:\n  prefix:\n    secret/: 0\n", "at least 1", 6},
		{"negative", ctx + "budgets:\n  role:\n    web: -5\n", "at least 1", 6},
		{"no max", ctx + "budgets:\n  prefix:\n    secret/: {warn: 90%}\n", "needs max", 0},
		{"a bad share", ctx + "budgets:\n  warn: 180%\n", "at most 100%", 5},
		{"a bad share in one", ctx + "budgets:\n  prefix:\n    secret/: {max: 10, warn: much}\n", `"much" is not a share`, 0},
		{"an unknown scope", ctx + "budgets:\n  team:\n    web: 5\n", `unknown field "team"`, 5},
		{"an unknown key in one", ctx + "budgets:\n  prefix:\n    secret/: {max: 10, soft: true}\n", "unknown field", 0},
		{"a prefix with ..", ctx + "budgets:\n  prefix:\n    secret/../x/: 5\n", `has a ".." segment`, 6},
		{"a prefix with //", ctx + "budgets:\n  prefix:\n    secret//x/: 5\n", "empty segment", 6},
		{"the same prefix twice", ctx + "budgets:\n  prefix:\n    secret/app: 5\n    secret/app/: 6\n", "are the same prefix", 0},
		{"in a context", "contexts:\n  - name: a\n    address: http://x\n    budgets:\n      mount:\n        approle: nine\n", `"nine" is not a budget`, 6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := write(t, tt.src)
			f, err := Load(path)
			var e *Error
			if f != nil || err == nil || !errorsAs(err, &e) {
				t.Fatalf("Load = %v, %v; want a *config.Error", f, err)
			}
			if !strings.HasPrefix(err.Error(), path+":") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q; want the path and %q", err, tt.want)
			}
			if tt.line > 0 && e.Line != tt.line {
				t.Errorf("line %d, want %d (%s)", e.Line, tt.line, err)
			}
		})
	}
}

// FuzzParseBudgets checks that no budgets section panics the parser and
// that every budget it accepts is one the checks can use.
//
//	go test -fuzz FuzzParseBudgets ./config
func FuzzParseBudgets(f *testing.F) {
	for _, s := range []string{
		"warn: 75%\nprefix:\n  database/creds/app/: 5000\n  secret/app: {max: 300, warn: 90%}\nrole: {web: 200}\n",
		"prefix: {a/: 1}", "mount: {approle: {max: 2, warn: 0.5}}", "entity: {'': 3}", "prefix: {x: 1e3}",
		"prefix: {x: 99999999999999999999}", "warn: .5", "warn: [1]", "prefix: {x: {max: -1}}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		bs, err := ParseBudgets([]byte(src))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		for _, b := range bs {
			if b.Max < 1 || !(b.Warn > 0 && b.Warn <= 1) || b.WarnAt() < 1 || b.WarnAt() > b.Max {
				t.Fatalf("%q gave %+v", src, b)
			}
			if b.Scope == ScopePrefix && b.Name != "" && (!strings.HasSuffix(b.Name, "/") || strings.Contains(b.Name, "//") || strings.HasPrefix(b.Name, "/")) {
				t.Fatalf("%q gave the prefix %q", src, b.Name)
			}
		}
	})
}
