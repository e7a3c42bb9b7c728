package hygiene

import (
	"fmt"
	"strings"

	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
)

// Usage is a budget with the live leases it counts.
type Usage struct {
	config.Budget
	Used int
	// Unowned are the leases an owner budget could not count: their owner
	// is unknown (token leases without the token store, leases older than
	// the audit log). 0 for a prefix budget.
	Unowned int
}

// Share is how much of the budget is used: 1 is all of it.
func (u Usage) Share() float64 { return float64(u.Used) / float64(u.Max) }

// Severity is Critical over the budget, Warning at or over its warn share,
// else Info.
func (u Usage) Severity() Severity {
	switch {
	case u.Used > u.Max:
		return Critical
	case u.Used >= u.WarnAt():
		return Warning
	}
	return Info
}

// Usages counts the live leases of each budget: a prefix's from the index,
// an owner's by the owners screen's grouping of the leases in src. A
// budget that cannot be counted (its prefix was not listed, an owner
// budget without an audit log) is in the second list instead, with why.
func Usages(idx *model.Index, src owners.Source, budgets []config.Budget) ([]Usage, []Unchecked) {
	return usages(indexTree{idx}, src, budgets)
}

// Usages is the package's Usages on the leases ls holds (a Copy or
// Snapshot of the whole index, path ""), on any goroutine.
func (ls *Leases) Usages(src owners.Source, budgets []config.Budget) ([]Usage, []Unchecked) {
	return usages(ls, src, budgets)
}

func usages(t tree, src owners.Source, budgets []config.Budget) ([]Usage, []Unchecked) {
	var out []Usage
	var unchecked []Unchecked
	var byOwner []int // positions in out of the owner budgets
	for _, b := range budgets {
		if b.Scope == config.ScopePrefix {
			n, why := prefixCount(t, b.Name)
			if why != "" {
				unchecked = append(unchecked, Unchecked{Kind: OverBudget, Prefix: b.Name, Reason: b.Label() + ": " + why, Missing: missingFor(why, b.Name)})
				continue
			}
			out = append(out, Usage{Budget: b, Used: n})
			continue
		}
		if src.Log == nil {
			unchecked = append(unchecked, Unchecked{Kind: OverBudget, Reason: b.Label() +
				": an owner's budget needs Vault's audit log to know who made each lease (--vault-audit, or vault-audit in the context)"})
			continue
		}
		byOwner = append(byOwner, len(out))
		out = append(out, Usage{Budget: b})
	}
	if len(byOwner) > 0 {
		countOwners(t, src, out, byOwner)
	}
	return out, unchecked
}

// prefixCount is the live leases under prefix, or why the index cannot
// say: a prefix counts only when it, or the prefix above it that would
// list it, was listed.
func prefixCount(t tree, prefix string) (int, string) {
	prefix = leaseid.AsPrefix(prefix)
	if n, ok := t.node(prefix); ok {
		switch {
		case n.err != "" && !n.listed:
			return 0, "its listing failed: " + n.err
		case !n.listed:
			return 0, "it was not listed (outside the prefix crawled, or the crawl did not reach it)"
		}
		return n.count, ""
	}
	// No node: no leases, if the nearest prefix above it was listed.
	for p := parentPrefix(prefix); ; p = parentPrefix(p) {
		if n, ok := t.node(p); ok {
			if n.listed && n.err == "" {
				return 0, ""
			}
			if n.err != "" {
				return 0, "the listing of " + display(p) + " failed: " + n.err
			}
			return 0, "it was not listed (outside the prefix crawled, or the crawl did not reach it)"
		}
		if p == "" {
			return 0, "it was not listed (outside the prefix crawled)"
		}
	}
}

// parentPrefix is the prefix above p ("" above a mount).
func parentPrefix(p string) string {
	p = strings.TrimSuffix(p, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i+1]
	}
	return ""
}

