package ui

import (
	"context"
	"fmt"
	"io"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/ui/dialog"
	"github.com/leasetop/leasetop/ui/theme"
	"github.com/leasetop/leasetop/vaultclient"
)

// Options configure the UI; main fills them from flags.
type Options struct {
	Prefix      string        // where to start ("" is the root)
	Refresh     time.Duration // poll interval; 0 disables polling
	Concurrency int
	Increment   time.Duration // default renew increment
	ReadOnly    bool
	Thresholds  model.Thresholds
	// Now is the clock; tests fix it. Nil means time.Now.
	Now func() time.Time
	// Dark picks the palette until the terminal reports its background.
	Dark bool
	// Journal, when set, records every action leasetop applies.
	Journal func(action string, ids []string, prefix string, result string)
	// ReadOnlyWhy says what made the UI read-only when it was not the
	// flag (a context marked read-only); "" means --read-only.
	ReadOnlyWhy string
	// ContextName and Color name the context (of a config file) this is,
	// and colour it in the title bar; Switch opens the others (:ctx).
	ContextName string
	Color       string
	Switch      Switcher
	// Namespace is shown in the title when it is not the backend's own.
	Namespace string
	// VaultAudit is Vault's audit log to learn lease owners from: a file
	// (followed like tail -F), a folder of rotated files, a .gz file, or
	// "-" for Stdin.
	VaultAudit string
	Stdin      io.Reader
	// Policy is the crawl's (what a refresh re-lists); zero is
	// crawl.DefaultPolicy().
	Policy crawl.Policy
	// Budgets are the config file's budgets in this context; the tree
	// shows how much of each prefix's is used.
	Budgets []config.Budget
}

// Model is the Bubble Tea model. Bubble Tea passes models by value; the
// state lives once, behind the pointer, so a copy is the same program.
type Model struct{ *app }

// root holds the screens, the one overlay and the shared context, and
// routes messages between them; it draws the title, status and help lines.
type root struct {
	c       *Common
	cancel  context.CancelFunc
	help    help.Model
	screens map[string]Screen
	active  string
	overlay dialog.Dialog

	act   *action
	opSeq int
	cmd   *cmdLine // the program's ':' command line, drawn in the footer
	// status is the status bar's message.
	status statusLine
}

// expire clears the message seq, unless another replaced it or it is an
// error (which stays until the next message).
func (s *statusLine) expire(seq int) {
	if seq == s.seq && s.lv != lvErr {
		s.text = ""
	}
}

// statusLine is a message in the status bar; seq numbers them, so that
// only the last one fades.
type statusLine struct {
	text string
	lv   level
	seq  int
	// unseen says it was set while another context was shown (an action
	// that went on there finished): shown again on resume.
	unseen bool
}

// New builds the UI over a backend.
func New(be Backend, opt Options) Model {
	r := newRoot(be, opt)
	r.cmd = newCmdLine()
	a := &app{root: r, roots: map[string]*root{}, switcher: opt.Switch}
	a.roots[rootKey(opt.ContextName, be.Namespace())] = r
	return Model{a}
}

// newRoot builds the state of one context.
func newRoot(be Backend, opt Options) *root {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Thresholds == (model.Thresholds{}) {
		opt.Thresholds = model.DefaultThresholds()
	}
	if opt.Increment <= 0 {
		opt.Increment = time.Hour
	}
	prefix, _ := vaultclient.CleanPrefix(opt.Prefix)
	opt.Prefix = prefix
	ctx, cancel := context.WithCancel(context.Background())
	r := &root{cancel: cancel, help: help.New(), screens: map[string]Screen{}, active: home}
	c := &Common{
		ctx:    ctx,
		opt:    opt,
		styles: theme.New(opt.Dark),
		keys:   DefaultKeyMap(),
		spin:   spinner.New(spinner.WithSpinner(busySpinner)),
		width:  100,
		height: 30,
		host:   r,
		data: &domainData{
			be:      be,
			marks:   map[string]bool{},
			revoked: map[string]bool{},
			idents:  identities{entities: map[string]string{}},
		},
	}
	// The engine reads the UI's clock, which a test may set later.
	c.data.eng = crawl.New(ctx, be, crawl.Options{Prefix: prefix, Refresh: opt.Refresh, Concurrency: opt.Concurrency,
		Now: c.now, ErrorText: plainError, Policy: opt.Policy})
	if opt.ReadOnly {
		c.keys = c.keys.readOnly(c.readOnlyWhy())
	}
	r.c = c
	r.help.Styles = help.DefaultStyles(opt.Dark)
	for _, e := range screens {
		r.screens[e.name] = e.make(c)
	}
	r.screen().Sync()
	return r
}

