package ui

import (
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/vaultclient"
)

// Contexts: many Vaults in one program. Each context (and namespace) is a
// root of its own — its index, crawl, screens and dialogs — kept while
// another is shown, so switching back is instant (its data marked with its
// age, a refresh started). Every command a root starts is tagged with it,
// so an answer from a context not shown lands in that context's data and
// nowhere else.

// Switcher opens the contexts of a config file; main provides it.
type Switcher interface {
	// Names are the contexts' names, in the file's order.
	Names() []string
	// Open builds the backend and options of a context (read-only in the
	// context wins over the flags).
	Open(name string) (Backend, Options, error)
}

// app is the program: the roots by context and namespace, the one shown
// (whose ':' command line, and size, every root shares).
type app struct {
	*root
	roots    map[string]*root
	switcher Switcher
	dark     *bool // the terminal's background, once it said

	// Bubble Tea draws after every message. A crawl's batches and the
	// spinner arrive tens of times a second, and a frame costs a few
	// milliseconds: drawing each would spend a fifth of the UI's CPU,
	// taken from Vault on a shared machine. So while only those arrive,
	// the last frame is shown again until frameEvery has passed; anything
	// else (a key, a result, the crawl's end) draws at once.
	frame frameCache
}

// frameCache is the last frame drawn.
type frameCache struct {
	view tea.View
	at   time.Time
	lazy bool // the last message was a batch or a spinner tick
}

// frameEvery is how stale a frame may be while a crawl streams in: five
// frames a second, as often as the spinner turns (busySpinner). A frame
// of a million-lease screen costs about 4 ms, and on a machine Vault
// shares, the UI's time is the crawl's; top redraws every 1.5 s.
const frameEvery = 200 * time.Millisecond

// lazyFrame reports whether msg only moves a crawl along: its frame may wait.
func lazyFrame(msg tea.Msg) bool {
	rm, ok := msg.(rootMsg)
	if !ok {
		return false
	}
	switch m := rm.msg.(type) {
	case crawl.Batch:
		return !m.Done
	case spinner.TickMsg, gatherMsg:
		return true
	}
	return false
}

// rootMsg is a message for the root that started the command.
type rootMsg struct {
	r   *root
	msg tea.Msg
}

// tag makes the messages of cmd the root's.
func tag(r *root, cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() tea.Msg {
		switch msg := cmd().(type) {
		case nil:
			return nil
		case tea.BatchMsg:
			out := make(tea.BatchMsg, len(msg))
			for i, c := range msg {
				out[i] = tag(r, c)
			}
			return out
		case tea.QuitMsg:
			return msg
		default:
			return rootMsg{r: r, msg: msg}
		}
	}
}

func rootKey(ctxName, ns string) string { return ctxName + "\x00" + ns }

// Update routes a message: a tagged one to its root, keys to the command
// line or the shown root, sizes and colours to every root.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	a := m.app
	a.frame.lazy = lazyFrame(msg)
	switch msg := msg.(type) {
	case rootMsg:
		return m, tag(msg.r, msg.r.step(msg.msg))
	case tea.WindowSizeMsg:
		var cmds []tea.Cmd
		for _, r := range a.roots {
			cmds = append(cmds, tag(r, r.step(msg)))
		}
		return m, tea.Batch(cmds...)
	case tea.BackgroundColorMsg:
		dark := msg.IsDark()
		a.dark = &dark
		for _, r := range a.roots {
			r.step(msg)
		}
		return m, nil
	case tea.KeyPressMsg:
		if a.cmd.open {
			return m, a.onCommandKey(msg)
		}
		if key.Matches(msg, a.c.keys.Command) && a.overlay == nil && a.prompt() == "" {
			return m, a.cmd.start(a.completions())
		}
	}
	return m, tag(a.root, a.step(msg))
}

// step is one message for this root: handled, then the shown screen
// brought up to date, so View never sorts.
func (r *root) step(msg tea.Msg) tea.Cmd {
	cmd := r.update(msg)
	synced := r.screen().Sync()
	return tea.Batch(synced, cmd)
}

// show makes r the root on screen; the one it replaces stops polling and
// keeps its data.
func (a *app) show(r *root) tea.Cmd {
	if r == a.root {
		return nil
	}
	r.cmd = a.cmd
	a.root.pause()
	a.root = r
	return tag(r, r.resume())
}

// pause stops the crawl and the polls of a root no longer shown.
func (r *root) pause() { r.c.data.eng.Pause() }

// resume shows a root again: its data as it was, and a refresh. What it
// said while another context was shown (an action's result) is said
// again, in place of the data's age.
func (r *root) resume() tea.Cmd {
	out, full := r.c.data.eng.Resume()
	unseen := r.status.unseen
	var said tea.Cmd
	if unseen {
		r.status.unseen = false
		said = r.setStatus(r.status.lv, "%s", r.status.text) // its fade starts now
	}
	if !full && !unseen {
		said = r.setStatus(lvInfo, "data from %s; refreshing", r.c.data.eng.Status().LastOK.Format("15:04:05"))
	}
	return tea.Batch(said, r.drive(out))
}

