package ui

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/ui/dialog"
	"github.com/leasetop/leasetop/ui/list"
	"github.com/leasetop/leasetop/ui/theme"
)

// owners groups the current leases by who made them, as Vault's audit log
// tells it (--vault-audit): by entity, role, auth mount, remote address or
// user agent. Each owner shows its lease count, its share, its soonest
// expiry and how many of its leases appeared in the last five minutes, so
// the client behind a lease explosion stands out. enter opens the owner's
// leases in a lease table; x revokes every lease of the owner.
type owners struct {
	c     *Common
	cur   list.Cursor
	by    groupBy
	rows  ownerRows
	total int

	// drill-down: the leases of one owner, in a lease table
	open  *ownerRow
	table *table

	// the audit source
	entries int64
	err     string

	// what rows were computed from
	ver     uint64
	seen    int64
	at      time.Time
	dirty   bool
	openKey string
}

var (
	ownersKey  = key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "owners (who made them)"))
	groupByKey = key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "owners: group by…"))
)

// recentWindow is how far back "new" leases count on the owners screen.
const recentWindow = 5 * time.Minute

type groupBy int

const (
	byEntity groupBy = iota
	byRole
	byMount
	byRemote
	byAgent
	groupings
)

func (b groupBy) String() string {
	return [...]string{"entity", "role", "auth mount", "remote address", "user agent"}[b]
}

// ownerRow is one owner, or one reason why leases have none.
type ownerRow struct {
	key     string // what leases of this owner share; starts with "!" for no owner
	label   string
	name    string // what the operator types to revoke the owner's leases
	count   int
	soonest time.Time
	recent  int
}

type ownerRows []ownerRow

func (r ownerRows) Len() int        { return len(r) }
func (r ownerRows) ID(i int) string { return r[i].key }

// auditMsg carries lease entries read from the audit log, or an error.
type auditMsg struct {
	ch      <-chan auditMsg
	entries []audit.Entry
	err     error
	done    bool
}

func newOwners(c *Common) Screen {
	o := &owners{c: c, dirty: true}
	o.table = newTable(c)
	o.table.root = func() string { return c.opt.Prefix }
	o.table.keep = func(l *model.Lease) bool { return o.open != nil && o.keyOf(l) == o.open.key }
	o.table.noPrefixActions = true
	return o
}

// Init starts reading the audit log, and following it when it is a file.
func (o *owners) Init() tea.Cmd {
	path := o.c.opt.VaultAudit
	if path == "" {
		return nil
	}
	ch := make(chan auditMsg, 4)
	ctx, stdin := o.c.ctx, o.c.opt.Stdin
	go func() {
		defer close(ch)
		emit := func(es []audit.Entry) {
			select {
			case ch <- auditMsg{entries: es}:
			case <-ctx.Done():
			}
		}
		fi, err := os.Stat(path)
		if path != "-" && err == nil && fi.Mode().IsRegular() && !strings.HasSuffix(path, ".gz") {
			_ = audit.Follow(ctx, path, emit, func(err error) {
				select {
				case ch <- auditMsg{err: err}:
				case <-ctx.Done():
				}
			})
			return
		}
		if _, err := audit.Read(ctx, path, stdin, emit); err != nil && ctx.Err() == nil {
			ch <- auditMsg{err: err}
		}
	}()
	return waitAudit(ch)
}

func waitAudit(ch <-chan auditMsg) tea.Cmd {
	return func() tea.Msg {
		m, ok := <-ch
		m.ch, m.done = ch, !ok
		return m
	}
}

func (o *owners) Open(tea.KeyPressMsg) tea.Cmd {
	o.dirty = true
	return nil
}

func (o *owners) HelpKeys() []key.Binding { return []key.Binding{ownersKey, groupByKey} }

func (o *owners) Prompt() string {
	if o.open != nil && o.table.filtering {
		return o.table.input.View()
	}
	return ""
}

