package dialog

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/ui/theme"
)

// Typed is the confirmation of a destructive action that must be typed,
// not merely pressed: each stage wants one exact text (the prefix, then
// "force"), so no key held down or pressed by habit can give it.
type Typed struct {
	styles  theme.Styles
	stages  []string
	stage   int
	input   textinput.Model
	err     string
	body    func(stage int) string
	onTab   func()
	confirm func() tea.Cmd
	cancel  func() tea.Cmd
}

// TypedConfig builds a Typed dialog.
type TypedConfig struct {
	Styles theme.Styles
	// Stages are the texts to type, in order.
	Stages []string
	// Body is the text above the input at a stage.
	Body func(stage int) string
	// OnTab, if set, is what tab toggles (e.g. async/sync).
	OnTab     func()
	OnConfirm func() tea.Cmd
	OnCancel  func() tea.Cmd
}

// NewTyped opens a typed confirmation at its first stage.
func NewTyped(c TypedConfig) (*Typed, tea.Cmd) {
	t := &Typed{styles: c.Styles, stages: c.Stages, body: c.Body, onTab: c.OnTab, confirm: c.OnConfirm, cancel: c.OnCancel}
	var cmd tea.Cmd
	t.input, cmd = newInput(t.prompt(), "", "")
	return t, cmd
}

// Stage is the stage the dialog is at (0 first).
func (t *Typed) Stage() int { return t.stage }

func (t *Typed) prompt() string {
	want := t.stages[t.stage]
	if want == "force" {
		return `type "force" to confirm: `
	}
	return "type " + want + " to confirm: "
}

func (t *Typed) Update(msg tea.Msg) (tea.Cmd, bool) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		var cmd tea.Cmd
		t.input, cmd = t.input.Update(msg)
		return cmd, false
	}
	switch {
	case key.Matches(k, keyCancel):
		return call(t.cancel), true
	case key.Matches(k, keyToggle):
		if t.onTab != nil {
			t.onTab()
		}
		return nil, false
	case key.Matches(k, keySubmit):
		want := t.stages[t.stage]
		if t.input.Value() != want {
			t.err = fmt.Sprintf("type %q exactly (esc cancels)", want)
			return nil, false
		}
		if t.stage+1 < len(t.stages) {
			t.stage, t.err = t.stage+1, ""
			t.input.Prompt = t.prompt()
			t.input.SetValue("")
			return nil, false
		}
		t.input.Blur()
		return call(t.confirm), true
	}
	var cmd tea.Cmd
	t.input, cmd = t.input.Update(k)
	t.err = ""
	return cmd, false
}

func (t *Typed) View(w, h int) string {
	s := t.styles
	var b strings.Builder
	b.WriteString(t.body(t.stage))
	b.WriteString(t.input.View() + "\n")
	if t.err != "" {
		b.WriteString(s.StatusErr.Render(t.err) + "\n")
	}
	b.WriteString("\n" + s.DialogHint.Render("enter confirms · esc cancels"))
	return s.DialogDanger.Width(boxWidth(w, maxWidth)).Render(b.String())
}
