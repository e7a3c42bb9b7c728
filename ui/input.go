package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/model"
)

func (m Model) onKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	switch m.mode {
	case modeHelp, modeDetail, modeResults:
		if key.Matches(msg, m.keys.Back, m.keys.Help, m.keys.Quit, m.keys.Open) {
			m.mode = modeNormal
		}
		return m, nil
	case modeFilter:
		return m.onFilterKey(msg)
	case modeConfirm:
		return m.onConfirmKey(msg)
	case modeRenewPrompt:
		return m.onRenewPromptKey(msg)
	case modePrefixRevoke, modeForceRevoke:
		return m.onTypedConfirmKey(msg)
	case modeWindowPrompt:
		return m.onWindowPromptKey(msg)
	}
	if m.screen == screenIrrevocable {
		if next, cmd, ok := m.irrevocableKey(msg); ok {
			return next, cmd
		}
	} else if next, cmd, ok := m.radarKey(msg); ok {
		return next, cmd
	}

	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.mode = modeHelp
	case key.Matches(msg, k.Radar):
		return m.toggleRadar()
	case key.Matches(msg, k.Irrevocable):
		return m.openIrrevocable()
	case key.Matches(msg, k.Back):
		if m.filter != "" {
			m.filter, m.rowsDirty = "", true
		} else if len(m.marks) > 0 {
			m.marks = map[string]bool{}
		}
	case key.Matches(msg, k.Focus):
		if m.screen != screenBrowser {
			m.focus = focusTable
		} else if m.focus == focusTree {
			m.focus = focusTable
		} else {
			m.focus = focusTree
		}
	case key.Matches(msg, k.Filter):
		m.mode = modeFilter
		m.input.Prompt = "/"
		m.input.Placeholder = "part of a lease id"
		m.input.SetValue(m.filter)
		m.input.CursorEnd()
		return m, m.input.Focus()
	case key.Matches(msg, k.Sort):
		m.sortIdx = (m.sortIdx + 1) % len(sortKeys)
		m.rowsDirty = true
		return m, m.setStatus(lvInfo, "sorted by %s", sortNames[sortKeys[m.sortIdx]])
	case key.Matches(msg, k.TreeSort):
		if m.treeSort == model.ByName {
			m.treeSort = model.ByCount
		} else {
			m.treeSort = model.ByName
		}
	case key.Matches(msg, k.Refresh):
		if m.crawl.running {
			return m, m.setStatus(lvInfo, "a crawl is already running")
		}
		return m, tea.Batch(m.startCrawl(true), m.spin.Tick)
	case key.Matches(msg, k.Up):
		m.move(-1)
	case key.Matches(msg, k.Down):
		m.move(1)
	case key.Matches(msg, k.PageUp):
		m.move(-m.pageSize())
	case key.Matches(msg, k.PageDown):
		m.move(m.pageSize())
	case key.Matches(msg, k.Top):
		m.move(-1 << 30)
	case key.Matches(msg, k.Bottom):
		m.move(1 << 30)
	case key.Matches(msg, k.Expand):
		if m.focus == focusTree {
			m.expand()
		}
	case key.Matches(msg, k.Collapse):
		if m.focus == focusTree {
			m.collapse()
		} else {
			m.focus = focusTree
		}
	case key.Matches(msg, k.Open):
		if m.focus == focusTree {
			m.expanded[m.treeSel] = !m.expanded[m.treeSel]
			if m.treeSel == "" {
				m.expanded[""] = true
			}
		} else if m.currentLease() != nil {
			m.mode = modeDetail
		}
	case key.Matches(msg, k.Mark):
		if l := m.currentLease(); l != nil && m.focus == focusTable {
			if m.marks[l.ID()] {
				delete(m.marks, l.ID())
			} else {
				m.marks[l.ID()] = true
			}
			m.move(1)
		}
	case key.Matches(msg, k.MarkAll):
		m.ensureRows()
		if len(m.marks) > 0 {
			m.marks = map[string]bool{}
		} else {
			for _, l := range m.rows {
				if !l.Gone() {
					m.marks[l.ID()] = true
				}
			}
		}
	case key.Matches(msg, k.Renew):
		return m.beginRenew(false)
	case key.Matches(msg, k.RenewMarked):
		return m.beginRenew(true)
	case key.Matches(msg, k.Revoke):
		return m.beginRevoke(false)
	case key.Matches(msg, k.RevokeMarked):
		return m.beginRevoke(true)
	case key.Matches(msg, k.RevokePrefix):
		return m.beginPrefixRevoke(false)
	case key.Matches(msg, k.ForceRevokePrefix):
		return m.beginPrefixRevoke(true)
	}
	return m, nil
}

