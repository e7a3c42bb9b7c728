// Package dialog holds leasetop's dialogs: components that draw a box over
// the screen, own their input and their keys, and hand their answer back
// through a callback. The root model holds at most one of them.
package dialog

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Dialog is one overlay.
type Dialog interface {
	// Update handles a message; done reports that the dialog closed (its
	// callback, if any, has run and cmd is what it returned).
	Update(msg tea.Msg) (cmd tea.Cmd, done bool)
	// View draws the box for a screen of w×h cells.
	View(w, h int) string
}

// maxWidth is the widest any dialog gets; narrower dialogs cap lower.
const maxWidth = 96

// boxWidth is a dialog's outer width on a screen w cells wide.
func boxWidth(w, limit int) int { return min(w-4, maxWidth, limit) }

// The dialogs' own keys. Dialogs do not read the screens' keymap: what a
// key does inside a dialog is the dialog's business.
var (
	keyCancel = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	keySubmit = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "confirm"))
	keyToggle = key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "switch mode"))
	keyYes    = key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes"))
	keyClose  = key.NewBinding(key.WithKeys("esc", "?", "q", "enter"), key.WithHelp("esc", "close"))
)

func call(f func() tea.Cmd) tea.Cmd {
	if f == nil {
		return nil
	}
	return f()
}