// switchTo shows the context name (in namespace ns), opening it the first
// time.
func (a *app) switchTo(name, ns string, nsOnly bool) tea.Cmd {
	k := rootKey(name, ns)
	if r, ok := a.roots[k]; ok {
		return a.show(r)
	}
	var be Backend
	opt := a.c.opt
	switch {
	case nsOnly:
		n, ok := a.c.data.be.(interface {
			WithNamespace(string) *vaultclient.Client
		})
		if !ok {
			return a.setStatus(lvErr, "this Vault connection cannot change namespace")
		}
		be = n.WithNamespace(ns)
		opt.Namespace = ns
	case a.switcher == nil:
		return a.setStatus(lvErr, "no contexts: leasetop runs without a config file (see leasetop ctx)")
	default:
		var err error
		be, opt, err = a.switcher.Open(name)
		if err != nil {
			return a.setStatus(lvErr, "%s", plainError(err))
		}
		ns = be.Namespace()
		if r, ok := a.roots[rootKey(name, ns)]; ok {
			return a.show(r)
		}
	}
	opt.Now = a.c.opt.Now
	if a.dark != nil {
		opt.Dark = *a.dark
	}
	r := newRoot(be, opt)
	r.step(tea.WindowSizeMsg{Width: a.c.width, Height: a.c.height})
	a.roots[rootKey(opt.ContextName, ns)] = r
	r.cmd = a.cmd
	a.root.pause()
	a.root = r
	return tag(r, r.init())
}

// completions are what the command line offers: its commands, and the
// contexts by name.
func (a *app) completions() []string {
	out := []string{"ctx ", "ns ", "q"}
	if a.switcher != nil {
		for _, n := range a.switcher.Names() {
			out = append(out, "ctx "+n)
		}
	}
	return out
}

func (a *app) onCommandKey(k tea.KeyPressMsg) tea.Cmd {
	line, done := a.cmd.update(k, a.c.keys)
	if !done || line == "" {
		return nil
	}
	verb, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	switch verb {
	case "ctx", "context":
		if arg == "" {
			return a.setStatus(lvInfo, "contexts: %s", strings.Join(a.contextNames(), ", "))
		}
		if a.switcher == nil || !slices.Contains(a.switcher.Names(), arg) {
			return a.setStatus(lvErr, "no context %q (contexts: %s)", arg, strings.Join(a.contextNames(), ", "))
		}
		return a.switchTo(arg, "", false)
	case "ns", "namespace":
		return a.switchTo(a.c.opt.ContextName, strings.Trim(arg, "/"), true)
	case "q", "quit":
		return a.quit()
	}
	return a.setStatus(lvErr, "unknown command %q: try :ctx NAME, :ns NAME or :q", verb)
}

func (a *app) contextNames() []string {
	if a.switcher == nil {
		return []string{"none (no config file)"}
	}
	return a.switcher.Names()
}

// cmdLine is the ':' command line (k9s's): a one-line input in the footer
// with tab completion.
type cmdLine struct {
	open    bool
	input   textinput.Model
	choices []string
}

func newCmdLine() *cmdLine {
	in := textinput.New()
	in.Prompt = ":"
	in.Placeholder = "ctx NAME · ns NAME · q   (tab completes)"
	in.CharLimit = 256
	in.SetWidth(60)
	return &cmdLine{input: in}
}

func (l *cmdLine) start(choices []string) tea.Cmd {
	l.open, l.choices = true, choices
	l.input.SetValue("")
	return l.input.Focus()
}

// update edits the line; done with the line when enter is pressed, done
// with "" when esc is.
func (l *cmdLine) update(k tea.KeyPressMsg, keys KeyMap) (string, bool) {
	switch {
	case key.Matches(k, keys.Back):
		l.open = false
		l.input.Blur()
		return "", true
	case key.Matches(k, keys.Open):
		l.open = false
		l.input.Blur()
		return l.input.Value(), true
	case key.Matches(k, keys.Focus):
		v := l.input.Value()
		var hits []string
		for _, c := range l.choices {
			if strings.HasPrefix(c, v) && c != v {
				hits = append(hits, c)
			}
		}
		if len(hits) > 0 {
			l.input.SetValue(commonPrefix(hits))
			l.input.CursorEnd()
		}
		return "", false
	}
	l.input, _ = l.input.Update(k)
	return "", false
}

func commonPrefix(ss []string) string {
	p := ss[0]
	for _, s := range ss[1:] {
		for !strings.HasPrefix(s, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

func (l *cmdLine) view() string {
	return l.input.View()
}
