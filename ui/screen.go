package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Screen is one view that fills the body between the title bar and the
// status bar. Screens share the program's *Common and keep their own state.
type Screen interface {
	// Update gets the key presses and mouse events while the screen is
	// active, and every other message always. handled reports that a key
	// was the screen's, so the root does not act on it as well.
	Update(msg tea.Msg) (cmd tea.Cmd, handled bool)
	// Sync brings what the screen draws up to date with the index and the
	// clock, and returns the work that takes longer (a big table's sort, a
	// lookup of names). The root calls it after every message, so View
	// never sorts.
	Sync() tea.Cmd
	// View draws the body.
	View() string
	// KeyActions are the keys the screen answers (k9s's KeyActions): the
	// Short ones, those of its state now, fill the help line under it;
	// all of them, whatever the state, the full help.
	KeyActions() []KeyAction
}

// initer is a screen with work to start with the program (a source to
// read), whether or not it is shown.
type initer interface {
	Init() tea.Cmd
}

// opener is a screen that does something each time it is shown (load,
// reset its cursor); key is the press that opened it.
type opener interface {
	Open(key tea.KeyPressMsg) tea.Cmd
}

// prompter is a screen that sometimes has an input open in the footer
// line (the filter): while it does, every key goes to the screen first.
type prompter interface {
	Prompt() string // the input's line, or "" when none is open
}

// busy is a screen with long work of its own under way (a spinner turns).
type busy interface {
	Busy() bool
}

// screenEntry is one row of the registry: a screen's name, the keys that
// open it (pressing the first again goes back home) and its constructor.
type screenEntry struct {
	name string
	keys func(KeyMap) []key.Binding
	make func(*Common) Screen
}

// home is the screen leasetop starts on and esc returns to.
const home = "browser"

// screens is the registry: adding a screen is one file and one row here
// (k9s's registrar).
var screens = []screenEntry{
	{name: home, make: newBrowser},
	{name: "radar", keys: func(k KeyMap) []key.Binding { return []key.Binding{k.Radar, k.Window} }, make: newRadar},
	{name: "irrevocable", keys: func(k KeyMap) []key.Binding { return []key.Binding{k.Irrevocable} }, make: newIrrevocable},
	{name: "owners", keys: func(k KeyMap) []key.Binding { return []key.Binding{k.Owners} }, make: newOwners},
	{name: "hygiene", keys: func(k KeyMap) []key.Binding { return []key.Binding{k.Hygiene} }, make: newHygiene},
}
