package ui

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/leasetop/leasetop/churn"
	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/ui/list"
	"github.com/leasetop/leasetop/ui/theme"
)

// tree is the prefix tree with rolled-up counts and soonest expiry. Its
// selection is Common.prefix, the prefix every other component looks at.
type tree struct {
	c        *Common
	cur      list.Cursor
	expanded map[string]bool
	sort     treeSort
	rows     treeRows
}

// treeSort is the order of a prefix's children: o cycles through them.
type treeSort int

const (
	sortByName   treeSort = iota // for finding a known path
	sortByCount                  // where are the leases
	sortByGrowth                 // where are they coming from, right now
	treeSorts
)

func (s treeSort) String() string { return [...]string{"by name", "by count", "by growth"}[s] }

type treeRow struct {
	path  string
	depth int
	node  *model.Node
}

type treeRows []treeRow

func (r treeRows) Len() int        { return len(r) }
func (r treeRows) ID(i int) string { return r[i].path }

func newTree(c *Common) *tree {
	t := &tree{c: c, expanded: map[string]bool{}}
	t.cur.Sel = c.data.eng.Focus()
	// Start with the path to the starting prefix open.
	for p := c.data.eng.Focus(); p != ""; p = leaseid.Parent(p) {
		t.expanded[p] = true
	}
	return t
}

// Sync flattens the expanded part of the tree under the starting prefix
// (the starting prefix itself is the first row) and keeps the selection
// on a prefix that exists: one that vanished (revoked, expired) hands it
// to its nearest ancestor.
func (t *tree) Sync() {
	c := t.c
	start := c.opt.Prefix
	for t.cur.Sel != start && c.data.eng.Index().Node(t.cur.Sel) == nil && c.data.eng.Index().Node(start) != nil {
		t.cur.Sel = leaseid.Parent(t.cur.Sel)
	}
	c.data.eng.SetFocus(t.cur.Sel)
	root := c.data.eng.Index().Node(start)
	t.rows = append(t.rows[:0], treeRow{path: start, node: root})
	if root != nil {
		var walk func(path string, depth int)
		walk = func(path string, depth int) {
			for _, n := range t.children(path) {
				t.rows = append(t.rows, treeRow{path: n.Path(), depth: depth, node: n})
				if t.expanded[n.Path()] {
					walk(n.Path(), depth+1)
				}
			}
		}
		walk(start, 1)
	}
	t.cur.Clamp(t.rows, c.paneRows())
}

// move moves the selection and tells the others the prefix changed.
func (t *tree) move(delta int) {
	t.cur.Move(t.rows, delta, t.c.paneRows())
	t.c.data.eng.SetFocus(t.cur.Sel)
}

func (t *tree) select_(path string) {
	t.cur.Sel = path
	t.c.data.eng.SetFocus(path)
	t.cur.Clamp(t.rows, t.c.paneRows())
}

// handleKey takes the keys that mean something in the focused tree;
// toTable reports that the focus should pass to the table.
func (t *tree) handleKey(k tea.KeyPressMsg) (handled, toTable bool) {
	keys, c := t.c.keys, t.c
	sel := t.cur.Sel
	delta, isMove := keys.movement(k, c.pageSize())
	switch {
	case isMove:
		t.move(delta)
	case key.Matches(k, keys.Expand):
		n := c.data.eng.Index().Node(sel)
		if n == nil || len(n.Children()) == 0 {
			return true, true
		}
		if !t.expanded[sel] {
			t.expanded[sel] = true
			return true, false
		}
		t.Sync()
		t.move(1)
	case key.Matches(k, keys.Collapse):
		if t.expanded[sel] && sel != "" {
			t.expanded[sel] = false
		} else if sel != "" {
			t.select_(leaseid.Parent(sel))
		}
	case key.Matches(k, keys.Open):
		t.expanded[sel] = !t.expanded[sel] || sel == ""
	default:
		return false, false
	}
	return true, false
}

// click selects the row at a screen row; a second click on it toggles it.
func (t *tree) click(row int) {
	prev := t.cur.Sel
	if t.cur.Click(t.rows, row) {
		if t.cur.Sel == prev {
			t.expanded[prev] = !t.expanded[prev]
		}
		t.c.data.eng.SetFocus(t.cur.Sel)
	}
}

func (t *tree) toggleSort() { t.sort = (t.sort + 1) % treeSorts }

// children are path's children in the tree's order; by growth, the
// fastest net growth first, ties by count.
func (t *tree) children(path string) []*model.Node {
	c := t.c
	switch t.sort {
	case sortByCount:
		return c.data.eng.Index().Children(path, model.ByCount)
	case sortByGrowth:
		ns := c.data.eng.Index().Children(path, model.ByCount)
		now := c.now()
		g := make(map[*model.Node]float64, len(ns))
		for _, n := range ns {
			g[n] = c.data.eng.Churn().Growth(n.Path(), now, churnWindow)
		}
		slices.SortStableFunc(ns, func(a, b *model.Node) int { return cmp.Compare(g[b], g[a]) })
		return ns
	}
	return c.data.eng.Index().Children(path, model.ByName)
}

