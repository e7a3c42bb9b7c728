package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/ui/theme"
)

// browser is the home screen: the prefix tree beside the lease table.
type browser struct {
	c         *Common
	tree      *tree
	table     *table
	treeFocus bool
}

func newBrowser(c *Common) Screen {
	return &browser{c: c, tree: newTree(c), table: newTable(c)}
}

func (b *browser) Sync() tea.Cmd {
	b.tree.Sync()
	_, cmd := b.table.Sync()
	return cmd
}

func (b *browser) Prompt() string {
	if b.table.filtering {
		return b.table.input.View()
	}
	return ""
}

func (b *browser) Update(msg tea.Msg) (tea.Cmd, bool) {
	keys := b.c.keys
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if b.table.filtering {
			return b.table.filterKey(msg), true
		}
		switch {
		case key.Matches(msg, keys.Focus):
			b.treeFocus = !b.treeFocus
			return nil, true
		case key.Matches(msg, keys.TreeSort):
			b.tree.toggleSort()
			return nil, true
		}
		if b.treeFocus {
			handled, toTable := b.tree.handleKey(msg)
			if toTable {
				b.treeFocus = false
			}
			if handled {
				return nil, true
			}
		} else if key.Matches(msg, keys.Collapse) {
			b.treeFocus = true
			return nil, true
		}
		return b.table.handleKey(msg, !b.treeFocus)
	case tea.MouseWheelMsg:
		m := msg.Mouse()
		delta := map[tea.MouseButton]int{tea.MouseWheelUp: -3, tea.MouseWheelDown: 3}[m.Button]
		if m.X < b.c.treeWidth() {
			b.tree.move(delta)
		} else {
			b.table.wheel(delta)
		}
	case tea.MouseClickMsg:
		m := msg.Mouse()
		if m.Button != tea.MouseLeft {
			return nil, false
		}
		row := m.Y - bodyTop - 1 // inside the pane border
		if m.X < b.c.treeWidth() {
			b.treeFocus = true
			b.tree.click(row)
		} else {
			b.treeFocus = false
			b.table.click(row)
		}
	default:
		return b.table.updateInput(msg), false
	}
	return nil, false
}

// KeyActions: the tree's keys beside the table's; e (the radar, a
// global key) is on the line because the radar is where one looks next.
func (b *browser) KeyActions() []KeyAction {
	k := b.c.keys
	return keyActions([]key.Binding{k.Focus, k.Filter, k.Sort, k.Radar, k.Renew, k.Revoke, k.Mark, k.RevokePrefix},
		append([]key.Binding{k.Collapse, k.Expand, k.TreeSort}, b.table.keyActions()...)...)
}

func (b *browser) View() string {
	return theme.Beside(b.tree.view(b.treeFocus), b.table.view(!b.treeFocus, ""))
}
