package dialog

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/leasetop/leasetop/ui/theme"
)

// inputBox is the one input the prompting dialogs (Duration, Typed)
// share: a text above it, the one-line input, the reason the last answer
// was refused and a hint under it, in a frame. It owns enter and esc; what
// an answer means is the dialog's.
type inputBox struct {
	input textinput.Model
	err   string
}

// inputKey is what a key did to the box.
type inputKey int

const (
	inputEdited inputKey = iota // typed into the input (or not a key)
	inputSubmit                 // enter: the dialog judges the value
	inputCancel                 // esc
)

// newInputBox is a focused box whose input holds value.
func newInputBox(prompt, placeholder, value string) (inputBox, tea.Cmd) {
	in := textinput.New()
	in.Prompt = prompt
	in.Placeholder = placeholder
	in.CharLimit = 256
	in.SetWidth(48)
	in.SetValue(value)
	in.CursorEnd()
	return inputBox{input: in}, in.Focus()
}

// update passes msg to the input. A key typed clears the refusal, so the
// reason never outlives the value it was about; the input keeps what was
// typed, so a mistake is corrected rather than typed again.
func (b *inputBox) update(msg tea.Msg) (tea.Cmd, inputKey) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, keyCancel):
			return nil, inputCancel
		case key.Matches(k, keySubmit):
			return nil, inputSubmit
		}
		b.err = ""
	}
	var cmd tea.Cmd
	b.input, cmd = b.input.Update(msg)
	return cmd, inputEdited
}

func (b *inputBox) value() string { return b.input.Value() }

// refuse keeps the dialog open with why under the input.
func (b *inputBox) refuse(why string) { b.err = why }

// reset empties the input for a new question with a new prompt.
func (b *inputBox) reset(prompt string) {
	b.input.Prompt = prompt
	b.input.SetValue("")
	b.err = ""
}

func (b *inputBox) close() { b.input.Blur() }

// view draws body, the input, the refusal and hint inside frame.
func (b *inputBox) view(s theme.Styles, frame lipgloss.Style, body, hint string) string {
	var sb strings.Builder
	sb.WriteString(body)
	sb.WriteString(b.input.View() + "\n")
	if b.err != "" {
		sb.WriteString(s.StatusErr.Render(b.err) + "\n")
	}
	sb.WriteString("\n" + s.DialogHint.Render(hint))
	return frame.Render(sb.String())
}