// prefixBudgets are the prefix budgets by prefix.
func prefixBudgets(bs []config.Budget) map[string]config.Budget {
	var m map[string]config.Budget
	for _, b := range bs {
		if b.Scope == config.ScopePrefix {
			if m == nil {
				m = map[string]config.Budget{}
			}
			m[b.Name] = b
		}
	}
	return m
}

type budgetState int

const (
	budgetUnder budgetState = iota
	budgetNear              // at or over its warn share
	budgetOver              // over its max
)

// budgetCell is the share of its budget a prefix holds (" 104%"), blank
// for a prefix without one, and how full it is.
func budgetCell(bs map[string]config.Budget, path string, count int) (string, budgetState) {
	b, ok := bs[path]
	if !ok {
		return "     ", budgetUnder
	}
	return shareCell(b, count)
}

// shareCell is the share of budget b that count leases hold (" 104%",
// five cells), and how full it is.
func shareCell(b config.Budget, count int) (string, budgetState) {
	share := float64(count) / float64(b.Max)
	cell := fmt.Sprintf(" %3.0f%%", share*100)
	if share >= 9.995 {
		cell = ">999%" // keeps the column's width
	}
	switch {
	case count > b.Max:
		return cell, budgetOver
	case count >= b.WarnAt():
		return cell, budgetNear
	}
	return cell, budgetUnder
}

// growthCell is a prefix's churn: a sparkline of its net growth per
// minute and its rate ("+1.2k/m"), or blanks when nothing changed.
func (c *Common) growthCell(prefix string, now time.Time) string {
	spark := churn.Sparkline(c.data.eng.Churn().Spark(prefix, now, churnBuckets))
	g := c.data.eng.Churn().Growth(prefix, now, churnWindow)
	return spark + fmt.Sprintf(" %6s", perMinute(g))
}

// perMinute is a rate in few cells: "+85/m", "-3/m", "+1.2k/m"; "" for
// (almost) none.
func perMinute(r float64) string {
	switch a := math.Abs(r); {
	case a < 0.5:
		return ""
	case a < 1000:
		return fmt.Sprintf("%+.0f/m", r)
	}
	return fmt.Sprintf("%+.1fk/m", r/1000)
}

func (t *tree) view(focused bool) string {
	c := t.c
	s := c.styles
	w := c.treeWidth()
	inner := w - 2
	var b strings.Builder
	now := c.now()
	budgets := prefixBudgets(c.opt.Budgets)
	for i := t.cur.Top; i < len(t.rows) && i < t.cur.Top+c.paneRows(); i++ {
		r := t.rows[i]
		name, count, soon, errMark := c.opt.Prefix, 0, "", ""
		if name == "" {
			name = "/"
		}
		marker := "  "
		if r.node != nil {
			if r.depth > 0 {
				name = r.node.Name()
			}
			count = r.node.Count()
			if ts := r.node.Soonest(); !ts.IsZero() {
				soon = model.FormatTTL(ts.Sub(now))
			}
			if r.node.Err() != "" {
				errMark = "!"
			}
			if len(r.node.Children()) > 0 {
				marker = "▸ "
				if t.expanded[r.path] {
					marker = "▾ "
				}
			}
		}
		right := fmt.Sprintf(" %s%6d %7s", errMark, count, soon)
		if len(budgets) > 0 {
			cell, sev := budgetCell(budgets, r.path, count)
			if sev != budgetUnder && r.path != t.cur.Sel && (r.node == nil || r.node.Err() == "") {
				st := s.Warning
				if sev == budgetOver {
					st = s.Critical
				}
				cell = st.Render(cell)
			}
			right = fmt.Sprintf(" %s%6d%s %7s", errMark, count, cell, soon)
		}
		if c.data.eng.Churn().Active() {
			right += " " + c.growthCell(r.path, now)
		}
		left := strings.Repeat("  ", max(r.depth-1, 0)) + marker + name
		if r.depth == 0 {
			left = name
		}
		line := theme.Fit(left, inner-lipgloss.Width(right)) + right
		switch {
		case r.path == t.cur.Sel && focused:
			line = s.Selected.Render(line)
		case r.path == t.cur.Sel:
			line = s.SelectedBlurred.Render(line)
		case r.node != nil && r.node.Err() != "":
			line = s.StatusErr.Render(line)
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return c.pane(strings.TrimSuffix(b.String(), "\n"), w, focused, "prefixes · "+t.sort.String())
}
