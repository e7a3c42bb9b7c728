package ui

import (
	"context"
	"fmt"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
	"github.com/leasetop/leasetop/ui/dialog"
	"github.com/leasetop/leasetop/ui/theme"
	"github.com/leasetop/leasetop/vaultclient"
)

// Common is what every screen and component draws with (soft-serve's
// common.Common, gh-dash's ProgramContext): the size, the styles, the
// keys, the context its Vault calls take, and a way back to the root.
// What they show and change is data, held beside it. There is one per
// program; components hold a pointer to it.
type Common struct {
	ctx context.Context // cancelled on quit: every Vault call takes it
	opt Options
	// data is the domain the screens read and change.
	data   *domainData
	styles theme.Styles
	keys   KeyMap
	spin   spinner.Model

	width, height int

	host
}

// domainData is what the screens show and change: the crawl and the
// Vault behind it, what Vault said of itself, and what this session did.
type domainData struct {
	be Backend
	// eng is the crawl: the index, its walks, the churn and the owners
	// from the audit log. (The prefix the operator looks at, the tree's
	// selection, is its focus.)
	eng *crawl.Engine
	// vault is what Vault told about itself and the token, loaded at
	// start.
	vault vaultFacts
	// marks are the leases marked for a bulk action; revoked holds the
	// ids this session revoked, so that a stale listing that briefly
	// shows one again cannot get it revoked twice.
	marks   map[string]bool
	revoked map[string]bool
	// idents names the owners of token leases and entities.
	idents identities
}

// vaultFacts is what Vault told about itself and the token.
type vaultFacts struct {
	mounts  []vaultclient.Mount
	caps    map[string][]string
	capsErr error
	self    vaultclient.TokenInfo
	hasSelf bool
}

// take keeps what Vault answered about itself (mountsMsg, selfMsg,
// capsMsg); a failed read of the mounts or the token leaves what was
// known.
func (v *vaultFacts) take(msg tea.Msg) {
	switch msg := msg.(type) {
	case mountsMsg:
		if msg.err == nil {
			v.mounts = msg.mounts
		}
	case selfMsg:
		if msg.err == nil {
			v.self, v.hasSelf = msg.self, true
		}
	case capsMsg:
		v.caps, v.capsErr = msg.caps, msg.err
	}
}

// identities names who made leases beyond the audit log.
type identities struct {
	// tokens is the token store (the owners of token leases), read when
	// the owners screen is first shown; tokensWhy says why it was not.
	tokens    *owners.Tokens
	tokensWhy string
	// entities names entity ids ("" while unknown or unreadable).
	entities map[string]string
}

// host is what a component may ask of the root model.
type host interface {
	// setStatus shows a message in the status bar.
	setStatus(lv level, format string, args ...any) tea.Cmd
	// openDialog puts d over the screen.
	openDialog(d dialog.Dialog)
	// start runs op through the one guard, then its confirmation.
	start(op operation) tea.Cmd
	// crawlRunning reports a crawl or refresh under way.
	crawlRunning() bool
	// showScreen makes the named screen the active one.
	showScreen(name string) tea.Cmd
	// refresh lists Vault again now (unless a crawl runs).
	refresh() tea.Cmd
}

type level int

const (
	lvInfo level = iota
	lvOK
	lvWarn
	lvErr
)

func (c *Common) now() time.Time { return c.opt.Now() }

// Layout: the title bar, the body (panes) and two lines of status and help.
const (
	bodyTop = 1 // the screen row where the panes start
	chrome  = 3 // rows that are not panes: title, status, help
)

// treeWidth is the left pane's width: the tree, or the radar's panel;
// wider once refreshes have seen churn, for the growth column.
func (c *Common) treeWidth() int {
	if c.data.eng.Churn().Active() {
		return clamp(c.width*32/100+growthWidth, 20, 48+growthWidth)
	}
	return clamp(c.width*32/100, 20, 48)
}

func (c *Common) bodyHeight() int { return max(c.height-chrome, 3) }

// paneRows is the rows inside a pane's border.
func (c *Common) paneRows() int { return max(c.bodyHeight()-2, 1) }

// pageSize is how far page up/down move: a screenful of table rows.
func (c *Common) pageSize() int { return max(c.paneRows()-2, 1) }

// pane draws content in a bordered box as tall as the body.
func (c *Common) pane(content string, w int, focused bool, title string) string {
	return c.styles.Pane(content, w, c.paneRows(), focused, title)
}

// missingCap says which policy line the token lacks to write path, or ""
// when it may (or when its capabilities are unknown: Vault will say).
func (d *domainData) missingCap(path string) string {
	if path == "" || d.vault.capsErr != nil {
		return ""
	}
	granted, ok := d.vault.caps[path]
	if !ok {
		return ""
	}
	p, ok := vaultclient.PolicyFor("update", path)
	if !ok || p.Allows(granted) {
		return ""
	}
	return fmt.Sprintf("the token may not do this: it needs %s", p.Line())
}

// churnWindow is what the tree's growth rates average over, and
// churnBuckets how many minutes the sparklines show. The status bar names
// the growth of the last nowWindow: like top, what grows now, not a burst
// that ended minutes ago (the tree and its sparklines keep those). Two
// one-minute buckets, so a new minute's empty bucket does not hide a
// growth until the next refresh records it.
const (
	churnWindow  = crawl.ChurnWindow
	nowWindow    = 2 * time.Minute
	churnBuckets = 6
	growthWidth  = churnBuckets + 8 // " " + sparkline + " %6s"
)

func clamp(v, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return max(lo, min(v, hi))
}

// ownerOf is who made a lease, when, and where that comes from: the token
// store for a token lease, the audit log for the rest. When unknown, from
// says why.
func (d *domainData) ownerOf(l *model.Lease) (own *audit.Owner, created time.Time, from string, ok bool) {
	if l.IsToken() {
		if d.idents.tokens == nil {
			return nil, time.Time{}, "a token lease; the token store is read on the owners screen (w)", false
		}
		if own, _, ok := d.idents.tokens.Owner(l.ID(), l.IssueTime(), l.ExpireTime()); ok {
			return own, l.IssueTime(), "token store", true
		}
		return nil, time.Time{}, "no token in the token store matches it", false
	}
	owners := d.eng.Owners()
	if owners == nil {
		return nil, time.Time{}, "no audit log given", false
	}
	if own, created, ok := owners.Owner(l.ID()); ok {
		return own, created, "audit log", true
	}
	return nil, time.Time{}, "not in the audit log read so far", false
}

// readOnlyWhy is the short reason the help gives for keys that are off.
func (c *Common) readOnlyWhy() string {
	if c.opt.ReadOnlyWhy != "" {
		return "read-only context"
	}
	return "--read-only"
}
