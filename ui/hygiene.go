package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/leasetop/leasetop/hygiene"
	"github.com/leasetop/leasetop/owners"
	"github.com/leasetop/leasetop/ui/dialog"
	"github.com/leasetop/leasetop/ui/list"
	"github.com/leasetop/leasetop/ui/theme"
	"github.com/leasetop/leasetop/vaultclient"
)

// hygieneView lists what `leasetop doctor` finds in the crawl the browser
// holds, the finding with the most leases first, and takes a finding's
// action behind the typed confirmation.
type hygieneView struct {
	c       *Common
	cur     list.Cursor
	loading bool
	partial bool // the crawl was still running when the checks started
	rows    findingRows
	un      []hygiene.Unchecked
	loaded  time.Time
}

type findingRows []hygiene.Finding

func (r findingRows) Len() int { return len(r) }
func (r findingRows) ID(i int) string {
	return string(r[i].Kind) + " " + r[i].Prefix + " " + r[i].Owner
}

type hygieneMsg struct {
	findings []hygiene.Finding
	un       []hygiene.Unchecked
}

func newHygiene(c *Common) Screen { return &hygieneView{c: c} }

// Open runs the checks again each time the screen is shown.
func (v *hygieneView) Open(tea.KeyPressMsg) tea.Cmd { return v.load() }

func (v *hygieneView) Busy() bool { return v.loading }

// load copies the crawl's leases here, where the index may be read, and
// runs every check on the copy in a command: at a million leases a check
// takes seconds, and the update loop only the copy's time.
func (v *hygieneView) load() tea.Cmd {
	v.loading, v.partial = true, v.c.crawlRunning()
	idx := v.c.data.eng.Index()
	leases := hygiene.Copy(idx, v.c.opt.Prefix)
	all := leases // the lease-per-read and budget checks read the whole index
	if leases.Total != idx.Len() {
		all = hygiene.Copy(idx, "")
	}
	// The attribution goes on being filled on this loop while the checks
	// read it: its lookups take its lock (the token store is read-only).
	src := owners.Source{Tokens: v.c.data.idents.tokens, TokensWhy: v.c.data.idents.tokensWhy}
	if v.c.opt.VaultAudit != "" {
		src.Log = v.c.data.attribution()
	}
	ctx, be, budgets := v.c.ctx, v.c.data.be, v.c.opt.Budgets
	return tea.Batch(v.c.spin.Tick, func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		var msg hygieneMsg
		add := func(f []hygiene.Finding, u []hygiene.Unchecked) {
			msg.findings, msg.un = append(msg.findings, f...), append(msg.un, u...)
		}
		add(all.LeasePerRead(src, hygiene.ReuseOptions{}))
		if len(budgets) > 0 {
			add(all.Budgets(src, budgets))
		}
		leases.Sort()
		add(hygiene.FindOrphans(ctx, be, hygiene.OrphanInput{Leases: leases}))
		add(hygiene.FindPermanent(ctx, be, leases, hygiene.DefaultPermanentAfter))
		add(hygiene.FindAuditCost(ctx, be, leases))
		hygiene.Rank(msg.findings)
		return msg
	})
}

func (v *hygieneView) Sync() tea.Cmd {
	v.cur.Clamp(v.rows, v.listRows())
	return nil
}

// listRows is the rows the findings' list may take: the pane less the
// head and the selected finding's details.
func (v *hygieneView) listRows() int { return max(v.c.paneRows()/2-1, 3) }

func (v *hygieneView) Update(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case hygieneMsg:
		v.loading, v.loaded = false, v.c.now()
		v.rows, v.un = msg.findings, msg.un
	case tea.KeyPressMsg:
		return v.key(msg)
	case tea.MouseWheelMsg:
		v.cur.Move(v.rows, map[tea.MouseButton]int{tea.MouseWheelUp: -3, tea.MouseWheelDown: 3}[msg.Mouse().Button], v.listRows())
	}
	return nil, false
}

// key: x takes the selected finding's action, ctrl+r runs the checks
// again, esc goes back.
func (v *hygieneView) key(k tea.KeyPressMsg) (tea.Cmd, bool) {
	c, keys := v.c, v.c.keys
	delta, isMove := keys.movement(k, c.pageSize())
	switch {
	case key.Matches(k, keys.Back):
		return c.showScreen(home), true
	case isMove:
		v.cur.Move(v.rows, delta, v.listRows())
	case key.Matches(k, keys.Refresh):
		return v.load(), true
	case key.Matches(k, keys.FixFinding):
		if len(v.rows) == 0 {
			return c.setStatus(lvInfo, "nothing to fix"), true
		}
		return v.fix(v.rows[v.cur.Index(v.rows)]), true
	default:
		return nil, false
	}
	return nil, true
}