// Init asks the terminal its background, and starts the context shown.
func (m Model) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, tag(m.root, m.init()))
}

// init starts a context: the crawl, the clock and the side lookups.
func (r *root) init() tea.Cmd {
	cmds := []tea.Cmd{
		r.drive(r.c.data.eng.Start()),
		tickCmd(),
		r.c.spin.Tick,
		r.loadMounts(),
		r.loadSelf(),
		r.loadCaps(),
	}
	for _, e := range screens {
		if s, ok := r.screens[e.name].(initer); ok {
			cmds = append(cmds, s.Init())
		}
	}
	return tea.Batch(cmds...)
}

func tickCmd() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func (r *root) screen() Screen { return r.screens[r.active] }

func (r *root) update(msg tea.Msg) tea.Cmd {
	c := r.c
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		c.width, c.height = msg.Width, msg.Height
		r.help.SetWidth(msg.Width)
		return nil
	case tea.BackgroundColorMsg:
		c.styles = theme.New(msg.IsDark())
		r.help.Styles = help.DefaultStyles(msg.IsDark())
		return nil
	case tickMsg:
		c.data.eng.Index().PurgeGone(c.now().Add(-goneLinger))
		return tea.Batch(r.broadcast(msg), tickCmd())
	case spinner.TickMsg:
		if !r.busy() {
			return nil
		}
		var cmd tea.Cmd
		c.spin, cmd = c.spin.Update(msg)
		return cmd
	case sortedMsg:
		msg.t.onSorted(msg)
		return nil
	case gatherMsg:
		return msg.t.onGather(msg)
	case crawl.Input:
		return r.drive(c.data.eng.Handle(msg))
	case mountsMsg, selfMsg, capsMsg:
		c.data.vault.take(msg)
		return nil
	case actionMsg:
		return r.onActionMsg(msg)
	case statusExpiredMsg:
		r.status.expire(msg.seq)
		return nil
	case tea.KeyPressMsg:
		return r.onKey(msg)
	case tea.MouseMsg:
		if r.overlay != nil {
			return nil
		}
		cmd, _ := r.screen().Update(msg)
		return cmd
	}
	// Anything else (a screen's own answers, an input's cursor blink) goes
	// to the overlay and to every screen.
	var cmds []tea.Cmd
	if r.overlay != nil {
		cmd, _ := r.overlay.Update(msg)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(append(cmds, r.broadcast(msg))...)
}

