package dialog

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/ui/theme"
)

// Confirm asks a yes/no question: y answers yes, any other key no, so a
// stray key never confirms.
type Confirm struct {
	Styles theme.Styles
	Body   func() string // the question and what it acts on
	OnYes  func() tea.Cmd
	OnNo   func() tea.Cmd
}

func (c *Confirm) Update(msg tea.Msg) (tea.Cmd, bool) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil, false
	}
	if key.Matches(k, keyYes) {
		return call(c.OnYes), true
	}
	return call(c.OnNo), true
}

func (c *Confirm) View(w, h int) string {
	return c.Styles.DialogDanger.Width(boxWidth(w, 72)).Render(c.Body())
}