func (o *owners) Update(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case auditMsg:
		if msg.done {
			return nil, false
		}
		if msg.err != nil {
			o.err = "audit log: " + msg.err.Error()
		} else {
			o.err = ""
		}
		if len(msg.entries) > 0 {
			o.c.attribution().AddAll(msg.entries)
			o.entries += int64(len(msg.entries))
		}
		return waitAudit(msg.ch), false
	case tea.KeyPressMsg:
		return o.key(msg)
	case tea.MouseWheelMsg:
		d := map[tea.MouseButton]int{tea.MouseWheelUp: -3, tea.MouseWheelDown: 3}[msg.Mouse().Button]
		if o.open != nil {
			o.table.wheel(d)
		} else {
			o.cur.Move(o.rows, d, o.visible())
		}
	default:
		return o.table.updateInput(msg), false
	}
	return nil, false
}

func (o *owners) key(k tea.KeyPressMsg) (tea.Cmd, bool) {
	c, keys := o.c, o.c.keys
	if o.open != nil {
		if !o.table.filtering && key.Matches(k, keys.Back) && o.table.filter == "" && len(c.marks) == 0 {
			o.open = nil
			o.dirty = true
			return nil, true
		}
		return o.table.handleKey(k, true)
	}
	delta, isMove := keys.movement(k, c.pageSize())
	switch {
	case isMove:
		o.cur.Move(o.rows, delta, o.visible())
	case key.Matches(k, groupByKey):
		o.by = (o.by + 1) % groupings
		o.cur.Reset()
		o.dirty = true
		return c.setStatus(lvInfo, "owners grouped by %s", o.by), true
	case key.Matches(k, keys.Open):
		if r := o.selected(); r != nil {
			row := *r
			o.open = &row
			o.table.cur.Reset()
			o.table.dirty = true
		}
	case key.Matches(k, keys.Revoke), key.Matches(k, keys.RevokeMarked):
		if r := o.selected(); r != nil {
			return c.start(o.revokeOwner(*r)), true
		}
	case key.Matches(k, keys.Back):
		return c.showScreen(home), true
	default:
		return nil, false
	}
	return nil, true
}

func (o *owners) selected() *ownerRow {
	if len(o.rows) == 0 {
		return nil
	}
	return &o.rows[o.cur.Index(o.rows)]
}

// revokeOwner captures the ids of every live lease of the owner now: a
// lease the owner makes after the key press is not revoked.
func (o *owners) revokeOwner(r ownerRow) operation {
	var ids []string
	o.c.idx.Each(o.c.opt.Prefix, func(l *model.Lease) {
		if o.keyOf(l) == r.key {
			ids = append(ids, l.ID())
		}
	})
	slices.Sort(ids)
	return &ownerRevokeOp{revokeOp: revokeOp{perLease{ids: ids}}, owner: r}
}

func (o *owners) visible() int { return o.c.paneRows() - 3 }

// Sync regroups when the index, the attribution or the grouping changed,
// and every few seconds, since "new in the last 5 minutes" moves.
func (o *owners) Sync() {
	c := o.c
	now := c.now()
	if o.open != nil {
		o.table.Sync()
		return
	}
	if !o.dirty && o.ver == c.idx.Version() && o.seen == o.entries && now.Sub(o.at) < 5*time.Second {
		return
	}
	o.ver, o.seen, o.at, o.dirty = c.idx.Version(), o.entries, now, false
	by := map[string]*ownerRow{}
	o.total = 0
	c.idx.Each(c.opt.Prefix, func(l *model.Lease) {
		k, label, name, created := o.describe(l)
		r := by[k]
		if r == nil {
			r = &ownerRow{key: k, label: label, name: name}
			by[k] = r
		}
		r.count++
		o.total++
		if l.HasExpiry() && (r.soonest.IsZero() || l.ExpireTime().Before(r.soonest)) {
			r.soonest = l.ExpireTime()
		}
		if !created.IsZero() && now.Sub(created) <= recentWindow {
			r.recent++
		}
	})
	o.rows = o.rows[:0]
	for _, r := range by {
		o.rows = append(o.rows, *r)
	}
	slices.SortFunc(o.rows, func(a, b ownerRow) int {
		if (a.key[0] == '!') != (b.key[0] == '!') { // owners first, then the reasons
			if a.key[0] == '!' {
				return 1
			}
			return -1
		}
		if a.count != b.count {
			return b.count - a.count
		}
		return strings.Compare(a.label, b.label)
	})
	o.cur.Clamp(o.rows, o.visible())
}

