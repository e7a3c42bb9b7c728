package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/hygiene"
	"github.com/leasetop/leasetop/internal/golden"
	"github.com/leasetop/leasetop/owners"
)

// ownerBudgetsFixture are budgets of every owner kind for withOwners'
// estate: by entity, alice over (3 of 2) and billing, named by its
// entity id, at its warn share (2 of 2); by role billing under (2 of
// 10); by auth mount userpass under (3 of 100); and a prefix budget,
// which the owners screen does not show.
var ownerBudgetsFixture = []config.Budget{
	{Scope: config.ScopeEntity, Name: "alice", Max: 2, Warn: 0.8},
	{Scope: config.ScopeEntity, Name: "e-app", Max: 2, Warn: 0.8},
	{Scope: config.ScopeRole, Name: "billing", Max: 10, Warn: 0.8},
	{Scope: config.ScopeMount, Name: "userpass", Max: 100, Warn: 0.8},
	{Scope: config.ScopePrefix, Name: "secret/", Max: 1, Warn: 0.8},
}

// The owners screen shows an owner's share of its budget beside its count,
// as the tree does a prefix's: orange from the warn share, red over.
func TestGoldenOwnersWithBudgets(t *testing.T) {
	m := keys(showOwners(withOwnersAnd(t, &recorder{}, Options{Budgets: ownerBudgetsFixture})), "j")
	golden.Check(t, "owners_budgets", text(m))
	raw := m.render()
	// alice (not selected) is over: red; billing (selected) is plain.
	if !strings.Contains(raw, m.c.styles.Critical.Render("   150%")) {
		t.Errorf("alice's share is not drawn in the critical style:\n%q", raw)
	}
	if strings.Contains(raw, m.c.styles.Warning.Render("   100%")) {
		t.Errorf("the selected row's share is styled inside the selection:\n%q", raw)
	}
	m = keys(m, "k")
	if raw := m.render(); !strings.Contains(raw, m.c.styles.Warning.Render("   100%")) {
		t.Errorf("billing's share at its warn share is not drawn in the warning style:\n%q", raw)
	}
	m = keys(m, "b", "b") // by auth mount
	if line := lineWith(text(m), "auth/userpass/"); !strings.Contains(line, " 3 ") || !strings.Contains(line, "3%") {
		t.Errorf("by auth mount, userpass should hold 3%% of its budget:\n%s", text(m))
	}
	m = keys(m, "b") // by remote address: no budgets
	if strings.Contains(text(m), "BUDGET") {
		t.Errorf("a grouping without budgets shows the budget column:\n%s", text(m))
	}
}

// The share an owner row shows is its leases over its budget, as the
// budget check (hygiene.Usages, which walks the index itself) counts them.
func TestOwnersBudgetShareIsTheOwnersLeasesOverItsBudget(t *testing.T) {
	for _, tt := range []struct {
		by     string // the b presses from by entity
		owner  string // a text of the owner's row
		budget config.Budget
		leases int // the owner's leases in withOwners
	}{
		{"", "userpass-alice alice", ownerBudgetsFixture[0], 3},
		{"", "approle billing", ownerBudgetsFixture[1], 2},
		{"b", "role_name billing", ownerBudgetsFixture[2], 2},
		{"bb", "auth/userpass/", ownerBudgetsFixture[3], 3},
		{"bb", "auth/approle/", config.Budget{Scope: config.ScopeMount, Name: "approle", Max: 7, Warn: 0.5}, 2},
	} {
		t.Run(tt.budget.Label(), func(t *testing.T) {
			m := showOwners(withOwnersAnd(t, &recorder{}, Options{Budgets: []config.Budget{tt.budget}}))
			for _, k := range tt.by {
				m = keys(m, string(k))
			}
			us, _ := hygiene.Usages(m.c.data.eng.Index(), owners.Source{Log: m.c.data.attribution()}, []config.Budget{tt.budget})
			if len(us) != 1 || us[0].Used != tt.leases {
				t.Fatalf("the budget check counts %+v, want %d leases", us, tt.leases)
			}
			want := fmt.Sprintf("%d%7s", tt.leases, fmt.Sprintf("%.0f%%", 100*float64(tt.leases)/float64(tt.budget.Max)))
			if got := fmt.Sprintf("%.0f%%", 100*us[0].Share()); !strings.HasSuffix(want, got) {
				t.Fatalf("the check's share %s differs from %d/%d", got, tt.leases, tt.budget.Max)
			}
			if line := lineWith(text(m), tt.owner); !strings.Contains(line, want) {
				t.Errorf("the row of %s shows no %q:\n%s", tt.owner, want, text(m))
			}
		})
	}
}