// fix starts the finding's action through the one guard: a prefix's
// revocation (force where the finding says) behind the prefix typed out,
// or the finding's lease ids behind its owner or prefix typed out.
func (v *hygieneView) fix(f hygiene.Finding) tea.Cmd {
	c := v.c
	switch f.Action.Kind {
	case hygiene.RevokePrefix, hygiene.ForcePrefix:
		op := &prefixOp{force: f.Action.Kind == hygiene.ForcePrefix, prefix: f.Prefix, count: f.Leases, partial: v.partial}
		op.ownToken = c.data.vault.hasSelf && vaultclient.CoversOwnToken(f.Prefix, c.data.vault.self)
		return c.start(op)
	case hygiene.RevokeLeases:
		return c.start(&findingRevokeOp{revokeOp: revokeOp{perLease{ids: f.LeaseIDs}}, f: f})
	}
	return c.setStatus(lvInfo, "%s", f.Action.Text)
}

// findingRevokeOp revokes a finding's lease ids, one request each, behind
// the finding's owner (or prefix) typed out.
type findingRevokeOp struct {
	revokeOp
	f hygiene.Finding
}

func (o *findingRevokeOp) want() string {
	if o.f.Owner != "" {
		return o.f.Owner
	}
	return o.f.Prefix
}

func (o *findingRevokeOp) confirm(c *Common, run func() tea.Cmd) (dialog.Dialog, tea.Cmd) {
	s := c.styles
	own := c.data.ownTokenLeases(o.ids)
	return dialog.NewTyped(dialog.TypedConfig{
		Styles: s,
		Stages: []dialog.Stage{{Want: o.want()}},
		Body: func(int) string {
			var b strings.Builder
			fmt.Fprintf(&b, "%s\n\n", s.StatusErr.Render("Revoke the leases of this finding"))
			fmt.Fprintf(&b, "%s\n\nLeases: %d, captured when the checks ran\n", o.f.Title, len(o.ids))
			b.WriteString(listIDs(o.ids, 3) + "\n")
			b.WriteString("Vault revokes the credentials behind them; token leases revoke their tokens.\n\n")
			if len(own) > 0 {
				b.WriteString(s.StatusWarn.Render(fmt.Sprintf("Warning: %s may be leasetop's own token's.", plural(len(own), "lease"))) + "\n\n")
			}
			return b.String()
		},
		OnConfirm: run,
		OnCancel:  cancelled(c),
	})
}

// KeyActions: the fix, a new run of the checks and the way back.
func (v *hygieneView) KeyActions() []KeyAction {
	k := v.c.keys
	return keyActions([]key.Binding{k.FixFinding, k.Refresh, k.Back},
		k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown)
}

func (v *hygieneView) View() string {
	c := v.c
	s := c.styles
	w := c.width
	inner := w - 2
	var lines []string
	switch {
	case v.loading && v.loaded.IsZero():
		lines = append(lines, c.spin.View()+" checking roles, mounts, TTLs, budgets, clients and audit devices…")
	case len(v.rows) == 0 && len(v.un) == 0:
		lines = append(lines, s.StatusOK.Render("Nothing found: every lease has its role and mount, none is effectively permanent, no client makes a lease per read, no budget is crossed, and no audit device logs a crawl's keys."))
	default:
		head := fmt.Sprintf("%d findings", len(v.rows))
		if v.partial {
			head += " (the crawl was still running: there may be more)"
		}
		lines = append(lines, s.Bold.Render(head)+s.Dim.Render("  ·  x takes the selected finding's action"))
		sel := v.cur.Index(v.rows)
		for i := v.cur.Top; i < len(v.rows) && i < v.cur.Top+v.listRows(); i++ {
			f := v.rows[i]
			sev := theme.Fit(f.Severity.String(), 8)
			switch f.Severity {
			case hygiene.Critical:
				sev = s.StatusErr.Render(sev)
			case hygiene.Warning:
				sev = s.StatusWarn.Render(sev)
			}
			line := sev + " " + theme.Fit(fmt.Sprintf("%7d", f.Leases), 7) + "  " + f.Title
			if i == sel {
				line = s.Selected.Render(theme.Fit(ansi.Strip(line), inner))
			} else {
				line = theme.Fit(line, inner)
			}
			lines = append(lines, line)
		}
		if len(v.rows) > 0 {
			f := v.rows[sel]
			lines = append(lines, "", s.Title.Render(string(f.Kind)+" "+f.Prefix+" "+f.Owner))
			for _, e := range f.Evidence {
				lines = append(lines, theme.Fit("  - "+e, inner))
			}
			lines = append(lines, theme.Fit("  fix: "+f.Action.Text, inner))
			if cmd := f.Command(); cmd != "" {
				lines = append(lines, s.Dim.Render(theme.Fit("  $ "+cmd, inner)))
			}
		}
		if len(v.un) > 0 {
			lines = append(lines, "")
		}
		for _, u := range v.un {
			line := "unchecked " + strings.TrimSpace(string(u.Kind)+" "+u.Prefix) + ": " + u.Reason
			if u.Missing != "" {
				line += "; needs " + u.Missing
			}
			lines = append(lines, s.StatusWarn.Render(theme.Fit(line, inner)))
		}
	}
	if len(lines) > c.paneRows() {
		lines = lines[:c.paneRows()]
	}
	title := "hygiene"
	if !v.loaded.IsZero() {
		title += " · checked " + v.loaded.Format("15:04:05") + " · ctrl+r checks again · esc back"
	}
	return c.pane(strings.Join(lines, "\n"), w, true, title)
}
