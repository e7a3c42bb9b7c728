package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/hygiene"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
)

// budgetsUnder are the budgets `check --budget PREFIX` can count: the
// prefix budgets at or below the prefix crawled, and the owners' (whose
// leases are then counted under it).
func budgetsUnder(bs []config.Budget, prefix string) []config.Budget {
	return slices.DeleteFunc(slices.Clone(bs), func(b config.Budget) bool {
		return b.Scope == config.ScopePrefix && !strings.HasPrefix(b.Name, prefix)
	})
}

// noBudgets says why there is nothing to check.
func noBudgets(s settings, prefix string) string {
	switch {
	case s.file == nil:
		return "--budget: no config file, so no budgets: write them under budgets: in leasetop's config file (" + config.DefaultPath() + ", or --config)"
	case prefix != "" && len(s.file.BudgetsFor(s.ctx)) > 0:
		return "--budget: no budget in " + s.file.Path + " is at or under " + prefix
	}
	return "--budget: " + s.file.Path + " sets no budgets (budgets: at its top or in the context)"
}

func ownerBudgets(bs []config.Budget) bool {
	return slices.ContainsFunc(bs, func(b config.Budget) bool { return b.Scope != config.ScopePrefix })
}

// checkBudgets is `check --budget` without --expiring-within: one line
// for the budgets, then one for each at or over its warn share and each
// that could not be counted.
func (a *app) checkBudgets(idx *model.Index, src owners.Source, prefix string, budgets []config.Budget) int {
	v := budgetVerdict(idx, src, prefix, budgets)
	fmt.Fprintf(a.stdout, "LEASETOP %s - %s | %s\n", v.state, v.summary, v.perf)
	for _, l := range v.lines {
		fmt.Fprintln(a.stdout, l)
	}
	return v.code
}

type verdict struct {
	state, summary, perf string
	code                 int
	lines                []string
}

// worse says whether the exit code a is a worse verdict than b: CRITICAL,
// then WARNING, then UNKNOWN (a budget not counted), then OK.
func worse(a, b int) bool {
	rank := map[int]int{exitOK: 0, exitUnknown: 1, exitWarning: 2, exitCritical: 3}
	return rank[a] > rank[b]
}

func budgetVerdict(idx *model.Index, src owners.Source, prefix string, budgets []config.Budget) verdict {
	us, unchecked := hygiene.Usages(idx, src, budgets)
	slices.SortStableFunc(us, func(a, b hygiene.Usage) int {
		if a.Share() != b.Share() {
			if a.Share() > b.Share() {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Label(), b.Label())
	})
	v := verdict{state: "OK", code: exitOK}
	over, near := 0, 0
	var perf []string
	for _, u := range us {
		switch u.Severity() {
		case hygiene.Critical:
			over++
			v.lines = append(v.lines, "CRITICAL: "+u.Finding().Title)
		case hygiene.Warning:
			near++
			v.lines = append(v.lines, "WARNING: "+u.Finding().Title)
		}
		perf = append(perf, fmt.Sprintf("'budget %s'=%d;%d;%d;0", perfLabel(u.Label()), u.Used, u.WarnAt(), u.Max))
	}
	for _, u := range unchecked {
		l := "UNKNOWN: " + u.Reason
		if u.Missing != "" {
			l += " (the token needs " + u.Missing + ")"
		}
		v.lines = append(v.lines, l)
	}
	n := fmt.Sprintf("%d budget%s", len(budgets), plural(len(budgets)))
	switch {
	case over > 0:
		v.state, v.code = "CRITICAL", exitCritical
	case near > 0:
		v.state, v.code = "WARNING", exitWarning
	case len(unchecked) > 0:
		v.state, v.code = "UNKNOWN", exitUnknown
	}
	switch {
	case over+near > 0:
		u := us[0]
		v.summary = fmt.Sprintf("%d of %s over, %d near: %s %s/%s (%s)", over, n, near, u.Label(),
			model.FormatCount(u.Used), model.FormatCount(u.Max), hygiene.Percent(u.Share()))
	case len(us) > 0:
		u := us[0]
		v.summary = fmt.Sprintf("%d of %s under their warn share, the fullest %s %s/%s (%s)", len(us), n, u.Label(),
			model.FormatCount(u.Used), model.FormatCount(u.Max), hygiene.Percent(u.Share()))
	default:
		v.summary = "no budget could be counted"
	}
	if len(unchecked) > 0 {
		v.summary += fmt.Sprintf("; %d not counted", len(unchecked))
	}
	if prefix != "" {
		v.summary += " (under " + prefix + ")"
	}
	v.perf = strings.Join(perf, " ")
	return v
}

// perfLabel keeps a label inside the quotes of perfdata.
func perfLabel(s string) string { return strings.NewReplacer("'", "_", "=", "_").Replace(s) }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
