package theme

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Fit truncates s (which may hold styles) to w cells, padding it to w.
func Fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if lipgloss.Width(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	if pad := w - lipgloss.Width(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

// Pane draws content in a bordered box of w×(rows+2) cells with a title
// in its top border.
func (s Styles) Pane(content string, w, rows int, focused bool, title string) string {
	st := s.PaneBlurred
	if focused {
		st = s.PaneFocused
	}
	lines := strings.Split(content, "\n")
	for len(lines) < rows {
		lines = append(lines, "")
	}
	for i := range lines {
		lines[i] = Fit(lines[i], w-2)
	}
	box := st.Width(w).Height(rows + 2).Render(strings.Join(lines[:rows], "\n"))
	boxLines := strings.SplitN(box, "\n", 2)
	t := " " + Fit(title, w-6) + " "
	t = strings.TrimRight(t, " ") + " "
	top := boxLines[0]
	if lipgloss.Width(top) > 4 {
		prefix := ansi.Truncate(top, 2, "")
		rest := ansi.TruncateLeft(top, 2+lipgloss.Width(t), "")
		top = prefix + s.Bold.Render(t) + rest
	}
	if len(boxLines) == 2 {
		return top + "\n" + boxLines[1]
	}
	return top
}

// Bar is a text progress bar that reads without colour.
func Bar(pct float64, w int) string {
	n := max(0, min(int(pct*float64(w)+0.5), w))
	return "[" + strings.Repeat("█", n) + strings.Repeat("░", w-n) + "]"
}
