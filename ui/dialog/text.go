package dialog

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/ui/theme"
)

// Text shows something to read (help, a lease's details, the results of
// an action) until esc, ?, q or enter closes it. Its content is drawn
// each frame, so a countdown inside it stays live.
type Text struct {
	Styles theme.Styles
	// Render draws the content for an inner width and the screen height.
	Render  func(w, h int) string
	OnClose func() tea.Cmd
}

func (t *Text) Update(msg tea.Msg) (tea.Cmd, bool) {
	if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, keyClose) {
		return call(t.OnClose), true
	}
	return nil, false
}

func (t *Text) View(w, h int) string {
	bw := boxWidth(w, maxWidth)
	return t.Styles.Dialog.Width(bw).Render(t.Render(bw-4, h))
}
