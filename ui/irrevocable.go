package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/vaultclient"
)

// irrevocableState is the irrevocable view: leases whose revocation failed
// and which Vault gave up retrying, grouped by mount.
type irrevocableState struct {
	loading bool
	err     error
	list    vaultclient.IrrevocableList
	total   int
	mounts  map[string]string // mount accessor -> path
	rows    []irrRow          // grouped and sorted; the cursor is bound to an id
	sel     string
	top     int
	loaded  time.Time
}

type irrRow struct {
	mount string // path, or the accessor when the mount is unknown
	lease vaultclient.IrrevocableLease
}

type irrevocableMsg struct {
	list   vaultclient.IrrevocableList
	total  int
	mounts []vaultclient.Mount
	err    error
}

// actForceIDs force-revokes irrevocable leases one full id at a time.
const actForceIDs = actForce + 1

func (m Model) openIrrevocable() (tea.Model, tea.Cmd) {
	if m.screen == screenIrrevocable {
		m.screen = screenBrowser
		return m, nil
	}
	m.screen = screenIrrevocable
	m.irr.loading = true
	return m, tea.Batch(m.loadIrrevocable(), m.spin.Tick)
}

func (m Model) loadIrrevocable() tea.Cmd {
	be := m.be
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		list, err := be.Irrevocable(ctx, 0)
		if err != nil {
			return irrevocableMsg{err: err}
		}
		counts, err := be.IrrevocableCount(ctx)
		if err != nil {
			return irrevocableMsg{err: err}
		}
		mounts, _ := be.Mounts(ctx) // without them, accessors are shown
		return irrevocableMsg{list: list, total: counts.Total, mounts: mounts}
	}
}

func (m Model) onIrrevocable(msg irrevocableMsg) (tea.Model, tea.Cmd) {
	st := m.irr
	st.loading, st.err = false, msg.err
	if msg.err != nil {
		return m, nil
	}
	st.list, st.total, st.loaded = msg.list, msg.total, m.now()
	st.mounts = map[string]string{}
	for _, mt := range msg.mounts {
		st.mounts[mt.Accessor] = mt.Path
	}
	st.rows = st.rows[:0]
	for _, l := range msg.list.Leases {
		mount := st.mounts[l.MountID]
		if mount == "" {
			mount = l.MountID
		}
		st.rows = append(st.rows, irrRow{mount: mount, lease: l})
	}
	sort.Slice(st.rows, func(i, j int) bool {
		if st.rows[i].mount != st.rows[j].mount {
			return st.rows[i].mount < st.rows[j].mount
		}
		return st.rows[i].lease.LeaseID < st.rows[j].lease.LeaseID
	})
	return m, nil
}

func (st *irrevocableState) index() int {
	for i, r := range st.rows {
		if r.lease.LeaseID == st.sel {
			return i
		}
	}
	return 0
}

// irrevocableKey handles keys on the irrevocable view.
func (m Model) irrevocableKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd, bool) {
	st, k := m.irr, m.keys
	move := func(d int) {
		if len(st.rows) == 0 {
			return
		}
		i := clamp(st.index()+d, 0, len(st.rows)-1)
		st.sel = st.rows[i].lease.LeaseID
		visible := m.paneRows() - 2
		if i < st.top {
			st.top = i
		}
		if i >= st.top+visible {
			st.top = i - visible + 1
		}
	}
	switch {
	case key.Matches(msg, k.Back), key.Matches(msg, k.Irrevocable):
		m.screen = screenBrowser
	case key.Matches(msg, k.Up):
		move(-1)
	case key.Matches(msg, k.Down):
		move(1)
	case key.Matches(msg, k.PageUp):
		move(-m.pageSize())
	case key.Matches(msg, k.PageDown):
		move(m.pageSize())
	case key.Matches(msg, k.Top):
		move(-1 << 30)
	case key.Matches(msg, k.Bottom):
		move(1 << 30)
	case key.Matches(msg, k.Refresh):
		st.loading = true
		return m, tea.Batch(m.loadIrrevocable(), m.spin.Tick), true
	case key.Matches(msg, k.Revoke), key.Matches(msg, k.ForceRevokePrefix):
		if len(st.rows) > 0 {
			r := st.rows[st.index()]
			next, cmd := m.beginForceIDs([]string{r.lease.LeaseID}, r.lease.LeaseID)
			return next, cmd, true
		}
	case key.Matches(msg, k.RevokeMarked), key.Matches(msg, k.RevokePrefix):
		if len(st.rows) > 0 {
			mount := st.rows[st.index()].mount
			var ids []string
			for _, r := range st.rows {
				if r.mount == mount {
					ids = append(ids, r.lease.LeaseID)
				}
			}
			next, cmd := m.beginForceIDs(ids, "every irrevocable lease of "+mount)
			return next, cmd, true
		}
	case key.Matches(msg, k.Quit), key.Matches(msg, k.Help), key.Matches(msg, k.Radar):
		return m, nil, false
	default:
		return m, nil, true
	}
	return m, nil, true
}

