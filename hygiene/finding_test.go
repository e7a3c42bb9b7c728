package hygiene

import (
	"slices"
	"testing"
)

func TestRankPutsTheBiggestFirst(t *testing.T) {
	fs := []Finding{
		{Kind: Permanent, Prefix: "b/", Leases: 3, Severity: Warning},
		{Kind: OrphanRole, Prefix: "a/", Leases: 10, Severity: Warning},
		{Kind: AuditCost, Leases: 0, Severity: Warning},
		{Kind: OverBudget, Prefix: "c/", Leases: 3, Severity: Critical},
		{Kind: NoReuse, Prefix: "a/", Leases: 3, Severity: Critical},
	}
	Rank(fs)
	var got []string
	for _, f := range fs {
		got = append(got, string(f.Kind))
	}
	want := []string{"orphan-role", "no-reuse", "over-budget", "permanent", "audit-cost"}
	if !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}
