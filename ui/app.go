package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/model"
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
	// AuditLog, when set, records every action leasetop applies.
	AuditLog func(action string, ids []string, prefix string, result string)
}

type focus int

const (
	focusTree focus = iota
	focusTable
)

// screen is which view fills the body.
type screen int

const (
	screenBrowser     screen = iota
	screenRadar              // everything expiring soon, with a timeline
	screenIrrevocable        // leases Vault gave up revoking
)

type mode int

const (
	modeNormal mode = iota
	modeFilter
	modeHelp
	modeDetail
	modeConfirm      // y/N for revoking leases
	modeRenewPrompt  // increment input
	modePrefixRevoke // typed confirmation
	modeForceRevoke  // typed confirmation, second, louder stage
	modeResults      // per-lease results of the last action
)

var sortKeys = []model.SortKey{model.BySoonestExpiry, model.ByID, model.ByIssueTime, model.ByLastRenewal}
var sortNames = map[model.SortKey]string{
	model.BySoonestExpiry: "expiry", model.ByID: "id", model.ByIssueTime: "issued", model.ByLastRenewal: "renewed",
}

// Model is the root Bubble Tea model.
type Model struct {
	opt    Options
	be     Backend
	keys   KeyMap
	styles Styles
	help   help.Model
	spin   spinner.Model
	input  textinput.Model

	idx *model.Index

	width, height int
	focus         focus
	mode          mode
	screen        screen

	// radar: the "expiring within" window, and what its panel draws
	window time.Duration
	radar  radarData

	// irrevocable view
	irr *irrevocableState

	// tree state, bound to paths so that a refresh cannot move it
	expanded map[string]bool
	treeSel  string
	treeTop  int
	treeSort model.ChildSort

	// table state, bound to lease ids
	rows      []*model.Lease
	rowsDirty bool
	tableSel  string
	tableTop  int
	sortIdx   int
	filter    string
	marks     map[string]bool
	// revoked holds the ids this session revoked, so that a stale listing
	// that briefly shows one again cannot get it revoked twice.
	revoked map[string]bool

	// crawl and polling
	crawl      *crawlState
	lastOK     time.Time
	staleSince time.Time
	pollErr    error

	mounts  []vaultclient.Mount
	caps    map[string][]string
	capsErr error
	self    vaultclient.TokenInfo
	hasSelf bool

	// the action in progress or awaiting confirmation
	act      *action
	opSeq    int
	status   string
	statusLv level
	statusSq int
}

type level int

const (
	lvInfo level = iota
	lvOK
	lvWarn
	lvErr
)

// crawlState is shared by the copies of Model that Bubble Tea passes
// around, so that a cancel reaches the running walk.
type crawlState struct {
	gen      int
	ch       <-chan vaultclient.Event
	cancel   context.CancelFunc
	running  bool
	poll     bool
	started  time.Time
	listed   int
	leases   int
	errs     int
	lastErr  error
	fresh    []string // ids a list-only refresh found new, to look up
	firstRow time.Duration
}

// New builds the UI over a backend.
func New(be Backend, opt Options) Model {
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
	in := textinput.New()
	in.Prompt = "/"
	in.CharLimit = 256
	in.SetWidth(48)
	m := Model{
		opt:      opt,
		be:       be,
		keys:     DefaultKeyMap(),
		styles:   NewStyles(opt.Dark),
		help:     help.New(),
		spin:     spinner.New(spinner.WithSpinner(spinner.MiniDot)),
		input:    in,
		idx:      model.NewIndex(),
		width:    100,
		height:   30,
		expanded: map[string]bool{},
		marks:    map[string]bool{},
		revoked:  map[string]bool{},
		treeSel:  prefix,
		crawl:    &crawlState{},
		focus:    focusTable,
		window:   time.Hour,
		irr:      &irrevocableState{},
	}
	m.help.Styles = help.DefaultStyles(opt.Dark)
	// Start with the path to the starting prefix open.
	for p := prefix; p != ""; p = parentPrefix(p) {
		m.expanded[p] = true
	}
	if opt.ReadOnly {
		m.keys = m.keys.readOnly()
	}
	m.rowsDirty = true
	return m
}

