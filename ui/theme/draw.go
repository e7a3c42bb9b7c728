package theme

import (
	"strings"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/ansi/parser"
)

// Fit truncates s (which may hold styles) to w cells, padding it to w.
func Fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	n := Width(s)
	if n > w {
		s = ansi.Truncate(s, w, "…")
		n = Width(s)
	}
	if n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}

// Width is the cells a line takes on screen, styles left out: what
// ansi.StringWidth says, without segmenting plain ASCII into grapheme
// clusters one letter at a time. Every frame measures every line it
// draws, and that segmenting was most of a frame's cost.
func Width(s string) int {
	if strings.IndexByte(s, '\n') >= 0 {
		return lipgloss.Width(s) // the widest line
	}
	state, width := parser.GroundState, 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		next, action := parser.Table.Transition(state, b)
		if action != parser.PrintAction && next != parser.Utf8State {
			state = next
			continue
		}
		state = parser.GroundState
		// Between two ASCII bytes there is always a cluster boundary (the
		// one exception, CR LF, is not printable), and a printable ASCII
		// letter takes one cell.
		if b < utf8.RuneSelf && (i+1 == len(s) || s[i+1] < utf8.RuneSelf) {
			width++
			continue
		}
		cluster, w := ansi.FirstGraphemeCluster(s[i:], ansi.GraphemeWidth)
		width += w
		i += len(cluster) - 1
	}
	return width
}

// Pane draws content in a bordered box of w×(rows+2) cells with a title
// in its top border. It draws the border itself rather than through a
// lipgloss border, which measures every line again after Fit has.
func (s Styles) Pane(content string, w, rows int, focused bool, title string) string {
	st := s.PaneBlurred
	if focused {
		st = s.PaneFocused
	}
	w = max(w, 2)
	edge := lipgloss.NewStyle().Foreground(st.GetBorderTopForeground())
	b := lipgloss.RoundedBorder()
	side := edge.Render(b.Left)
	var out strings.Builder
	// the content and its padding, the sides, and the top and bottom of
	// three-byte box characters (a title's styles aside)
	out.Grow(len(content) + rows*(w+2*len(side)+1) + 2*(3*w+len(side)+32) + len(title))
	if w > 4 {
		t := strings.TrimRight(" "+Fit(title, w-6)+" ", " ") + " "
		out.WriteString(edge.Render(b.TopLeft + b.Top))
		out.WriteString(s.Bold.Render(t))
		out.WriteString(edge.Render(strings.Repeat(b.Top, max(w-3-Width(t), 0)) + b.TopRight))
	} else {
		out.WriteString(edge.Render(b.TopLeft + strings.Repeat(b.Top, w-2) + b.TopRight))
	}
	for i := 0; i < rows; i++ {
		line := ""
		if cut := strings.IndexByte(content, '\n'); cut >= 0 {
			line, content = content[:cut], content[cut+1:]
		} else {
			line, content = content, ""
		}
		out.WriteString("\n")
		out.WriteString(side)
		out.WriteString(Fit(line, w-2))
		out.WriteString(side)
	}
	out.WriteString("\n")
	out.WriteString(edge.Render(b.BottomLeft + strings.Repeat(b.Bottom, w-2) + b.BottomRight))
	return out.String()
}

// Bar is a text progress bar that reads without colour.
func Bar(pct float64, w int) string {
	n := max(0, min(int(pct*float64(w)+0.5), w))
	return "[" + strings.Repeat("█", n) + strings.Repeat("░", w-n) + "]"
}
