package theme

import (
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// widthCases are lines a screen draws: plain, styled, wide, combining,
// emoji, and ASCII meeting a combining mark.
var widthCases = []string{
	"",
	"secret/big/p001/AbCdEf",
	lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#FF5F5F")).Render("expired") + "  12m 3s",
	"▸ database/creds/readonly  1,234 leases │ 4%",
	"日本語のリース",
	"e\u0301te\u0301",
	"ok 👍🏽 done",
	"a\x1b]8;;https://example.com\x07link\x1b]8;;\x07 b",
	"tab\there",
	"\x1b[38;2;1;2;3m│\x1b[m x",
}

func TestWidthIsAnsiStringWidth(t *testing.T) {
	for _, s := range widthCases {
		if got, want := Width(s), ansi.StringWidth(s); got != want {
			t.Errorf("Width(%q) = %d, ansi.StringWidth says %d", s, got, want)
		}
	}
}

func FuzzWidth(f *testing.F) {
	for _, s := range widthCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, "\n") {
			return // the widest line: lipgloss.Width's own answer
		}
		if got, want := Width(s), ansi.StringWidth(s); got != want {
			t.Fatalf("Width(%q) = %d, ansi.StringWidth says %d", s, got, want)
		}
	})
}

func TestFitIsExactlyWide(t *testing.T) {
	for _, s := range widthCases {
		for _, w := range []int{1, 3, 8, 40} {
			if got := ansi.StringWidth(Fit(s, w)); got != w {
				t.Errorf("Fit(%q, %d) is %d cells wide", s, w, got)
			}
		}
	}
}

// lipglossPane is a pane as lipgloss's own bordered box draws it: the
// reference the hand-drawn border must read the same as.
func lipglossPane(s Styles, content string, w, rows int, focused bool, title string) string {
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
		top = ansi.Truncate(top, 2, "") + s.Bold.Render(t) + ansi.TruncateLeft(top, 2+lipgloss.Width(t), "")
	}
	return top + "\n" + boxLines[1]
}

func TestPaneReadsAsLipglossBorderDraws(t *testing.T) {
	s := New(true)
	for _, c := range []struct {
		name, content, title string
		w, rows              int
		focused              bool
	}{
		{"empty", "", "leases", 30, 3, true},
		{"fewer lines than rows", "a\nb", "secret/", 20, 4, false},
		{"more lines than rows", "1\n2\n3\n4\n5", "t", 12, 2, true},
		{"long lines and title", strings.Repeat("x", 50) + "\n" + widthCases[2], strings.Repeat("title ", 10), 25, 2, false},
		{"wide and styled", widthCases[3] + "\n" + widthCases[4], "日本", 18, 2, true},
		{"narrow", "abc", "title", 4, 1, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := s.Pane(c.content, c.w, c.rows, c.focused, c.title)
			want := lipglossPane(s, c.content, c.w, c.rows, c.focused, c.title)
			if ansi.Strip(got) != ansi.Strip(want) {
				t.Errorf("pane reads\n%s\nlipgloss draws\n%s", ansi.Strip(got), ansi.Strip(want))
			}
			if strings.Count(got, "\n") != c.rows+1 {
				t.Errorf("pane has %d lines, want %d", strings.Count(got, "\n")+1, c.rows+2)
			}
			for i, line := range strings.Split(got, "\n") {
				if w := ansi.StringWidth(line); w != c.w {
					t.Errorf("line %d is %d cells wide, want %d", i, w, c.w)
				}
			}
		})
	}
}

// The border keeps its colour: drawn by hand, it is still the focused
// pane's accent, distinct from a blurred pane's.
func TestPaneBorderKeepsItsColour(t *testing.T) {
	s := New(true)
	focused := strings.SplitN(s.Pane("x", 10, 1, true, "t"), "\n", 3)[1]
	blurred := strings.SplitN(s.Pane("x", 10, 1, false, "t"), "\n", 3)[1]
	if focused == blurred || !strings.Contains(focused, "\x1b[") {
		t.Errorf("focused and blurred borders draw alike or without colour: %q, %q", focused, blurred)
	}
}

func BenchmarkPane(b *testing.B) {
	s := New(true)
	row := s.Dim.Render("  ") + "secret/big/p001/AbCdEfGhIjKlMnOpQrStUv " + s.OK.Render("    47h59m") + " 2026-12-03 07:30  2026-12-05 07:30"
	content := strings.TrimSuffix(strings.Repeat(row+"\n", 46), "\n")
	b.Run("hand", func(b *testing.B) {
		for b.Loop() {
			s.Pane(content, 140, 46, true, "secret/ · 1,000,001 leases")
		}
	})
	b.Run("lipgloss", func(b *testing.B) {
		for b.Loop() {
			lipglossPane(s, content, 140, 46, true, "secret/ · 1,000,001 leases")
		}
	})
}

// joinCases are blocks of uneven heights and widths, styled, wide, with
// tabs and CRLF.
var joinCases = [][]string{
	{"a\nbb\nccc", "1\n22"},
	{widthCases[2] + "\n" + widthCases[3], "日本\nx", "tab\there\r\nz"},
	{"", "only\nright"},
	{"one"},
	{"x\n\n", "\n\ny", widthCases[6]},
}

func TestBesideAndStackJoinAsLipglossDoes(t *testing.T) {
	for _, blocks := range joinCases {
		if got, want := Beside(blocks...), lipgloss.JoinHorizontal(lipgloss.Top, blocks...); got != want {
			t.Errorf("Beside(%q) = %q, lipgloss joins %q", blocks, got, want)
		}
		if got, want := Stack(blocks...), lipgloss.JoinVertical(lipgloss.Left, blocks...); got != want {
			t.Errorf("Stack(%q) = %q, lipgloss joins %q", blocks, got, want)
		}
	}
}

func FuzzJoin(f *testing.F) {
	for _, blocks := range joinCases {
		if len(blocks) >= 2 {
			f.Add(blocks[0], blocks[1])
		}
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := Beside(a, b), lipgloss.JoinHorizontal(lipgloss.Top, a, b); got != want {
			t.Fatalf("Beside(%q, %q) = %q, lipgloss joins %q", a, b, got, want)
		}
		if got, want := Stack(a, b), lipgloss.JoinVertical(lipgloss.Left, a, b); got != want {
			t.Fatalf("Stack(%q, %q) = %q, lipgloss joins %q", a, b, got, want)
		}
	})
}
