package ui

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/internal/golden"
	"github.com/leasetop/leasetop/vaultclient"
)

// The tree shows how much of its budget each prefix with one holds:
// database/ over (3 of 2), secret/ at its warn share (2 of 2, warning
// from 80%), auth/ under (2 of 10); the others get a blank cell.
func TestGoldenTreeWithBudgets(t *testing.T) {
	m := newTest(t, &recorder{}, Options{Budgets: []config.Budget{
		{Scope: config.ScopePrefix, Name: "database/", Max: 2, Warn: 0.8},
		{Scope: config.ScopePrefix, Name: "secret/", Max: 2, Warn: 0.8},
		{Scope: config.ScopePrefix, Name: "auth/", Max: 10, Warn: 0.8},
		{Scope: config.ScopeRole, Name: "web", Max: 1, Warn: 0.8},
	}})
	golden.Check(t, "tree_budgets", text(keys(m, "tab", "j", "l")))
}

func TestBudgetCell(t *testing.T) {
	bs := prefixBudgets([]config.Budget{
		{Scope: config.ScopePrefix, Name: "db/", Max: 100, Warn: 0.8},
		{Scope: config.ScopeRole, Name: "db/", Max: 1, Warn: 0.8},
	})
	for _, tt := range []struct {
		path  string
		count int
		cell  string
		state budgetState
	}{
		{"db/", 0, "   0%", budgetUnder},
		{"db/", 79, "  79%", budgetUnder},
		{"db/", 80, "  80%", budgetNear},
		{"db/", 100, " 100%", budgetNear},
		{"db/", 101, " 101%", budgetOver},
		{"db/", 5000, ">999%", budgetOver},
		{"other/", 5000, "     ", budgetUnder},
	} {
		cell, st := budgetCell(bs, tt.path, tt.count)
		if cell != tt.cell || st != tt.state {
			t.Errorf("%s at %d: %q %v; want %q %v", tt.path, tt.count, cell, st, tt.cell, tt.state)
		}
	}
}

// A context's budgets come with it on :ctx: the file's top-level ones,
// with the context's own over them.
func TestSwitchingContextsBringsTheirBudgets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(`budgets:
  prefix: {secret/: 10, database/: 20}
contexts:
  - name: a
    address: http://127.0.0.1:1
  - name: b
    address: http://127.0.0.1:2
    budgets:
      prefix: {secret/: 99}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sw := ConfigSwitcher(f, "a", config.Flags{}, Options{}, func(vaultclient.Config) (Backend, error) { return &recorder{}, nil })
	for _, tt := range []struct {
		name string
		want []int // the max of database/, then secret/
	}{{"a", []int{20, 10}}, {"b", []int{20, 99}}} {
		_, opt, err := sw.Open(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, b := range opt.Budgets {
			got = append(got, b.Max)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("context %s: budgets %+v, want maxes %v", tt.name, opt.Budgets, tt.want)
		}
	}
}
