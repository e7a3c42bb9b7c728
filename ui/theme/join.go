package theme

import "strings"

// Beside is lipgloss.JoinHorizontal(lipgloss.Top, blocks...) and Stack is
// lipgloss.JoinVertical(lipgloss.Left, blocks...), line for line, but
// measured with Width: a frame joins a screenful of lines twice, and
// measuring each as grapheme clusters was a third of the frame.
func Beside(blocks ...string) string {
	if len(blocks) < 2 {
		return strings.Join(blocks, "")
	}
	lines := make([][]string, len(blocks))
	widths := make([][]int, len(blocks))
	widest := make([]int, len(blocks))
	height := 0
	for i, b := range blocks {
		lines[i], widths[i], widest[i] = measure(b)
		height = max(height, len(lines[i]))
	}
	size := height
	for i, b := range blocks {
		size += len(b) + widest[i]*height
	}
	var out strings.Builder
	out.Grow(size)
	for row := range height {
		if row > 0 {
			out.WriteByte('\n')
		}
		for i := range blocks {
			w := 0
			if row < len(lines[i]) {
				out.WriteString(lines[i][row])
				w = widths[i][row]
			}
			out.WriteString(strings.Repeat(" ", widest[i]-w))
		}
	}
	return out.String()
}

// Stack is lipgloss.JoinVertical(lipgloss.Left, blocks...): see Beside.
func Stack(blocks ...string) string {
	if len(blocks) < 2 {
		return strings.Join(blocks, "")
	}
	var lines []string
	var widths []int
	widest := 0
	for _, b := range blocks {
		l, w, most := measure(b)
		lines, widths, widest = append(lines, l...), append(widths, w...), max(widest, most)
	}
	size := 0
	for _, l := range lines {
		size += len(l) + widest + 1
	}
	var out strings.Builder
	out.Grow(size)
	for i, l := range lines {
		if i > 0 {
			out.WriteByte('\n')
		}
		out.WriteString(l)
		out.WriteString(strings.Repeat(" ", widest-widths[i]))
	}
	return out.String()
}

// measure splits a block into lines as lipgloss does (a tab is four
// spaces, CRLF a line break) and measures each.
func measure(block string) (lines []string, widths []int, widest int) {
	block = strings.ReplaceAll(block, "\t", "    ")
	block = strings.ReplaceAll(block, "\r\n", "\n")
	lines = strings.Split(block, "\n")
	widths = make([]int, len(lines))
	for i, l := range lines {
		widths[i] = Width(l)
		widest = max(widest, widths[i])
	}
	return lines, widths, widest
}