func display(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// missingFor is the policy line a listing refused for lack of permission
// needs.
func missingFor(why, prefix string) string {
	if !strings.Contains(why, "permission denied") {
		return ""
	}
	return fmt.Sprintf(`path "sys/leases/lookup/%s*" { capabilities = ["list", "sudo"] }`, prefix)
}

// countOwners counts the owner budgets at positions at of us in one walk
// of the index.
func countOwners(t tree, src owners.Source, us []Usage, at []int) {
	var bys []owners.By
	for _, i := range at {
		by := scopeBy(us[i].Scope)
		if !containsBy(bys, by) {
			bys = append(bys, by)
		}
	}
	t.each(func(prefix string, l Lease) {
		id := prefix + l.Key
		for _, by := range bys {
			g, _ := owners.Of(id, l.Issued(), l.Expires(), by, src)
			for _, i := range at {
				u := &us[i]
				if scopeBy(u.Scope) != by {
					continue
				}
				switch {
				case !g.Owned:
					u.Unowned++
				case Counts(u.Budget, g):
					u.Used++
				}
			}
		}
	})
}

// BudgetBy is the grouping of the owners screen an owner budget counts
// by; false for a prefix budget.
func BudgetBy(s config.Scope) (owners.By, bool) {
	if s == config.ScopePrefix {
		return 0, false
	}
	return scopeBy(s), true
}

// Counts reports whether the owner budget b counts the leases of g, a
// group of b's grouping (BudgetBy): g names the owner (an entity budget
// may also give the entity's id).
func Counts(b config.Budget, g owners.Group) bool {
	by, ok := BudgetBy(b.Scope)
	return ok && g.Owned && (g.Name == b.Name || by == owners.ByEntity && g.Key == "entity:"+b.Name)
}

func scopeBy(s config.Scope) owners.By {
	switch s {
	case config.ScopeEntity:
		return owners.ByEntity
	case config.ScopeRole:
		return owners.ByRole
	}
	return owners.ByMount
}

func containsBy(bs []owners.By, b owners.By) bool {
	for _, x := range bs {
		if x == b {
			return true
		}
	}
	return false
}

// Budgets are the findings of the budgets at or over their warn share,
// Critical over the budget, with the budgets it could not count.
func Budgets(idx *model.Index, src owners.Source, budgets []config.Budget) ([]Finding, []Unchecked) {
	return budgetFindings(Usages(idx, src, budgets))
}

// Budgets is the package's Budgets on the leases ls holds (a Copy or
// Snapshot of the whole index, path ""), on any goroutine.
func (ls *Leases) Budgets(src owners.Source, budgets []config.Budget) ([]Finding, []Unchecked) {
	return budgetFindings(ls.Usages(src, budgets))
}

func budgetFindings(us []Usage, unchecked []Unchecked) ([]Finding, []Unchecked) {
	var out []Finding
	for _, u := range us {
		if sev := u.Severity(); sev != Info {
			out = append(out, u.Finding())
		}
	}
	Rank(out)
	return out, unchecked
}

// Finding is the usage as a finding, with its evidence.
func (u Usage) Finding() Finding {
	f := Finding{Kind: OverBudget, Severity: u.Severity(), Leases: u.Used}
	over := "near"
	if f.Severity == Critical {
		over = "over"
	}
	f.Title = fmt.Sprintf("%s holds %s leases, %s its budget of %s (%s)",
		u.Label(), model.FormatCount(u.Used), over, model.FormatCount(u.Max), Percent(u.Share()))
	f.Evidence = []string{
		fmt.Sprintf("budget: %s leases, warning from %s (%s)", model.FormatCount(u.Max), model.FormatCount(u.WarnAt()), Percent(u.Warn)),
	}
	if u.Scope == config.ScopePrefix {
		f.Prefix = u.Name
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s live leases under %s", model.FormatCount(u.Used), display(u.Name)))
		f.Action = Action{Kind: NoAction, Text: fmt.Sprintf("find who makes them (`leasetop owners %s --vault-audit LOG`) and revoke what is not used, or raise the budget in the config file", display(u.Name))}
		return f
	}
	f.Owner = u.Label()
	f.Evidence = append(f.Evidence, fmt.Sprintf("%s live leases made by %s, as the audit log says", model.FormatCount(u.Used), u.Label()))
	if u.Unowned > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s more leases have no known owner and are not counted", model.FormatCount(u.Unowned)))
	}
	f.Action = Action{Kind: NoAction, Text: fmt.Sprintf("see what it holds (`leasetop owners --by %s --vault-audit LOG`) and revoke what is not used, or raise the budget in the config file", scopeBy(u.Scope))}
	return f
}

// Percent is a share as a whole percentage, "104%"; under 1% of a
// non-zero share is "<1%".
func Percent(s float64) string {
	if s > 0 && s < 0.01 {
		return "<1%"
	}
	return fmt.Sprintf("%.0f%%", s*100)
}
