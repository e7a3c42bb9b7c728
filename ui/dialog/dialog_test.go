package dialog

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/leasetop/leasetop/ui/theme"
)

func press(d Dialog, keys ...tea.KeyPressMsg) (done bool) {
	for _, k := range keys {
		if _, done = d.Update(k); done {
			return true
		}
	}
	return false
}

func typed(s string) []tea.KeyPressMsg {
	var ks []tea.KeyPressMsg
	for _, r := range s {
		ks = append(ks, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return ks
}

var (
	enter = tea.KeyPressMsg{Code: tea.KeyEnter}
	esc   = tea.KeyPressMsg{Code: tea.KeyEscape}
	tab   = tea.KeyPressMsg{Code: tea.KeyTab}
)

func TestConfirmOnlyYConfirms(t *testing.T) {
	for _, tt := range []struct {
		key  tea.KeyPressMsg
		want string
	}{
		{typed("y")[0], "yes"},
		{typed("Y")[0], "yes"},
		{typed("n")[0], "no"},
		{enter, "no"},
		{typed("x")[0], "no"},
		{esc, "no"},
	} {
		var got string
		d := &Confirm{Styles: theme.New(true), Body: func() string { return "?" },
			OnYes: func() tea.Cmd { got = "yes"; return nil },
			OnNo:  func() tea.Cmd { got = "no"; return nil }}
		if !press(d, tt.key) || got != tt.want {
			t.Errorf("%q: answered %q, want %q", tt.key.String(), got, tt.want)
		}
	}
}

func TestTypedWantsEachStageExactly(t *testing.T) {
	confirmed, toggled := 0, 0
	d, _ := NewTyped(TypedConfig{
		Styles:    theme.New(true),
		Stages:    stages("database/", "force"),
		Body:      func(stage int) string { return "stage " + string(rune('0'+stage)) + "\n" },
		OnTab:     func() { toggled++ },
		OnConfirm: func() tea.Cmd { confirmed++; return nil },
	})
	if press(d, append(typed("database"), enter)...) || d.Stage() != 0 {
		t.Fatal("a prefix without its slash passed the first stage")
	}
	if !strings.Contains(ansi.Strip(d.View(100, 30)), `type "database/" exactly`) {
		t.Errorf("no reason shown:\n%s", ansi.Strip(d.View(100, 30)))
	}
	press(d, tab)
	if press(d, append(typed("/"), enter)...) || d.Stage() != 1 {
		t.Fatalf("stage %d after the exact prefix, want 1", d.Stage())
	}
	if press(d, append(typed("Force"), enter)...) || confirmed != 0 {
		t.Fatal(`"Force" confirmed a force revocation`)
	}
	// The input was not cleared by the mistake: erase it and type again.
	for range 5 {
		d.Update(tea.KeyPressMsg{Code: tea.KeyBackspace})
	}
	if !press(d, append(typed("force"), enter)...) || confirmed != 1 || toggled != 1 {
		t.Errorf("confirmed %d, toggled %d; want 1 and 1", confirmed, toggled)
	}
}

func TestTypedEscCancels(t *testing.T) {
	cancelled := false
	d, _ := NewTyped(TypedConfig{Styles: theme.New(false), Stages: stages("a/"), Body: func(int) string { return "" },
		OnConfirm: func() tea.Cmd { t.Error("confirmed"); return nil },
		OnCancel:  func() tea.Cmd { cancelled = true; return nil }})
	if !press(d, append(typed("a/"), esc)...) || !cancelled {
		t.Error("esc did not cancel")
	}
}

func TestDurationRefusesWhatDoesNotParseOrCheck(t *testing.T) {
	var got time.Duration
	newD := func() *Duration {
		d, _ := NewDuration(DurationConfig{Styles: theme.New(true), Prompt: "in: ", Value: time.Hour,
			Check: func(d time.Duration) error {
				if d > 48*time.Hour {
					return errTooLong
				}
				return nil
			},
			OnSubmit: func(d time.Duration) tea.Cmd { got = d; return nil }})
		return d
	}
	erase := tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	for _, tt := range []struct {
		input   string
		done    bool
		want    time.Duration
		errPart string
	}{
		{"90m", true, 90 * time.Minute, ""},
		{"2d", true, 48 * time.Hour, ""},
		{"banana", false, 0, "not a duration"},
		{"3d", false, 0, "too long"},
		{"", false, 0, ""},
	} {
		got = 0
		d := newD()
		done := press(d, append(append([]tea.KeyPressMsg{erase}, typed(tt.input)...), enter)...)
		if done != tt.done || got != tt.want || (!done && d.Err() == "") || !strings.Contains(d.Err(), tt.errPart) {
			t.Errorf("%q: done %v, value %v, err %q", tt.input, done, got, d.Err())
		}
	}
	d := newD()
	if !press(d, typed("1")[0], esc) || got != 0 {
		t.Error("esc submitted")
	}
}

type errString string

func (e errString) Error() string { return string(e) }

const errTooLong = errString("too long")

func TestTextClosesOnItsKeys(t *testing.T) {
	for _, k := range []tea.KeyPressMsg{esc, enter, typed("q")[0], typed("?")[0]} {
		d := &Text{Styles: theme.New(true), Render: func(w, h int) string { return "hi" }}
		if !press(d, k) {
			t.Errorf("%q did not close", k.String())
		}
	}
	d := &Text{Styles: theme.New(true), Render: func(w, h int) string { return "hi" }}
	if press(d, typed("x")[0], typed("j")[0]) {
		t.Error("x or j closed the text")
	}
}

// stages wants each text with the default prompt.
func stages(wants ...string) []Stage {
	var s []Stage
	for _, w := range wants {
		s = append(s, Stage{Want: w})
	}
	return s
}

// The words a Typed dialog asks with are the caller's: a stage shows its
// own prompt, or the plain "type WANT to confirm", whatever WANT is.
func TestTypedAsksWithTheCallersPrompt(t *testing.T) {
	for _, tt := range []struct {
		stage Stage
		want  string
	}{
		{Stage{Want: "force"}, "type force to confirm: "},
		{Stage{Want: "database/"}, "type database/ to confirm: "},
		{Stage{Want: "force", Prompt: `type "force" to confirm: `}, `type "force" to confirm: `},
		{Stage{Want: "alice", Prompt: "owner's name: "}, "owner's name: "},
	} {
		d, _ := NewTyped(TypedConfig{Styles: theme.New(true), Stages: []Stage{tt.stage}, Body: func(int) string { return "" }})
		if got := ansi.Strip(d.View(100, 30)); !strings.Contains(got, tt.want) {
			t.Errorf("%+v: prompt is not %q:\n%s", tt.stage, tt.want, got)
		}
	}
}

// Both prompting dialogs share one input box: a refused answer stays in
// the input with the reason under it until the next key, and the next
// stage starts empty.
func TestInputBoxKeepsARefusedAnswerAndClearsTheReasonOnTyping(t *testing.T) {
	dur, _ := NewDuration(DurationConfig{Styles: theme.New(true), Value: time.Hour})
	typ, _ := NewTyped(TypedConfig{Styles: theme.New(true), Stages: stages("a/", "b"), Body: func(int) string { return "" }})
	for _, tt := range []struct {
		name, wrong, reason string
		d                   Dialog
	}{{"duration", "1hx", "is not a duration", dur}, {"typed", "a", "exactly", typ}} {
		press(tt.d, typed("x")[0], tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		press(tt.d, append(typed(tt.wrong), enter)...)
		v := ansi.Strip(tt.d.View(100, 30))
		if !strings.Contains(v, tt.wrong+" ") || !strings.Contains(v, tt.reason) {
			t.Errorf("%s: after a refused %q, want it kept with %q:\n%s", tt.name, tt.wrong, tt.reason, v)
		}
		press(tt.d, typed("/")...)
		if v := ansi.Strip(tt.d.View(100, 30)); strings.Contains(v, tt.reason) || !strings.Contains(v, tt.wrong+"/") {
			t.Errorf("%s: after one more key, want the reason gone and the input kept:\n%s", tt.name, v)
		}
	}
	press(typ, enter)
	if typ.Stage() != 1 || strings.Contains(ansi.Strip(typ.View(100, 30)), "a/") {
		t.Errorf("stage %d, next stage does not start empty:\n%s", typ.Stage(), ansi.Strip(typ.View(100, 30)))
	}
}