func (o *owners) keyOf(l *model.Lease) string {
	k, _, _, _ := o.describe(l)
	return k
}

// describe is the owner group of a lease under the current grouping: its
// key, its label, the name typed to revoke it, and when the lease was made.
func (o *owners) describe(l *model.Lease) (key, label, name string, created time.Time) {
	c := o.c
	if c.opt.VaultAudit == "" {
		return "!nosource", "no owner: no audit log given (start with --vault-audit FILE, or - for stdin)", "", time.Time{}
	}
	own, created, ok := c.attribution().Owner(l.ID())
	if !ok {
		switch since := c.attribution().Since(); {
		case leaseid.IsToken(l.ID()):
			return "!token", "no owner: a token lease (the audit log cannot name it: its id is a salted hash)", "", time.Time{}
		case !since.IsZero() && !l.IssueTime().IsZero() && l.IssueTime().Before(since):
			return "!before", "no owner: created before the audit log starts (" + since.Format("Jan 02 15:04:05") + ")", "", time.Time{}
		}
		return "!unseen", "no owner: not in the audit log read so far", "", time.Time{}
	}
	who := ownerName(own)
	switch o.by {
	case byRole:
		for _, k := range roleKeys {
			if v := own.Metadata[k]; v != "" {
				return "role:" + k + "=" + v, k + " " + v, v, created
			}
		}
		return "role:?" + own.DisplayName, own.DisplayName + " (no role in its metadata)", own.DisplayName, created
	case byMount:
		m, _, _ := strings.Cut(own.DisplayName, "-")
		return "mount:" + m, "auth/" + m + "/", m, created
	case byRemote:
		if own.RemoteAddr == "" {
			return "remote:", "(no remote address)", "", created
		}
		return "remote:" + own.RemoteAddr, own.RemoteAddr, own.RemoteAddr, created
	case byAgent:
		if own.UserAgent == "" {
			return "agent:", "(user agent not in the audit log)", "", created
		}
		return "agent:" + own.UserAgent, own.UserAgent, own.UserAgent, created
	}
	label = own.DisplayName
	if who != own.DisplayName {
		label += " " + who
	}
	if own.EntityID == "" {
		return "dn:" + own.DisplayName + "\x00" + who, label + " (no entity)", who, created
	}
	return "entity:" + own.EntityID, label + " · entity " + own.EntityID, who, created
}

// roleKeys are the metadata keys that name a client, most telling first:
// AppRole's role, userpass's user, JWT/OIDC and Kubernetes roles.
var roleKeys = []string{"role_name", "username", "role", "service_account_name"}

// ownerName is the short name of an owner: its role or user name when its
// metadata has one, else its display name.
func ownerName(o *audit.Owner) string {
	for _, k := range roleKeys {
		if v := o.Metadata[k]; v != "" {
			return v
		}
	}
	return o.DisplayName
}

