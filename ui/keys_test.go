package ui

import (
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// footer is the last line of the rendered view: the help line.
func footer(m Model) string {
	lines := strings.Split(strings.TrimRight(text(m), "\n"), "\n")
	return lines[len(lines)-1]
}

// The owners screen's help line names the keys it answers (b, enter, x,
// T), not the browser's (tab, P, which mean nothing there); with an
// owner's leases open, the lease table's.
func TestOwnersHelpLineListsItsOwnKeys(t *testing.T) {
	m := showOwners(withOwners(t, &recorder{}))
	line := footer(m)
	for _, want := range []string{"? help", "b owners: group by", "enter leases", "x revoke its leases", "T owners: revoke tokens", "esc back", "q quit"} {
		if !strings.Contains(line, want) {
			t.Errorf("owners' help line lacks %q: %s", want, line)
		}
	}
	for _, not := range []string{"tab tree/table", "P revoke prefix", "space mark"} {
		if strings.Contains(line, not) {
			t.Errorf("owners' help line lists the browser's %q: %s", not, line)
		}
	}
	m = keys(m, "enter") // the first owner's leases
	line = footer(m)
	for _, want := range []string{"/ filter ids", "x revoke", "space mark", "esc back"} {
		if !strings.Contains(line, want) {
			t.Errorf("an owner's leases: help line lacks %q: %s", want, line)
		}
	}
	for _, not := range []string{"b owners", "T owners", "P revoke prefix"} {
		if strings.Contains(line, not) {
			t.Errorf("an owner's leases: help line lists %q: %s", not, line)
		}
	}
}

// Each screen's help line is its declared actions: ? first, the screen's
// short actions in the order it declares them, q last.
func TestEachScreensHelpLineIsItsDeclaredActions(t *testing.T) {
	for _, e := range screens {
		t.Run(e.name, func(t *testing.T) {
			m := showScreen(withOwners(t, &recorder{}), e)
			line := footer(m)
			var want []string
			for _, b := range m.c.keys.shortHelp(m.screens[e.name].KeyActions()) {
				want = append(want, b.Help().Key+" "+b.Help().Desc)
			}
			if len(want) < 3 || want[0] != "? help" || want[len(want)-1] != "q quit" {
				t.Fatalf("declared line %q", want)
			}
			at := 0
			for _, w := range want {
				i := strings.Index(line[at:], w)
				if i < 0 {
					if strings.HasSuffix(strings.TrimSpace(line), "…") {
						break // the rest did not fit the width
					}
					t.Fatalf("help line lacks the declared %q (in order): %s", w, line)
				}
				at += i + len(w)
			}
			if n := strings.Count(line, " • ") + 1; n > len(want) {
				t.Errorf("help line has %d items, %d declared: %s", n, len(want), line)
			}
		})
	}
}

// showScreen makes e the active screen as its key would.
func showScreen(m Model, e screenEntry) Model {
	if e.keys == nil {
		return m
	}
	k := e.keys(m.c.keys)[0].Keys()[0]
	return runAction(m, pressOf(k))
}

// A key cannot work without being documented: every key of the keymap
// that a screen answers (Update reports it handled) is one of the actions
// it declares in that state.
func TestScreensDeclareEveryKeyTheyAnswer(t *testing.T) {
	states := []struct {
		name   string
		screen string
		setup  func(Model) Model
	}{
		{"browser, table focused", "browser", func(m Model) Model { return m }},
		{"browser, tree focused", "browser", func(m Model) Model { return keys(m, "tab") }},
		{"radar", "radar", nil},
		{"irrevocable", "irrevocable", nil},
		{"owners", "owners", nil},
		{"owners, an owner's leases", "owners", func(m Model) Model { return keys(m, "enter") }},
	}
	var all []string
	seen := map[string]bool{}
	for _, col := range DefaultKeyMap().helpLayout() {
		for _, b := range col {
			for _, k := range b.Keys() {
				if !seen[k] {
					seen[k] = true
					all = append(all, k)
				}
			}
		}
	}
	for _, st := range states {
		t.Run(st.name, func(t *testing.T) {
			for _, k := range all {
				m := withOwners(t, &recorder{})
				for _, e := range screens {
					if e.name == st.screen {
						m = showScreen(m, e)
					}
				}
				if st.setup != nil {
					m = st.setup(m)
				}
				s := m.screen()
				declared := s.KeyActions()
				if _, handled := s.Update(pressOf(k)); handled && !declares(declared, k) {
					t.Errorf("answers %q, which it does not declare", k)
				}
			}
		})
	}
}

func declares(as []KeyAction, k string) bool {
	for _, a := range as {
		for _, ak := range a.Keys() {
			if ak == k {
				return true
			}
		}
	}
	return false
}

// pressOf is the key press whose name is k, as a binding spells it.
func pressOf(k string) tea.KeyPressMsg {
	named := map[string]tea.KeyPressMsg{
		"up": {Code: tea.KeyUp}, "down": {Code: tea.KeyDown}, "left": {Code: tea.KeyLeft}, "right": {Code: tea.KeyRight},
		"home": {Code: tea.KeyHome}, "end": {Code: tea.KeyEnd}, "pgup": {Code: tea.KeyPgUp}, "pgdown": {Code: tea.KeyPgDown},
		"enter": {Code: tea.KeyEnter}, "esc": {Code: tea.KeyEscape}, "tab": {Code: tea.KeyTab},
		"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift}, "space": {Code: tea.KeySpace, Text: " "},
	}
	if p, ok := named[k]; ok {
		return p
	}
	if c, ok := strings.CutPrefix(k, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: []rune(c)[0], Mod: tea.ModCtrl}
	}
	return tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
}