func (m Model) quit() (tea.Model, tea.Cmd) {
	if m.crawl.cancel != nil {
		m.crawl.cancel()
	}
	return m, tea.Quit
}

func (m Model) onFilterKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch msg.String() {
	case "enter":
		m.mode = modeNormal
		m.input.Blur()
		return m, nil
	case "esc":
		m.mode = modeNormal
		m.input.Blur()
		m.filter, m.rowsDirty = "", true
		return m, nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	if v := m.input.Value(); v != m.filter {
		m.filter, m.rowsDirty = v, true
		m.tableTop = 0
	}
	return m, cmd
}

// move moves the cursor of the focused pane by delta rows.
func (m *Model) move(delta int) {
	if m.focus == focusTree {
		rows := m.treeRows()
		i := indexOfPath(rows, m.treeSel)
		i = clamp(i+delta, 0, len(rows)-1)
		if len(rows) > 0 {
			m.treeSel = rows[i].path
			m.rowsDirty = true
			m.tableTop = 0
			m.tableSel = ""
		}
		m.clampScroll()
		return
	}
	m.ensureRows()
	if len(m.rows) == 0 {
		return
	}
	i := m.tableIndex()
	i = clamp(i+delta, 0, len(m.rows)-1)
	m.tableSel = m.rows[i].ID()
	m.clampScroll()
}

func (m *Model) expand() {
	n := m.idx.Node(m.treeSel)
	if n == nil || len(n.Children()) == 0 {
		m.focus = focusTable
		return
	}
	if !m.expanded[m.treeSel] {
		m.expanded[m.treeSel] = true
		return
	}
	m.move(1)
}

func (m *Model) collapse() {
	if m.expanded[m.treeSel] && m.treeSel != "" {
		m.expanded[m.treeSel] = false
		return
	}
	if m.treeSel != "" {
		m.treeSel = parentPrefix(m.treeSel)
		m.rowsDirty = true
		m.tableSel, m.tableTop = "", 0
		m.clampScroll()
	}
}

func (m Model) onWheel(msg tea.MouseWheelMsg) (tea.Model, tea.Cmd) {
	if m.mode != modeNormal {
		return m, nil
	}
	mo := msg.Mouse()
	saved := m.focus
	if mo.X < m.treeWidth() {
		m.focus = focusTree
	} else {
		m.focus = focusTable
	}
	switch mo.Button {
	case tea.MouseWheelUp:
		m.move(-3)
	case tea.MouseWheelDown:
		m.move(3)
	}
	m.focus = saved
	return m, nil
}

func (m Model) onClick(msg tea.MouseClickMsg) (tea.Model, tea.Cmd) {
	if m.mode != modeNormal || msg.Mouse().Button != tea.MouseLeft {
		return m, nil
	}
	mo := msg.Mouse()
	row := mo.Y - bodyTop - 1 // inside the pane border
	if mo.X < m.treeWidth() {
		m.focus = focusTree
		rows := m.treeRows()
		if i := m.treeTop + row; row >= 0 && i < len(rows) {
			if m.treeSel == rows[i].path {
				m.expanded[rows[i].path] = !m.expanded[rows[i].path]
			}
			m.treeSel = rows[i].path
			m.rowsDirty, m.tableSel, m.tableTop = true, "", 0
		}
		return m, nil
	}
	m.focus = focusTable
	m.ensureRows()
	if i := m.tableTop + row - 1; row >= 1 && i < len(m.rows) { // row 0 is the header
		m.tableSel = m.rows[i].ID()
	}
	return m, nil
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return max(lo, min(v, hi))
}

func indexOfPath(rows []treeRow, path string) int {
	for i, r := range rows {
		if r.path == path {
			return i
		}
	}
	return 0
}

func lowerContains(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
