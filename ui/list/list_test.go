package list

import "testing"

func TestCursorStaysOnItsIDWhenRowsMove(t *testing.T) {
	c := Cursor{}
	rows := IDs{"a", "b", "c", "d"}
	c.Move(rows, 2, 10)
	if c.Sel != "c" {
		t.Fatalf("moved to %q, want c", c.Sel)
	}
	// A refresh inserts two rows before it: the selection is still c.
	rows = IDs{"0", "1", "a", "b", "c", "d"}
	if got := rows.ID(c.Index(rows)); got != "c" {
		t.Errorf("selection %q after the insert, want c", got)
	}
	// c vanishes: the cursor falls back to the first row, never to a
	// neighbour that happened to take its row number.
	rows = IDs{"0", "1", "a", "b", "d"}
	if c.Index(rows) != 0 {
		t.Errorf("index %d for a vanished id, want 0", c.Index(rows))
	}
}

func TestCursorMoveClampsAndScrolls(t *testing.T) {
	rows := IDs{"a", "b", "c", "d", "e", "f", "g", "h"}
	tests := []struct {
		name    string
		start   Cursor
		delta   int
		visible int
		wantSel string
		wantTop int
	}{
		{"down within the page", Cursor{}, 1, 3, "b", 0},
		{"down past the page scrolls", Cursor{Sel: "c"}, 1, 3, "d", 1},
		{"far down stops at the end", Cursor{}, 1 << 30, 3, "h", 5},
		{"far up stops at the top", Cursor{Sel: "h", Top: 5}, -1 << 30, 3, "a", 0},
		{"up above the page scrolls", Cursor{Sel: "d", Top: 3}, -1, 3, "c", 2},
		{"no wasted space below the last row", Cursor{Sel: "h", Top: 7}, 0, 3, "h", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.start
			c.Move(rows, tt.delta, tt.visible)
			if c.Sel != tt.wantSel || c.Top != tt.wantTop {
				t.Errorf("sel %q top %d, want %q %d", c.Sel, c.Top, tt.wantSel, tt.wantTop)
			}
		})
	}
}

func TestCursorClick(t *testing.T) {
	rows := IDs{"a", "b", "c", "d"}
	c := Cursor{Top: 1}
	if !c.Click(rows, 1) || c.Sel != "c" {
		t.Errorf("click on screen row 1 with top 1: %q, want c", c.Sel)
	}
	if c.Click(rows, 3) || c.Click(rows, -1) {
		t.Error("a click below the last row or above the first selected something")
	}
	if c.Sel != "c" {
		t.Errorf("a click on nothing moved the selection to %q", c.Sel)
	}
}

func TestEmptyRows(t *testing.T) {
	c := Cursor{Sel: "x", Top: 4}
	c.Move(IDs{}, 1, 3)
	c.Clamp(IDs{}, 3)
	if c.Top != 0 {
		t.Errorf("top %d on an empty list", c.Top)
	}
}
