// Package list is the one cursor every leasetop list uses: the prefix
// tree, the lease table and the irrevocable list. The selection is bound
// to an id (a path or a lease id), never to a row number, so a refresh
// that inserts or removes rows cannot move it onto another lease.
package list

// Rows is what a list shows: its length and the id of each row.
type Rows interface {
	Len() int
	ID(i int) string
}

// IDs adapts a slice of ids.
type IDs []string

func (s IDs) Len() int        { return len(s) }
func (s IDs) ID(i int) string { return s[i] }

// Cursor is a selection bound to an id plus the first row on screen.
type Cursor struct {
	Sel string // the selected row's id; "" selects the first row
	Top int    // the first visible row
}

// Index is the row of the selection, or 0 when that id is not among rows.
func (c *Cursor) Index(rows Rows) int {
	if c.Sel == "" {
		return 0
	}
	for i := range rows.Len() {
		if rows.ID(i) == c.Sel {
			return i
		}
	}
	return 0
}

// Move moves the selection by delta rows (clamped) and keeps it within
// the visible rows.
func (c *Cursor) Move(rows Rows, delta, visible int) {
	if rows.Len() == 0 {
		return
	}
	i := clamp(c.Index(rows)+delta, 0, rows.Len()-1)
	c.Sel = rows.ID(i)
	c.Clamp(rows, visible)
}

// Click selects the row at a screen row (0 is the first visible one) and
// reports whether there was a row there.
func (c *Cursor) Click(rows Rows, screenRow int) bool {
	i := c.Top + screenRow
	if screenRow < 0 || i >= rows.Len() {
		return false
	}
	c.Sel = rows.ID(i)
	return true
}

// Reset selects the first row and scrolls to the top.
func (c *Cursor) Reset() { c.Sel, c.Top = "", 0 }

// Clamp scrolls so that the selection is visible and no space is wasted
// below the last row.
func (c *Cursor) Clamp(rows Rows, visible int) {
	visible = max(visible, 1)
	i := c.Index(rows)
	if i < c.Top {
		c.Top = i
	}
	if i >= c.Top+visible {
		c.Top = i - visible + 1
	}
	c.Top = clamp(c.Top, 0, max(rows.Len()-visible, 0))
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return max(lo, min(v, hi))
}