func (o *owners) View() string {
	c := o.c
	if o.open != nil {
		title := fmt.Sprintf("leases of %s · %d · esc back to owners", o.open.label, len(o.table.rows))
		return o.table.viewAt(c.width, true, title)
	}
	s := c.styles
	w := c.width
	inner := w - 2
	var lines []string
	switch {
	case c.opt.VaultAudit == "":
		lines = append(lines, s.StatusWarn.Render("No audit log given: start leasetop with --vault-audit FILE (or - to read it from stdin) to see who made each lease."))
	case o.err != "":
		lines = append(lines, s.StatusErr.Render(o.err))
	default:
		since := ""
		if t := c.attribution().Since(); !t.IsZero() {
			since = " from " + t.Format("Jan 02 15:04:05")
		}
		lines = append(lines, s.Dim.Render(fmt.Sprintf("audit log %s: %d lease entries%s · b groups by entity, role, auth mount, remote address, user agent · enter opens · x revokes the owner's leases", c.opt.VaultAudit, o.entries, since)))
	}
	const colN, colShare, colTTL, colNew = 8, 7, 8, 9
	nameW := max(inner-colN-colShare-colTTL-colNew-4, 12)
	lines = append(lines, s.Header.Render(theme.Fit(fmt.Sprintf("%-*s %*s %*s %*s %*s", nameW, "OWNER BY "+strings.ToUpper(o.by.String()), colN, "LEASES", colShare, "SHARE", colTTL, "SOONEST", colNew, "NEW 5m"), inner)))
	peak := 0
	for _, r := range o.rows {
		if r.key[0] != '!' {
			peak = max(peak, r.recent)
		}
	}
	now := c.now()
	sel := o.cur.Index(o.rows)
	for i := o.cur.Top; i < len(o.rows) && len(lines) < c.paneRows(); i++ {
		r := o.rows[i]
		soon := ""
		if !r.soonest.IsZero() {
			soon = model.FormatTTL(r.soonest.Sub(now))
		}
		share := fmt.Sprintf("%.1f%%", 100*float64(r.count)/float64(max(o.total, 1)))
		recent := fmtCount(r.recent)
		if r.recent > 0 && r.recent == peak && r.key[0] != '!' {
			recent = "▲ " + recent
		}
		line := fmt.Sprintf("%-*s %*d %*s %*s %*s", nameW, theme.Fit(r.label, nameW), colN, r.count, colShare, share, colTTL, soon, colNew, recent)
		switch {
		case i == sel:
			line = s.Selected.Render(theme.Fit(line, inner))
		case r.key[0] == '!':
			line = s.Dim.Render(line)
		case r.recent > 0 && r.recent == peak:
			line = s.StatusWarn.Render(line)
		}
		lines = append(lines, line)
	}
	if len(o.rows) == 0 {
		lines = append(lines, s.Dim.Render("no leases yet"))
	}
	return c.pane(strings.Join(lines, "\n"), w, true, fmt.Sprintf("owners by %s · %d leases · %d owners", o.by, o.total, o.ownerCount()))
}

func (o *owners) ownerCount() int {
	n := 0
	for _, r := range o.rows {
		if r.key[0] != '!' {
			n++
		}
	}
	return n
}

// ownerRevokeOp revokes every lease of one owner, captured at the key
// press, behind the owner's name typed out.
type ownerRevokeOp struct {
	revokeOp
	owner ownerRow
}

func (op *ownerRevokeOp) prepare(c *Common) (level, string) {
	if op.owner.name == "" {
		return lvWarn, "these leases have no owner to revoke by: select an owner"
	}
	if len(op.ids) == 0 {
		return lvInfo, "that owner has no live leases"
	}
	return op.revokeOp.prepare(c)
}

func (op *ownerRevokeOp) confirm(c *Common, run func() tea.Cmd) (dialog.Dialog, tea.Cmd) {
	s := c.styles
	return dialog.NewTyped(dialog.TypedConfig{
		Styles: s,
		Stages: []string{op.owner.name},
		Body: func(int) string {
			var b strings.Builder
			fmt.Fprintf(&b, "%s\n\n", s.StatusErr.Render(fmt.Sprintf("Revoke every lease of %s", op.owner.label)))
			fmt.Fprintf(&b, "Leases: %d, captured now (leases it makes from now on are not revoked)\n", len(op.ids))
			b.WriteString(listIDs(op.ids, 3) + "\n")
			b.WriteString("Vault revokes the credentials behind them. The owner's tokens stay valid:\nit can make new leases.\n\n")
			return b.String()
		},
		OnConfirm: run,
		OnCancel:  cancelled(c),
	})
}

// attribution is the audit log's lease → owner map, made on first use.
func (c *Common) attribution() *audit.Attribution {
	if c.owners == nil {
		c.owners = audit.NewAttribution()
	}
	return c.owners
}

// ownerWords is an owner on one line: display name, entity, metadata.
func ownerWords(o *audit.Owner) string {
	parts := []string{o.DisplayName}
	if o.EntityID != "" {
		parts = append(parts, "entity "+o.EntityID)
	}
	keys := make([]string, 0, len(o.Metadata))
	for k := range o.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+o.Metadata[k])
	}
	return strings.Join(parts, " · ")
}