// pressOf spells every key of the keymap as its binding does, or the
// test above would press other keys than it names.
func TestPressOfSpellsEveryKey(t *testing.T) {
	for _, col := range DefaultKeyMap().helpLayout() {
		for _, b := range col {
			for _, k := range b.Keys() {
				if got := pressOf(k); !key.Matches(got, b) || got.String() != k {
					t.Errorf("pressOf(%q) is %q", k, got.String())
				}
			}
		}
	}
}

// The '?' help is the root's keys and every screen's declared actions,
// each key once: a key is there because a screen declares it.
func TestFullHelpIsEveryDeclaredAction(t *testing.T) {
	m := withOwners(t, &recorder{})
	want := map[string]bool{}
	for _, a := range m.globalActions() {
		want[a.Help().Key] = true
	}
	for _, e := range screens {
		for _, a := range m.screens[e.name].KeyActions() {
			want[a.Help().Key] = true
		}
	}
	got := map[string]int{}
	for _, col := range m.fullHelp() {
		for _, b := range col {
			got[b.Help().Key]++
		}
	}
	for k := range want {
		if got[k] != 1 {
			t.Errorf("declared key %q is in the help %d times", k, got[k])
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("the help shows %q, which nothing declares", k)
		}
	}
	help := text(keys(m, "?"))
	for _, w := range []string{"owners: group by…", "owners: revoke tokens", "radar: 5m/1h/24h/custom", "tree: name/count/growth"} {
		if !strings.Contains(help, w) {
			t.Errorf("'?' lacks %q", w)
		}
	}
}

// The radar's and the irrevocable screen's help lines name their own
// keys, not the browser's: tab means nothing on either, and x on the
// irrevocable screen force-revokes.
func TestRadarAndIrrevocableHelpLinesListTheirOwnKeys(t *testing.T) {
	for _, tt := range []struct {
		key       string
		want, not []string
	}{
		{"e", []string{"1-4 radar: 5m/1h/24h/custom", "/ filter ids", "x revoke", "q quit"}, []string{"tab tree/table", "e expiry radar"}},
		{"I", []string{"x force-revoke", "X force-revoke its mount", "ctrl+r refresh", "esc back", "q quit"}, []string{"tab tree/table", "r renew", "space mark", "x revoke "}},
	} {
		line := footer(runAction(withOwners(t, &recorder{}), keyMsg(tt.key)))
		for _, w := range tt.want {
			if !strings.Contains(line, w) {
				t.Errorf("%s: help line lacks %q: %s", tt.key, w, line)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(line, n) {
				t.Errorf("%s: help line lists %q: %s", tt.key, n, line)
			}
		}
	}
}

// The '?' help is the same whatever state a screen is in: opening an
// owner's leases does not take b and T out of it.
func TestFullHelpDoesNotDependOnAScreensState(t *testing.T) {
	m := showOwners(withOwners(t, &recorder{}))
	before := m.fullHelp()
	m = keys(m, "enter")
	if m.screens["owners"].(*ownersScreen).open == nil {
		t.Fatal("no owner open")
	}
	var a, b []string
	for _, col := range before {
		for _, k := range col {
			a = append(a, k.Help().Key)
		}
	}
	for _, col := range m.fullHelp() {
		for _, k := range col {
			b = append(b, k.Help().Key)
		}
	}
	if strings.Join(a, " ") != strings.Join(b, " ") {
		t.Errorf("an owner's leases open, the help's keys changed:\n%v\n%v", a, b)
	}
}
