package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/leasetop/leasetop/ui/list"
	"github.com/leasetop/leasetop/ui/theme"
	"github.com/leasetop/leasetop/vaultclient"
)

// irrevocable lists the leases whose revocation failed and which Vault
// gave up retrying, grouped by mount, and force-revokes them by full id.
type irrevocable struct {
	c       *Common
	cur     list.Cursor
	loading bool
	err     error
	list    vaultclient.IrrevocableList
	total   int
	rows    irrRows // grouped and sorted
	loaded  time.Time
}

type irrRow struct {
	mount string // path, or the accessor when the mount is unknown
	lease vaultclient.IrrevocableLease
}

type irrRows []irrRow

func (r irrRows) Len() int        { return len(r) }
func (r irrRows) ID(i int) string { return r[i].lease.LeaseID }

type irrevocableMsg struct {
	list   vaultclient.IrrevocableList
	total  int
	mounts []vaultclient.Mount
	err    error
}

func newIrrevocable(c *Common) Screen { return &irrevocable{c: c} }

// Open reads the list again each time the screen is shown.
func (v *irrevocable) Open(tea.KeyPressMsg) tea.Cmd { return v.load() }

func (v *irrevocable) Busy() bool { return v.loading }

func (v *irrevocable) load() tea.Cmd {
	v.loading = true
	ctx, be := v.c.ctx, v.c.data.be
	return tea.Batch(v.c.spin.Tick, func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
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
	})
}

func (v *irrevocable) Sync() tea.Cmd {
	v.cur.Clamp(v.rows, v.c.paneRows()-2)
	return nil
}

func (v *irrevocable) Update(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case irrevocableMsg:
		v.receive(msg)
	case forceRevokedMsg:
		return v.load(), false
	case tea.KeyPressMsg:
		return v.key(msg)
	case tea.MouseWheelMsg:
		v.move(map[tea.MouseButton]int{tea.MouseWheelUp: -3, tea.MouseWheelDown: 3}[msg.Mouse().Button])
	}
	return nil, false
}

func (v *irrevocable) receive(msg irrevocableMsg) {
	v.loading, v.err = false, msg.err
	if msg.err != nil {
		return
	}
	v.list, v.total, v.loaded = msg.list, msg.total, v.c.now()
	paths := map[string]string{}
	for _, mt := range msg.mounts {
		paths[mt.Accessor] = mt.Path
	}
	v.rows = v.rows[:0]
	for _, l := range msg.list.Leases {
		mount := paths[l.MountID]
		if mount == "" {
			mount = l.MountID
		}
		v.rows = append(v.rows, irrRow{mount: mount, lease: l})
	}
	sort.Slice(v.rows, func(i, j int) bool {
		if v.rows[i].mount != v.rows[j].mount {
			return v.rows[i].mount < v.rows[j].mount
		}
		return v.rows[i].lease.LeaseID < v.rows[j].lease.LeaseID
	})
}

func (v *irrevocable) move(delta int) { v.cur.Move(v.rows, delta, v.c.paneRows()-2) }

// key: x (or F) force-revokes the lease under the cursor, X (or P) every
// irrevocable lease of its mount; esc goes back. The browser's other keys
// mean nothing here: they are not the screen's (and the root acts on none
// of them after a screen).
func (v *irrevocable) key(k tea.KeyPressMsg) (tea.Cmd, bool) {
	c, keys := v.c, v.c.keys
	delta, isMove := keys.movement(k, c.pageSize())
	switch {
	case key.Matches(k, keys.Back):
		return c.showScreen(home), true
	case isMove:
		v.move(delta)
	case key.Matches(k, keys.Refresh):
		return v.load(), true
	case key.Matches(k, keys.ForceRevoke):
		if len(v.rows) > 0 {
			id := v.rows[v.cur.Index(v.rows)].lease.LeaseID
			return c.start(&forceIDsOp{perLease: perLease{ids: []string{id}}, what: id}), true
		}
	case key.Matches(k, keys.ForceRevokeMount):
		if len(v.rows) > 0 {
			mount := v.rows[v.cur.Index(v.rows)].mount
			var ids []string
			for _, r := range v.rows {
				if r.mount == mount {
					ids = append(ids, r.lease.LeaseID)
				}
			}
			return c.start(&forceIDsOp{perLease: perLease{ids: ids}, what: "every irrevocable lease of " + mount}), true
		}
	default:
		return nil, false
	}
	return nil, true
}

// KeyActions: the force revocations, a reload and the way back.
func (v *irrevocable) KeyActions() []KeyAction {
	k := v.c.keys
	return keyActions([]key.Binding{k.ForceRevoke, k.ForceRevokeMount, k.Refresh, k.Back},
		k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown)
}

func (v *irrevocable) View() string {
	c := v.c
	s := c.styles
	w := c.width
	inner := w - 2
	var lines []string
	switch {
	case v.loading && v.loaded.IsZero():
		lines = append(lines, c.spin.View()+" reading sys/leases?type=irrevocable…")
	case v.err != nil:
		lines = append(lines, s.StatusErr.Render(plainError(v.err)))
	case len(v.rows) == 0:
		lines = append(lines, s.StatusOK.Render("No irrevocable leases: every revocation Vault attempted succeeded (or is still being retried)."))
	default:
		head := fmt.Sprintf("%d irrevocable leases", v.total)
		if len(v.rows) < v.total {
			head += fmt.Sprintf(" (Vault lists %d: its cap is 10,000)", len(v.rows))
		}
		lines = append(lines, s.Bold.Render(head)+s.Dim.Render("  ·  x force-revokes the lease, X every one of its mount; Vault gave up revoking them, so the credentials may still be valid"))
		for _, wmsg := range v.list.Warnings {
			lines = append(lines, s.StatusWarn.Render("Vault: "+wmsg))
		}
		sel := v.cur.Index(v.rows)
		idW := 12
		for _, r := range v.rows {
			idW = max(idW, len(r.lease.LeaseID))
		}
		idW = min(idW, inner/2)
		mount := ""
		for i := v.cur.Top; i < len(v.rows) && len(lines) < c.paneRows(); i++ {
			r := v.rows[i]
			if r.mount != mount {
				mount = r.mount
				lines = append(lines, s.Title.Render(mount))
			}
			line := "  " + theme.Fit(r.lease.LeaseID, idW) + "  " + s.StatusErr.Render(revocationError(r.lease.Error))
			if i == sel {
				line = s.Selected.Render(theme.Fit(ansi.Strip(line), inner))
			}
			lines = append(lines, line)
		}
	}
	title := "irrevocable leases"
	if !v.loaded.IsZero() {
		title += " · read " + v.loaded.Format("15:04:05") + " · ctrl+r reloads · esc back"
	}
	return c.pane(strings.Join(lines, "\n"), w, true, title)
}

// revocationError is Vault's recorded error on one line, without the
// wrapping that says nothing ("failed to revoke entry: resp:
// (*logical.Response)(nil) err: ").
func revocationError(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.Replace(s, "resp: (*logical.Response)(nil) err: ", "", 1)
	return s
}
