package dialog

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/ui/theme"
)

// Duration asks for a duration ("90m", "3d"): the renew increment and the
// radar's window. A value that does not parse, or that Check refuses,
// keeps the dialog open with the reason under the input.
type Duration struct {
	box inputBox
	cfg DurationConfig
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
	d := &Duration{cfg: cfg}
	var cmd tea.Cmd
	d.box, cmd = newInputBox(cfg.Prompt, cfg.Placeholder, model.FormatDuration(cfg.Value))
	return d, cmd
}

func (d *Duration) Update(msg tea.Msg) (tea.Cmd, bool) {
	cmd, k := d.box.update(msg)
	switch k {
	case inputCancel:
		return call(d.cfg.OnCancel), true
	case inputSubmit:
		v, err := model.ParseDuration(d.box.value())
		if err == nil && d.cfg.Check != nil {
			err = d.cfg.Check(v)
		}
		if err != nil {
			d.box.refuse(err.Error())
			return nil, false
		}
		d.box.close()
		if d.cfg.OnSubmit == nil {
			return nil, true
		}
		return d.cfg.OnSubmit(v), true
	}
	return cmd, false
}

// Err is the reason the last value was refused, or "".
func (d *Duration) Err() string { return d.box.err }

func (d *Duration) View(w, h int) string {
	s := d.cfg.Styles
	return d.box.view(s, s.Dialog.Width(boxWidth(w, 72)), d.cfg.Body, d.cfg.Hint)
}