// beginForceIDs opens the loud confirmation for force-revoking ids.
func (m Model) beginForceIDs(ids []string, what string) (tea.Model, tea.Cmd) {
	if cmd := m.actionRunning(); cmd != nil {
		return m, cmd
	}
	if m.opt.ReadOnly {
		return m, m.setStatus(lvWarn, "force revocation is off: leasetop runs with --read-only")
	}
	a := m.newAction(actForceIDs)
	a.ids, a.prefix, a.count, a.stage = ids, what, len(ids), 1
	m.act = a
	m.mode = modeForceRevoke
	m.input.Prompt = `type "force" to confirm: `
	m.input.Placeholder = ""
	m.input.SetValue("")
	return m, m.input.Focus()
}

func (m Model) viewIrrevocable() string {
	s := m.styles
	st := m.irr
	w := m.width
	inner := w - 2
	var lines []string
	switch {
	case st.loading && st.loaded.IsZero():
		lines = append(lines, m.spin.View()+" reading sys/leases?type=irrevocable…")
	case st.err != nil:
		lines = append(lines, s.StatusErr.Render(plainError(st.err)))
	case len(st.rows) == 0:
		lines = append(lines, s.StatusOK.Render("No irrevocable leases: every revocation Vault attempted succeeded (or is still being retried)."))
	default:
		head := fmt.Sprintf("%d irrevocable leases", st.total)
		if len(st.rows) < st.total {
			head += fmt.Sprintf(" (Vault lists %d: its cap is 10,000)", len(st.rows))
		}
		lines = append(lines, s.Bold.Render(head)+s.Dim.Render("  ·  x force-revokes the lease, X every one of its mount; Vault gave up revoking them, so the credentials may still be valid"))
		for _, wmsg := range st.list.Warnings {
			lines = append(lines, s.StatusWarn.Render("Vault: "+wmsg))
		}
		sel := st.index()
		idW := 12
		for _, r := range st.rows {
			idW = max(idW, len(r.lease.LeaseID))
		}
		idW = min(idW, inner/2)
		visible := m.paneRows() - len(lines)
		mount := ""
		for i := st.top; i < len(st.rows) && len(lines) < m.paneRows(); i++ {
			r := st.rows[i]
			if r.mount != mount {
				mount = r.mount
				lines = append(lines, s.Title.Render(mount))
			}
			line := "  " + fit(r.lease.LeaseID, idW) + "  " + s.StatusErr.Render(revocationError(r.lease.Error))
			if i == sel {
				line = s.Selected.Render(fit(ansiStrip(line), inner))
			}
			lines = append(lines, line)
		}
		_ = visible
	}
	title := "irrevocable leases"
	if !st.loaded.IsZero() {
		title += " · read " + st.loaded.Format("15:04:05") + " · ctrl+r reloads · esc back"
	}
	return m.pane(strings.Join(lines, "\n"), w, true, title)
}

// revocationError is Vault's recorded error on one line, without the
// wrapping that says nothing ("failed to revoke entry: resp:
// (*logical.Response)(nil) err: ").
func revocationError(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.Replace(s, "resp: (*logical.Response)(nil) err: ", "", 1)
	return s
}
