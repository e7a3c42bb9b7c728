package dialog

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/ui/theme"
)

// Typed is the confirmation of a destructive action that must be typed,
// not merely pressed: each stage wants one exact text (what the action
// acts on, then whatever the caller asks for a second time), so no key
// held down or pressed by habit can give it.
type Typed struct {
	box   inputBox
	cfg   TypedConfig
	stage int
}

// Stage is one text a Typed dialog wants, and how it asks for it.
type Stage struct {
	// Want is the text to type, exactly.
	Want string
	// Prompt is the input's prompt; empty, it is "type WANT to confirm: ".
	Prompt string
}

func (s Stage) prompt() string {
	if s.Prompt != "" {
		return s.Prompt
	}
	return "type " + s.Want + " to confirm: "
}

// TypedConfig builds a Typed dialog.
type TypedConfig struct {
	Styles theme.Styles
	// Stages are the texts to type, in order.
	Stages []Stage
	// Body is the text above the input at a stage.
	Body func(stage int) string
	// OnTab, if set, is what tab toggles (e.g. async/sync).
	OnTab     func()
	OnConfirm func() tea.Cmd
	OnCancel  func() tea.Cmd
}

// NewTyped opens a typed confirmation at its first stage.
func NewTyped(c TypedConfig) (*Typed, tea.Cmd) {
	t := &Typed{cfg: c}
	var cmd tea.Cmd
	t.box, cmd = newInputBox(c.Stages[0].prompt(), "", "")
	return t, cmd
}

// Stage is the stage the dialog is at (0 first).
func (t *Typed) Stage() int { return t.stage }

func (t *Typed) Update(msg tea.Msg) (tea.Cmd, bool) {
	if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, keyToggle) {
		if t.cfg.OnTab != nil {
			t.cfg.OnTab()
		}
		return nil, false
	}
	cmd, k := t.box.update(msg)
	switch k {
	case inputCancel:
		return call(t.cfg.OnCancel), true
	case inputSubmit:
		want := t.cfg.Stages[t.stage].Want
		if t.box.value() != want {
			t.box.refuse(fmt.Sprintf("type %q exactly (esc cancels)", want))
			return nil, false
		}
		if t.stage+1 < len(t.cfg.Stages) {
			t.stage++
			t.box.reset(t.cfg.Stages[t.stage].prompt())
			return nil, false
		}
		t.box.close()
		return call(t.cfg.OnConfirm), true
	}
	return cmd, false
}

func (t *Typed) View(w, h int) string {
	s := t.cfg.Styles
	return t.box.view(s, s.DialogDanger.Width(boxWidth(w, maxWidth)), t.cfg.Body(t.stage), "enter confirms · esc cancels")
}