func (r *root) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for _, e := range screens {
		cmd, _ := r.screens[e.name].Update(msg)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// goneLinger is how long a vanished lease stays on screen, struck out.
const goneLinger = 10 * time.Second

// onKey offers a key to the overlay, then to the global keys (quit, help,
// the registry's screen keys), then to the active screen.
func (r *root) onKey(k tea.KeyPressMsg) tea.Cmd {
	keys := r.c.keys
	if key.Matches(k, keys.Interrupt) {
		return r.quit()
	}
	if d := r.overlay; d != nil {
		cmd, done := d.Update(k)
		if done && r.overlay == d {
			r.overlay = nil
		}
		return cmd
	}
	if r.prompt() != "" {
		cmd, _ := r.screen().Update(k)
		return cmd
	}
	switch {
	case key.Matches(k, keys.Quit):
		return r.quit()
	case key.Matches(k, keys.Help):
		r.openDialog(r.helpDialog())
		return nil
	}
	for _, e := range screens {
		if e.keys == nil {
			continue
		}
		bs := e.keys(keys)
		if !key.Matches(k, bs...) {
			continue
		}
		if r.active != e.name {
			return r.show(e.name, k)
		}
		if key.Matches(k, bs[0]) {
			return r.show(home, k)
		}
	}
	if cmd, handled := r.screen().Update(k); handled {
		return cmd
	}
	if key.Matches(k, keys.Refresh) {
		return r.refresh()
	}
	return nil
}

// prompt is the active screen's open footer input, or "".
func (r *root) prompt() string {
	if p, ok := r.screen().(prompter); ok {
		return p.Prompt()
	}
	return ""
}

func (r *root) show(name string, k tea.KeyPressMsg) tea.Cmd {
	if _, ok := r.screens[name]; !ok {
		return nil
	}
	r.active = name
	if o, ok := r.screens[name].(opener); ok {
		return o.Open(k)
	}
	return nil
}

func (r *root) showScreen(name string) tea.Cmd { return r.show(name, tea.KeyPressMsg{}) }

func (r *root) openDialog(d dialog.Dialog) { r.overlay = d }

func (r *root) crawlRunning() bool { return r.c.data.eng.Running() }

func (r *root) quit() tea.Cmd {
	r.cancel() // the crawl, lookups and actions in flight
	return tea.Quit
}

// Busy reports whether a crawl, refresh or action is running: what a
// spinner shows, and what a benchmark waits out before it measures idle.
func (m Model) Busy() bool { return m.busy() }

func (r *root) busy() bool {
	if r.c.data.eng.Running() || (r.act != nil && r.act.running) {
		return true
	}
	b, ok := r.screen().(busy)
	return ok && b.Busy()
}

// setStatus shows a message in the status bar; non-errors fade after 8 s.
func (r *root) setStatus(lv level, format string, args ...any) tea.Cmd {
	r.status.text = fmt.Sprintf(format, args...)
	r.status.lv = lv
	r.status.seq++
	seq := r.status.seq
	if r.c.data.eng.Paused() {
		// Not on screen: it fades once seen (resume), not before.
		r.status.unseen = true
		return nil
	}
	if lv == lvErr {
		return nil
	}
	return tea.Tick(8*time.Second, func(time.Time) tea.Msg { return statusExpiredMsg{seq: seq} })
}

// busySpinner turns five times a second (MiniDot's frames; it turns 12
// times by itself): each turn is a message and, while a crawl streams, a
// frame (see frameEvery).
var busySpinner = spinner.Spinner{Frames: spinner.MiniDot.Frames, FPS: frameEvery}

// Minimum screen leasetop draws on; below it says so instead of garbling.
const minWidth, minHeight = 60, 12

// View draws the screen (or shows the last frame again, see frameEvery).
func (m Model) View() tea.View {
	a := m.app
	if a.frame.lazy && time.Since(a.frame.at) < frameEvery && a.frame.view.Content != "" {
		return a.frame.view
	}
	a.frame.view, a.frame.at = m.draw(), time.Now()
	return a.frame.view
}

func (m Model) draw() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "leasetop " + m.c.data.be.Address()
	return v
}

// render is the whole screen as a string (golden tests read it).
func (r *root) render() string {
	c := r.c
	if c.width < minWidth || c.height < minHeight {
		return fmt.Sprintf("leasetop needs at least %dx%d; this terminal is %dx%d.\nEnlarge it, or press q to quit.",
			minWidth, minHeight, c.width, c.height)
	}
	screen := theme.Stack(r.viewTitle(), r.screen().View(), r.viewStatus(), r.viewFooter())
	if r.overlay != nil {
		screen = place(screen, r.overlay.View(c.width, c.height), c.width, c.height)
	}
	return screen
}

// place draws overlay centred over base.
func place(base, overlay string, w, h int) string {
	ow, oh := lipgloss.Width(overlay), lipgloss.Height(overlay)
	cv := lipgloss.NewCanvas(w, h)
	cv.Compose(lipgloss.NewCompositor(
		lipgloss.NewLayer(base),
		lipgloss.NewLayer(overlay).X(max((w-ow)/2, 0)).Y(max((h-oh)/2, 0)).Z(1),
	))
	return cv.Render()
}
