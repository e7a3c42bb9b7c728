package ui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/hygiene"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
	"github.com/leasetop/leasetop/ui/dialog"
	"github.com/leasetop/leasetop/ui/list"
	"github.com/leasetop/leasetop/ui/theme"
	"github.com/leasetop/leasetop/vaultclient"
)

// ownersScreen groups the current leases by who made them, as Vault's audit log
// tells it (--vault-audit): by entity, role, auth mount, remote address or
// user agent. Each owner shows its lease count, its share, its soonest
// expiry and how many of its leases appeared in the last five minutes, so
// the client behind a lease explosion stands out. enter opens the owner's
// leases in a lease table; x revokes every lease of the owner.
type ownersScreen struct {
	c     *Common
	cur   list.Cursor
	by    owners.By
	rows  ownerRows
	total int

	// drill-down: the leases of one owner, in a lease table
	open  *owners.Row
	table *table

	// the audit source
	entries int64
	err     string

	// the token store's state: "", "reading", "read" (the tokens
	// themselves are in Common, for the lease detail too)
	tokensState string

	// the budget each row's leases count against (its share of it shows
	// beside the count), by row key; nil when the grouping has none
	budgets map[string]hygiene.Usage

	// what rows were computed from
	ver   uint64
	seen  int64
	at    time.Time
	dirty bool
}

// recentWindow is how far back "new" leases count on the owners screen.
const recentWindow = 5 * time.Minute

type ownerRows []owners.Row

func (r ownerRows) Len() int        { return len(r) }
func (r ownerRows) ID(i int) string { return r[i].Key }

// auditMsg carries lease entries read from the audit log, or an error.
type auditMsg struct {
	ch      <-chan auditMsg
	entries []audit.Entry
	first   time.Time // the log's first line, once read to its end
	err     error
	done    bool
}

func newOwners(c *Common) Screen {
	o := &ownersScreen{c: c, dirty: true}
	o.table = newTable(c)
	o.table.root = func() string { return c.opt.Prefix }
	o.table.keep = func(l *model.Lease) bool { return o.open != nil && o.keyOf(l) == o.open.Key }
	o.table.noPrefixActions = true
	return o
}

