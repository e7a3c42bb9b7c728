package ui

import (
	"github.com/leasetop/leasetop/model"
)

// bodyTop is the screen row where the panes start (after the title bar).
const bodyTop = 1

// chrome is the rows that are not panes: title, status, help.
const chrome = 3

func (m Model) treeWidth() int {
	w := m.width * 32 / 100
	return clamp(w, 20, 48)
}

func (m Model) bodyHeight() int { return max(m.height-chrome, 3) }

// paneRows is the rows inside a pane's border.
func (m Model) paneRows() int { return max(m.bodyHeight()-2, 1) }

// pageSize is how far page up/down move: a screenful of table rows.
func (m Model) pageSize() int { return max(m.paneRows()-2, 1) }

type treeRow struct {
	path  string
	depth int
	node  *model.Node
}

// treeRows flattens the expanded part of the tree under the starting
// prefix; the starting prefix itself is the first row.
func (m Model) treeRows() []treeRow {
	root := m.idx.Node(m.opt.Prefix)
	if root == nil {
		return []treeRow{{path: m.opt.Prefix}}
	}
	rows := []treeRow{{path: m.opt.Prefix, node: root}}
	var walk func(path string, depth int)
	walk = func(path string, depth int) {
		for _, c := range m.idx.Children(path, m.treeSort) {
			rows = append(rows, treeRow{path: c.Path(), depth: depth, node: c})
			if m.expanded[c.Path()] {
				walk(c.Path(), depth+1)
			}
		}
	}
	walk(m.opt.Prefix, 1)
	return rows
}

// ensureRows recomputes the table rows when the data or the query changed
// since the last time: one sort per change, never one per frame.
func (m *Model) ensureRows() {
	if !m.rowsDirty {
		return
	}
	// A selected prefix that vanished (revoked, expired) hands the
	// selection to its nearest ancestor that still exists.
	for m.treeSel != m.opt.Prefix && m.idx.Node(m.treeSel) == nil && m.idx.Node(m.opt.Prefix) != nil {
		m.treeSel = parentPrefix(m.treeSel)
	}
	q := model.Query{
		Recursive: true,
		Filter:    m.filter,
		Sort:      sortKeys[m.sortIdx],
		Now:       m.now(),
	}
	if m.screen == screenRadar {
		q.ExpiringWithin, q.Sort = m.window, model.BySoonestExpiry
	}
	m.rows = m.idx.Leases(m.treeSel, q)
	m.rowsDirty = false
	if m.screen == screenRadar {
		m.radar = radarData{buckets: timeline(m.rows, q.Now, m.window), rollup: rollup(m.rows)}
	}
	m.clampScroll()
}

// tableIndex is the row of the selected lease; when that lease is gone
// from the rows, 0.
func (m *Model) tableIndex() int {
	if m.tableSel == "" {
		return 0
	}
	for i, l := range m.rows {
		if l.ID() == m.tableSel {
			return i
		}
	}
	return 0
}

func (m *Model) currentLease() *model.Lease {
	m.ensureRows()
	if len(m.rows) == 0 {
		return nil
	}
	return m.rows[m.tableIndex()]
}

// clampScroll keeps both cursors on screen.
func (m *Model) clampScroll() {
	visible := m.paneRows()
	rows := m.treeRows()
	ti := indexOfPath(rows, m.treeSel)
	if ti < m.treeTop {
		m.treeTop = ti
	}
	if ti >= m.treeTop+visible {
		m.treeTop = ti - visible + 1
	}
	m.treeTop = clamp(m.treeTop, 0, max(len(rows)-visible, 0))

	tv := visible - 1 // the header row
	li := m.tableIndex()
	if li < m.tableTop {
		m.tableTop = li
	}
	if li >= m.tableTop+tv {
		m.tableTop = li - tv + 1
	}
	m.tableTop = clamp(m.tableTop, 0, max(len(m.rows)-tv, 0))
}