// Init starts the crawl, the clock and the side lookups.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{
		tea.RequestBackgroundColor,
		m.startCrawl(false),
		tickCmd(),
		m.spin.Tick,
		m.loadMounts(),
		m.loadSelf(),
		m.loadCaps(),
	}
	return tea.Batch(cmds...)
}

func tickCmd() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func (m Model) now() time.Time { return m.opt.Now() }

// Update handles one message, then brings the table rows up to date, so
// that View (which cannot keep what it computes) never sorts.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := m.update(msg)
	nm := next.(Model)
	nm.ensureRows()
	return nm, cmd
}

func (m Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		m.clampScroll()
		return m, nil
	case tea.BackgroundColorMsg:
		m.styles = NewStyles(msg.IsDark())
		m.help.Styles = help.DefaultStyles(msg.IsDark())
		return m, nil
	case tickMsg:
		if m.idx.PurgeGone(m.now().Add(-goneLinger)) > 0 || m.screen == screenRadar {
			m.rowsDirty = true // the radar's window moves with the clock
		}
		return m, tickCmd()
	case spinner.TickMsg:
		if !m.busy() {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case walkBatchMsg:
		return m.onWalkBatch(msg)
	case lookupsMsg:
		return m.onLookups(msg)
	case pollMsg:
		if msg.gen != m.crawl.gen || m.crawl.running {
			return m, nil
		}
		return m, tea.Batch(m.startCrawl(true), m.spin.Tick)
	case mountsMsg:
		if msg.err == nil {
			m.mounts = msg.mounts
		}
		return m, nil
	case selfMsg:
		if msg.err == nil {
			m.self, m.hasSelf = msg.self, true
		}
		return m, nil
	case capsMsg:
		m.caps, m.capsErr = msg.caps, msg.err
		return m, nil
	case irrevocableMsg:
		return m.onIrrevocable(msg)
	case actionStepMsg:
		return m.onActionStep(msg)
	case prefixActionMsg:
		return m.onPrefixAction(msg)
	case followMsg:
		return m.onFollow(msg)
	case statusExpiredMsg:
		if msg.seq == m.statusSq && m.statusLv != lvErr {
			m.status = ""
		}
		return m, nil
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.MouseWheelMsg:
		return m.onWheel(msg)
	case tea.MouseClickMsg:
		return m.onClick(msg)
	}
	if m.mode == modeFilter || m.mode == modeRenewPrompt || m.mode == modePrefixRevoke || m.mode == modeForceRevoke {
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	}
	return m, nil
}

// goneLinger is how long a vanished lease stays on screen, struck out.
const goneLinger = 10 * time.Second

// Busy reports whether a crawl, refresh or action is running: what a
// spinner shows, and what a benchmark waits out before it measures idle.
func (m Model) Busy() bool { return m.busy() }

func (m Model) busy() bool {
	return m.crawl.running || (m.act != nil && m.act.running)
}

// setStatus shows a message in the status bar; non-errors fade after 8 s.
func (m *Model) setStatus(lv level, format string, args ...any) tea.Cmd {
	m.status = fmt.Sprintf(format, args...)
	m.statusLv = lv
	m.statusSq++
	seq := m.statusSq
	if lv == lvErr {
		return nil
	}
	return tea.Tick(8*time.Second, func(time.Time) tea.Msg { return statusExpiredMsg{seq: seq} })
}

func parentPrefix(p string) string {
	p = strings.TrimSuffix(p, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i+1]
	}
	return ""
}

// readOnly relabels every mutating key so help says why it does nothing.
func (k KeyMap) readOnly() KeyMap {
	for _, b := range []*key.Binding{&k.Renew, &k.Revoke, &k.RenewMarked, &k.RevokeMarked, &k.RevokePrefix, &k.ForceRevokePrefix} {
		h := b.Help()
		b.SetHelp(h.Key, h.Desc+" (off: --read-only)")
	}
	return k
}
