package dialog

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/ui/theme"
)

// Duration asks for a duration ("90m", "3d"): the renew increment and the
// radar's window. A value that does not parse, or that Check refuses,
// keeps the dialog open with the reason under the input.
type Duration struct {
	styles theme.Styles
	input  textinput.Model
	err    string
	cfg    DurationConfig
}

// DurationConfig builds a Duration dialog.
type DurationConfig struct {
	Styles      theme.Styles
	Body        string // above the input
	Hint        string // below it
	Prompt      string
	Placeholder string
	Value       time.Duration
	// Check, if set, refuses a parsed value with an error in words.
	Check    func(time.Duration) error
	OnSubmit func(time.Duration) tea.Cmd
	OnCancel func() tea.Cmd
}

// NewDuration opens a duration prompt holding cfg.Value.
func NewDuration(cfg DurationConfig) (*Duration, tea.Cmd) {
	d := &Duration{styles: cfg.Styles, cfg: cfg}
	var cmd tea.Cmd
	d.input, cmd = newInput(cfg.Prompt, cfg.Placeholder, model.FormatDuration(cfg.Value))
	return d, cmd
}

func (d *Duration) Update(msg tea.Msg) (tea.Cmd, bool) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		var cmd tea.Cmd
		d.input, cmd = d.input.Update(msg)
		return cmd, false
	}
	switch {
	case key.Matches(k, keyCancel):
		return call(d.cfg.OnCancel), true
	case key.Matches(k, keySubmit):
		v, err := model.ParseDuration(d.input.Value())
		if err == nil && d.cfg.Check != nil {
			err = d.cfg.Check(v)
		}
		if err != nil {
			d.err = err.Error()
			return nil, false
		}
		d.input.Blur()
		if d.cfg.OnSubmit == nil {
			return nil, true
		}
		return d.cfg.OnSubmit(v), true
	}
	var cmd tea.Cmd
	d.input, cmd = d.input.Update(k)
	d.err = ""
	return cmd, false
}

// Err is the reason the last value was refused, or "".
func (d *Duration) Err() string { return d.err }

func (d *Duration) View(w, h int) string {
	s := d.styles
	var b strings.Builder
	b.WriteString(d.cfg.Body)
	b.WriteString(d.input.View() + "\n")
	if d.err != "" {
		b.WriteString(s.StatusErr.Render(d.err) + "\n")
	}
	b.WriteString("\n" + s.DialogHint.Render(d.cfg.Hint))
	return s.Dialog.Width(boxWidth(w, 72)).Render(b.String())
}