// Init starts reading the audit log, and following it when it is a file.
func (o *ownersScreen) Init() tea.Cmd {
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
		st, err := audit.Read(ctx, path, stdin, emit)
		if ctx.Err() != nil {
			return
		}
		// The log covers from its first line, even where no lease was
		// made: older leases were "created before the log starts".
		ch <- auditMsg{first: st.First, err: err}
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

// Open reads the token store the first time the screen is shown: it
// names the owners of token leases, and costs a lookup per token.
func (o *ownersScreen) Open(tea.KeyPressMsg) tea.Cmd {
	o.dirty = true
	if o.tokensState == "" {
		return o.loadTokens()
	}
	return nil
}

// tokensMsg answers the token store's read.
type tokensMsg struct {
	tokens []vaultclient.AccessorInfo
	err    error
}

func (o *ownersScreen) loadTokens() tea.Cmd {
	o.tokensState = "reading"
	ctx, be, conc := o.c.ctx, o.c.data.be, o.c.opt.Concurrency
	return tea.Batch(o.c.spin.Tick, func() tea.Msg {
		ts, err := be.Tokens(ctx, conc, nil)
		return tokensMsg{tokens: ts, err: err}
	})
}

func (o *ownersScreen) Busy() bool { return o.tokensState == "reading" }

// KeyActions: the owner list's keys and, once an owner's leases are open,
// the lease table's (esc goes back to the list). The line shows the
// state's; the full help both, whichever is open.
func (o *ownersScreen) KeyActions() []KeyAction {
	k := o.c.keys
	list := []key.Binding{k.GroupBy, k.OwnerLeases, k.RevokeOwner, k.RevokeTokens, k.Back}
	rest := append([]key.Binding{k.Owners, k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown, k.Refresh}, list...)
	rest = append(rest, o.table.keyActions()...)
	if o.open != nil {
		return keyActions([]key.Binding{k.Filter, k.Sort, k.Renew, k.Revoke, k.Mark, k.Back}, rest...)
	}
	return keyActions(list, rest...)
}

func (o *ownersScreen) Prompt() string {
	if o.open != nil && o.table.filtering {
		return o.table.input.View()
	}
	return ""
}

func (o *ownersScreen) Update(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case auditMsg:
		if msg.done {
			return nil, false
		}
		if msg.err != nil {
			o.err = auditWords(o.c.opt.VaultAudit, msg.err)
		} else {
			o.err = ""
		}
		if len(msg.entries) > 0 {
			o.c.data.attribution().AddAll(msg.entries)
			o.entries += int64(len(msg.entries))
		}
		if !msg.first.IsZero() {
			o.c.data.attribution().SeenFrom(msg.first)
			o.dirty = true
		}
		return waitAudit(msg.ch), false
	case tokensMsg:
		o.tokensState, o.dirty = "read", true
		if msg.err != nil {
			o.c.data.idents.tokens, o.c.data.idents.tokensWhy = nil, plainError(msg.err)
			return nil, false
		}
		o.c.data.idents.tokens, o.c.data.idents.tokensWhy = hygiene.TokenIndex(msg.tokens), ""
	case entitiesMsg:
		for id, name := range msg {
			o.c.data.idents.entities[id] = name
		}
		o.dirty = true
	case tokensRevokedMsg:
		o.dirty = true
		return o.loadTokens(), false
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

func (o *ownersScreen) key(k tea.KeyPressMsg) (tea.Cmd, bool) {
	c, keys := o.c, o.c.keys
	if o.open != nil {
		if !o.table.filtering && key.Matches(k, keys.Back) && o.table.filter == "" && len(c.data.marks) == 0 {
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
	case key.Matches(k, keys.GroupBy):
		o.by = o.by.Next()
		o.cur.Reset()
		o.dirty = true
		return c.setStatus(lvInfo, "owners grouped by %s", o.by.Words()), true
	case key.Matches(k, keys.OwnerLeases):
		if r := o.selected(); r != nil {
			row := *r
			o.open = &row
			o.table.cur.Reset()
			o.table.dirty = true
		}
	case key.Matches(k, keys.RevokeOwner):
		if r := o.selected(); r != nil {
			return c.start(o.revokeOwner(*r)), true
		}
	case key.Matches(k, keys.RevokeTokens):
		if r := o.selected(); r != nil {
			return c.start(o.revokeTokens(*r)), true
		}
	case key.Matches(k, keys.Refresh):
		return tea.Batch(o.loadTokens(), c.refresh()), true
	case key.Matches(k, keys.Back):
		return c.showScreen(home), true
	default:
		return nil, false
	}
	return nil, true
}

func (o *ownersScreen) selected() *owners.Row {
	if len(o.rows) == 0 {
		return nil
	}
	return &o.rows[o.cur.Index(o.rows)]
}

// revokeOwner captures the ids of every live lease of the owner now: a
// lease the owner makes after the key press is not revoked.
func (o *ownersScreen) revokeOwner(r owners.Row) operation {
	ids := owners.Leases(o.c.data.eng.Index(), o.c.opt.Prefix, o.by, o.source(), r.Key)
	own := o.c.data.ownTokenLeases(ids)
	return &ownerRevokeOp{revokeOp: revokeOp{perLease{ids: ids, last: own}}, owner: r, ownToken: own}
}

// source is what is known about owners.
func (o *ownersScreen) source() owners.Source {
	src := owners.Source{Tokens: o.c.data.idents.tokens, TokensWhy: o.c.data.idents.tokensWhy}
	if o.tokensState == "reading" {
		src.TokensWhy = "reading it…"
	}
	if o.c.opt.VaultAudit != "" {
		src.Log = o.c.data.attribution()
	}
	return src
}

// revokeTokens captures the accessors of the owner's tokens now.
func (o *ownersScreen) revokeTokens(r owners.Row) operation {
	ids := owners.Leases(o.c.data.eng.Index(), o.c.opt.Prefix, o.by, o.source(), r.Key)
	accessors := o.c.data.idents.tokens.Accessors(o.by, r.Key)
	c := o.c
	return &revokeTokensOp{accessors: accessors, owner: r, tokensWhy: c.data.idents.tokensWhy, leases: len(ids),
		ownToken: c.data.ownTokenLeases(ids), selfAmong: c.data.vault.hasSelf && c.data.vault.self.Accessor != "" && slices.Contains(accessors, c.data.vault.self.Accessor)}
}

func (o *ownersScreen) visible() int { return o.c.paneRows() - 4 }

// Sync regroups when the index, the attribution or the grouping changed,
// and every few seconds, since "new in the last 5 minutes" moves.
func (o *ownersScreen) Sync() tea.Cmd {
	c := o.c
	now := c.now()
	if o.open != nil {
		_, cmd := o.table.Sync()
		return cmd
	}
	if !o.dirty && o.ver == c.data.eng.Index().Version() && o.seen == o.entries && now.Sub(o.at) < 5*time.Second {
		return nil
	}
	o.ver, o.seen, o.at, o.dirty = c.data.eng.Index().Version(), o.entries, now, false
	o.rows, o.total = owners.Rollup(c.data.eng.Index(), c.opt.Prefix, o.by, o.source(), now, recentWindow)
	o.budgets = ownerBudgets(o.rows, o.by, c.opt.Budgets)
	o.cur.Clamp(o.rows, o.visible())
	return o.nameEntities()
}

// ownerBudgets are the usages of the owner budgets of grouping by, by the
// key of each row they count (hygiene.Counts, the rule of the budget
// check): a budget's usage is the leases of every row it counts. A row
// that two budgets count shows the fuller.
func ownerBudgets(rows []owners.Row, by owners.By, bs []config.Budget) map[string]hygiene.Usage {
	var out map[string]hygiene.Usage
	for _, b := range bs {
		if bb, ok := hygiene.BudgetBy(b.Scope); !ok || bb != by {
			continue
		}
		u := hygiene.Usage{Budget: b}
		var keys []string
		for _, r := range rows {
			if hygiene.Counts(b, r.Group) {
				u.Used += r.Count
				keys = append(keys, r.Key)
			}
		}
		if out == nil {
			out = map[string]hygiene.Usage{}
		}
		for _, k := range keys {
			if old, ok := out[k]; !ok || u.Share() > old.Share() {
				out[k] = u
			}
		}
	}
	return out
}

// entitiesMsg names entities: id -> "name (alias mount alias, …)", or ""
// when Vault would not say.
type entitiesMsg map[string]string

// nameEntities asks Vault, once per entity, for the names of the entities
// on screen.
func (o *ownersScreen) nameEntities() tea.Cmd {
	c := o.c
	var ids []string
	for _, r := range o.rows {
		if id, ok := strings.CutPrefix(r.Key, "entity:"); ok {
			if _, known := c.data.idents.entities[id]; !known && len(ids) < 32 {
				ids = append(ids, id)
				c.data.idents.entities[id] = "" // asked: not again
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	ctx, be := c.ctx, c.data.be
	return func() tea.Msg {
		out := entitiesMsg{}
		for _, id := range ids {
			e, err := be.Entity(ctx, id)
			if err != nil {
				continue // permission or gone: the id stays the name
			}
			name := e.Name
			var aliases []string
			for _, a := range e.Aliases {
				aliases = append(aliases, a.MountPath+a.Name)
			}
			if len(aliases) > 0 {
				name += " (" + strings.Join(aliases, ", ") + ")"
			}
			out[id] = name
		}
		return out
	}
}

// label is a row's label with its entity named, when Vault named it.
func (o *ownersScreen) label(r owners.Row) string {
	if id, ok := strings.CutPrefix(r.Key, "entity:"); ok {
		if name := o.c.data.idents.entities[id]; name != "" {
			return strings.Replace(r.Label, "entity "+id, "entity "+name, 1)
		}
	}
	return r.Label
}

func (o *ownersScreen) keyOf(l *model.Lease) string {
	g, _ := owners.Of(l.ID(), l.IssueTime(), l.ExpireTime(), o.by, o.source())
	return g.Key
}

func (o *ownersScreen) View() string {
	c := o.c
	if o.open != nil {
		title := fmt.Sprintf("leases of %s · %d · esc back to owners", o.open.Label, len(o.table.rows))
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
		if t := c.data.attribution().Since(); !t.IsZero() {
			since = " from " + t.Format("Jan 02 15:04:05")
		}
		lines = append(lines, s.Dim.Render(fmt.Sprintf("audit log %s: %d lease entries%s · b groups by entity, role, auth mount, remote address, user agent · enter opens · x revokes the owner's leases", c.opt.VaultAudit, o.entries, since)))
	}
	switch {
	case o.tokensState == "reading":
		lines = append(lines, c.spin.View()+" reading the token store (a lookup per token) to name the owners of token leases…")
	case o.c.data.idents.tokensWhy != "":
		lines = append(lines, s.StatusWarn.Render("token store not read, so token leases have no owner: "+o.c.data.idents.tokensWhy))
	case o.c.data.idents.tokens != nil:
		lines = append(lines, s.Dim.Render(fmt.Sprintf("token store: %d tokens name the owners of token leases · T revokes an owner's tokens (and what they made)", o.c.data.idents.tokens.Len())))
	}
	const colN, colShare, colTTL, colNew = 8, 7, 8, 9
	colBudget := 0 // the share of its budget, when the grouping has budgets
	if len(o.budgets) > 0 {
		colBudget = 7
	}
	nameW := max(inner-colN-colBudget-colShare-colTTL-colNew-4, 12)
	budgetHead := ""
	if colBudget > 0 {
		budgetHead = fmt.Sprintf("%*s", colBudget, "BUDGET")
	}
	lines = append(lines, s.Header.Render(theme.Fit(fmt.Sprintf("%-*s %*s%s %*s %*s %*s", nameW, "OWNER BY "+strings.ToUpper(o.by.Words()), colN, "LEASES", budgetHead, colShare, "SHARE", colTTL, "SOONEST", colNew, "NEW 5m"), inner)))
	peak := 0
	for _, r := range o.rows {
		if r.Owned {
			peak = max(peak, r.Recent)
		}
	}
	now := c.now()
	sel := o.cur.Index(o.rows)
	for i := o.cur.Top; i < len(o.rows) && len(lines) < c.paneRows(); i++ {
		r := o.rows[i]
		soon := ""
		if !r.Soonest.IsZero() {
			soon = model.FormatTTL(r.Soonest.Sub(now))
		}
		share := fmt.Sprintf("%.1f%%", 100*float64(r.Count)/float64(max(o.total, 1)))
		recent := fmtCount(r.Recent)
		exploding := r.Owned && r.Recent > 0 && r.Recent == peak
		if exploding {
			recent = "▲ " + recent
		}
		left := fmt.Sprintf("%-*s %*d", nameW, theme.Fit(o.label(r), nameW), colN, r.Count)
		right := fmt.Sprintf(" %*s %*s %*s", colShare, share, colTTL, soon, colNew, recent)
		cell, state := strings.Repeat(" ", colBudget), budgetUnder
		if u, ok := o.budgets[r.Key]; ok {
			cell, state = shareCell(u.Budget, u.Used)
			cell = strings.Repeat(" ", colBudget-len(cell)) + cell
		}
		if i == sel {
			lines = append(lines, s.Selected.Render(theme.Fit(left+cell+right, inner)))
			continue
		}
		// Styled in parts: a style inside the line's would end the
		// line's own at the cell.
		paint := func(x ...string) string { return strings.Join(x, "") }
		switch {
		case !r.Owned:
			paint = s.Dim.Render
		case exploding:
			paint = s.StatusWarn.Render
		}
		switch state {
		case budgetNear:
			cell = s.Warning.Render(cell)
		case budgetOver:
			cell = s.Critical.Render(cell)
		default:
			cell = paint(cell)
		}
		lines = append(lines, paint(left)+cell+paint(right))
	}
	if len(o.rows) == 0 {
		lines = append(lines, s.Dim.Render("no leases yet"))
	}
	return c.pane(strings.Join(lines, "\n"), w, true, fmt.Sprintf("owners by %s · %d leases · %d owners", o.by.Words(), o.total, o.ownerCount()))
}

func (o *ownersScreen) ownerCount() int {
	n := 0
	for _, r := range o.rows {
		if r.Owned {
			n++
		}
	}
	return n
}

// ownerRevokeOp revokes every lease of one owner, captured at the key
// press, behind the owner's name typed out.
type ownerRevokeOp struct {
	revokeOp
	owner    owners.Row
	ownToken []string // the owner's leases that may be leasetop's own token's
}

// ownTokenLeases are the ids among ids that may be the lease of
// leasetop's own token (vaultclient.CoversOwnToken).
func (d *domainData) ownTokenLeases(ids []string) []string {
	if !d.vault.hasSelf {
		return nil
	}
	return vaultclient.OwnTokenLeases(ids, d.vault.self)
}

func (op *ownerRevokeOp) prepare(c *Common) (level, string) {
	if op.owner.Name == "" {
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
		Stages: []dialog.Stage{{Want: op.owner.Name}},
		Body: func(int) string {
			var b strings.Builder
			fmt.Fprintf(&b, "%s\n\n", s.StatusErr.Render(fmt.Sprintf("Revoke every lease of %s", op.owner.Label)))
			fmt.Fprintf(&b, "Leases: %d, captured now (leases it makes from now on are not revoked)\n", len(op.ids))
			b.WriteString(listIDs(op.ids, 3) + "\n")
			b.WriteString("Vault revokes the credentials behind them. The owner's tokens stay valid:\nit can make new leases.\n\n")
			if n := len(op.ownToken); n > 0 {
				b.WriteString(s.StatusWarn.Render(fmt.Sprintf("Warning: leasetop's own token was created by %s, where this owner holds\n%s: one may be leasetop's, and revoking it would lock this session out\n(it is revoked after the others).",
					c.data.vault.self.Path, plural(n, "token lease"))) + "\n\n")
			}
			return b.String()
		},
		OnConfirm: run,
		OnCancel:  cancelled(c),
	})
}

// attribution is the audit log's lease → owner map, made on first use.
func (d *domainData) attribution() *audit.Attribution { return d.eng.Attribution() }

// revokeTokensOp revokes an owner's tokens by accessor: Vault revokes each
// token, every lease created with it and its child tokens (orphans
// excepted). The accessors are captured at the key press.
type revokeTokensOp struct {
	perLease
	accessors []string
	owner     owners.Row
	leases    int // the owner's leases known now, for the dialog
	tokensWhy string
	// selfAmong: leasetop's own token is one of the accessors; ownToken:
	// the owner's leases that may be leasetop's token's (they go with
	// the tokens).
	selfAmong bool
	ownToken  []string
}

// tokensRevokedMsg tells the screens that tokens were revoked.
type tokensRevokedMsg struct{}

func (op *revokeTokensOp) name() string { return "revoking tokens" }
func (op *revokeTokensOp) policyPath(c *Common) string {
	return "auth/token/revoke-accessor"
}

func (op *revokeTokensOp) prepare(c *Common) (level, string) {
	switch {
	case op.tokensWhy != "":
		return lvErr, "the token store was not read: " + op.tokensWhy
	case op.owner.Name == "":
		return lvWarn, "these leases have no owner: select an owner"
	case len(op.accessors) == 0:
		return lvInfo, "the token store holds no token of " + op.owner.Label
	}
	op.ids = op.accessors
	if op.selfAmong {
		op.last = []string{c.data.vault.self.Accessor}
	}
	return lvInfo, ""
}

func (op *revokeTokensOp) confirm(c *Common, run func() tea.Cmd) (dialog.Dialog, tea.Cmd) {
	s := c.styles
	return dialog.NewTyped(dialog.TypedConfig{
		Styles: s,
		Stages: []dialog.Stage{{Want: op.owner.Name}},
		Body: func(int) string {
			var b strings.Builder
			fmt.Fprintf(&b, "%s\n\n", s.StatusErr.Render(fmt.Sprintf("Revoke %s of %s", plural(len(op.accessors), "token"), op.owner.Label)))
			b.WriteString("By accessor, Vault revokes each token and, with it, every lease created\n" +
				"with the token and its child tokens (orphan tokens excepted).\n")
			fmt.Fprintf(&b, "This owner holds %d leases now; the ones made with these tokens go too.\n", op.leases)
			b.WriteString("The owner can log in again: this stops what it holds, not the client.\n\n")
			switch {
			case op.selfAmong:
				b.WriteString(s.StatusWarn.Render("Warning: one of these tokens is leasetop's own: once it is revoked, leasetop will\nlose its session (start it again with another token).") + "\n\n")
			case len(op.ownToken) > 0:
				b.WriteString(s.StatusWarn.Render(fmt.Sprintf("Warning: leasetop's own token was created by %s, where this owner holds\n%s: if one is leasetop's, leasetop will lose its session.",
					c.data.vault.self.Path, plural(len(op.ownToken), "token lease"))) + "\n\n")
			}
			return b.String()
		},
		OnConfirm: run,
		OnCancel:  cancelled(c),
	})
}

func (op *revokeTokensOp) start(c *Common, seq int) tea.Cmd {
	be := c.data.be
	return op.run(c, seq, func(ctx context.Context, acc string) actionResult {
		return actionResult{id: acc, err: be.RevokeAccessor(ctx, acc)}
	})
}

func (op *revokeTokensOp) update(r *root, body any) (tea.Cmd, bool) {
	step, ok := body.(stepMsg)
	if !ok {
		return nil, false
	}
	if !step.done {
		res := step.result
		op.results = append(op.results, res)
		result := "ok"
		if res.err != nil {
			result = plainError(res.err)
		}
		r.c.journal("revoke-accessor", []string{res.id}, "", result)
		return waitStep(r.act.seq, op.ch), false
	}
	failed := 0
	for _, res := range op.results {
		if res.err != nil {
			failed++
		}
	}
	lv := lvOK
	if failed > 0 {
		lv = lvWarn
	}
	// The cascade removed leases: list again, and read the tokens again.
	return tea.Batch(r.setStatus(lv, "revoked %d of %s of %s (%d failed); refreshing", len(op.results)-failed, plural(len(op.results), "token"), op.owner.Label, failed),
		r.drive(r.c.data.eng.Changed()), r.broadcast(tokensRevokedMsg{})), true
}

func (op *revokeTokensOp) progress() string { return op.progressText("revoking tokens") }

// plural is "1 token", "2 tokens".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// auditWords is a problem with the audit log in words: what is wrong and
// what leasetop does about it, not a Go error string.
func auditWords(path string, err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return "audit log " + path + ": leasetop may not read it (permission denied); give it read access, or feed the log through stdin (--vault-audit -)"
	case errors.Is(err, fs.ErrNotExist):
		return "audit log " + path + ": not there (moved or rotated away?); leasetop keeps looking for it"
	}
	return "audit log " + path + ": " + strings.TrimPrefix(err.Error(), "audit: ")
}
