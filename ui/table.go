package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
	"github.com/leasetop/leasetop/ui/dialog"
	"github.com/leasetop/leasetop/ui/list"
	"github.com/leasetop/leasetop/ui/theme"
	"github.com/leasetop/leasetop/vaultclient"
)

var sortKeys = []model.SortKey{model.BySoonestExpiry, model.ByID, model.ByIssueTime, model.ByLastRenewal}
var sortNames = map[model.SortKey]string{
	model.BySoonestExpiry: "expiry", model.ByID: "id", model.ByIssueTime: "issued", model.ByLastRenewal: "renewed",
}

// table is the lease table under Common.prefix: live TTLs, sorts, a
// filter, marks, details, and the per-lease actions. The browser and the
// radar each have one.
type table struct {
	c      *Common
	cur    list.Cursor
	rows   leaseRows
	window time.Duration // > 0: only leases expiring within it (the radar)
	// root is the prefix the table shows (default: the tree's selection);
	// keep, if set, narrows the rows (the owners screen: one owner's).
	root            func() string
	keep            func(*model.Lease) bool
	noPrefixActions bool // P and F mean nothing here

	sortIdx   int
	filter    string
	filtering bool
	input     textinput.Model

	// what rows were computed from, so an unchanged index sorts nothing
	ver      uint64
	sortedAt time.Time     // wall clock, when rows were last computed
	sortTook time.Duration // and how long that took
	prefix   string
	at       time.Time
	dirty    bool
	// A sort that takes long (a million rows) runs off the key path: the
	// rows are gathered in steps between other messages (gatherMsg),
	// sorted on another goroutine, and shown when they come back
	// (sortedMsg); seq names the one awaited.
	seq        int
	sorting    bool
	gather     *model.Gathering // the rows being read, step by step (gatherMsg)
	gatherTook time.Duration
	fresh      bool // sorted rows came back since the last Sync
}

// gatherMsg asks a table for the next step of the gathering seq.
type gatherMsg struct {
	t   *table
	seq int
}

// sortedMsg brings a table the rows its background sort ordered.
type sortedMsg struct {
	t    *table
	seq  int
	rows []*model.Lease
	took time.Duration // gathering and sorting
}

type leaseRows []*model.Lease

func (r leaseRows) Len() int        { return len(r) }
func (r leaseRows) ID(i int) string { return r[i].ID() }

func newTable(c *Common) *table {
	t := &table{c: c, dirty: true}
	t.root = func() string { return c.data.eng.Focus() }
	t.input = textinput.New()
	t.input.Prompt = "/"
	t.input.Placeholder = "part of a lease id"
	t.input.CharLimit = 256
	t.input.SetWidth(48)
	return t
}

// Sync recomputes the rows when the index, the prefix, the query or (for
// the radar, whose window moves with the clock) the time changed, and
// reports whether it did; cmd is the next step of a background sort.
func (t *table) Sync() (changed bool, cmd tea.Cmd) {
	c := t.c
	now := c.now()
	prefix := t.root()
	if t.prefix != prefix {
		t.cur.Reset()
		t.dirty = true
	}
	// While a crawl streams in, the index changes every batch (ten a
	// second); re-sorting on each would spend the UI's time sorting rows
	// that change again 100 ms later, and on a machine Vault shares that
	// time is the crawl's. So while a crawl runs, data alone changing
	// re-sorts a table at most every streamGap; a change of query or
	// prefix (a key press) is answered at once, and the crawl's end sorts
	// what it brought.
	if !t.dirty && t.ver != c.data.eng.Index().Version() && c.crawlRunning() && (t.sorting || time.Since(t.sortedAt) < streamGap(t.sortTook)) {
		t.cur.Clamp(t.rows, t.visible())
		return t.takeFresh(), nil
	}
	if t.dirty || t.ver != c.data.eng.Index().Version() || (t.window > 0 && !now.Equal(t.at)) {
		q := model.Query{Recursive: true, Filter: t.filter, Sort: sortKeys[t.sortIdx], Now: now}
		if t.window > 0 {
			q.ExpiringWithin, q.Sort = t.window, model.BySoonestExpiry
		}
		start := time.Now()
		g := c.data.eng.Index().Gather(prefix, q)
		t.ver, t.prefix, t.at, t.dirty = c.data.eng.Index().Version(), prefix, now, false
		if t.sortTook >= slowSort {
			// The last sort was long: this one is gathered in steps and
			// sorted in the background, and the rows on screen stay
			// until it is done.
			t.seq++
			t.sorting, t.gather, t.gatherTook = true, g, 0
			cmd := t.gatherStep()
			t.cur.Clamp(t.rows, t.visible())
			return t.takeFresh(), cmd
		}
		g.Step(-1)
		t.setRows(g.Sort(), time.Since(start))
		changed = true
	}
	t.cur.Clamp(t.rows, t.visible())
	return t.takeFresh() || changed, nil
}

// gatherStep reads the awaited gathering for about gatherSlice, then asks
// for the next step or, when all is read, for the sort. Messages waiting
// (keys) are handled between steps: a million rows take about ten.
func (t *table) gatherStep() tea.Cmd {
	start := time.Now()
	g, seq := t.gather, t.seq
	done := g.Step(gatherBudget)
	for !done && time.Since(start) < gatherSlice {
		done = g.Step(gatherBudget)
	}
	t.gatherTook += time.Since(start)
	gathered := t.gatherTook
	if !done {
		return func() tea.Msg { return gatherMsg{t: t, seq: seq} }
	}
	t.gather = nil
	return func() tea.Msg {
		start := time.Now()
		rows := g.Sort()
		return sortedMsg{t: t, seq: seq, rows: rows, took: gathered + time.Since(start)}
	}
}

// onGather takes the next step of a gathering, if it is still the one
// awaited.
func (t *table) onGather(msg gatherMsg) tea.Cmd {
	if msg.seq == t.seq && t.gather != nil {
		return t.gatherStep()
	}
	return nil
}

// setRows shows sorted rows, narrowed by keep (which reads the owners, so
// it runs here, not with the sort).
func (t *table) setRows(rows []*model.Lease, took time.Duration) {
	if t.keep != nil {
		rows = slices.DeleteFunc(rows, func(l *model.Lease) bool { return !t.keep(l) })
	}
	t.rows, t.sortedAt, t.sortTook, t.sorting = rows, time.Now(), took, false
}

// onSorted takes a background sort's rows, if they are the ones awaited.
func (t *table) onSorted(msg sortedMsg) {
	if msg.seq != t.seq || !t.sorting {
		return // a later sort superseded it
	}
	t.setRows(msg.rows, msg.took)
	t.fresh = true
}

func (t *table) takeFresh() bool {
	f := t.fresh
	t.fresh = false
	return f
}

// slowSort is a sort long enough to gather in steps off the key path.
const slowSort = 20 * time.Millisecond

// streamGap is how long a table's rows may lag a streaming crawl: thirty
// sorts' time, so re-sorting costs at most a thirtieth of a core (a
// million rows every ten seconds or so), and at least a quarter second,
// so a small table does not re-sort for every batch.
func streamGap(sortTook time.Duration) time.Duration {
	return max(30*sortTook, 250*time.Millisecond)
}

// A gathering step reads gatherBudget leases at a time (well under a
// millisecond) until gatherSlice has passed. Variables for tests.
var (
	gatherSlice  = 8 * time.Millisecond
	gatherBudget = 4096
)

// visible is the rows the pane shows below its header.
func (t *table) visible() int { return t.c.paneRows() - 1 }

func (t *table) current() *model.Lease {
	if len(t.rows) == 0 {
		return nil
	}
	return t.rows[t.cur.Index(t.rows)]
}

func (t *table) move(delta int) { t.cur.Move(t.rows, delta, t.visible()) }

// targets are the ids an action applies to: the marked leases, or the one
// under the cursor when the table has the focus.
func (t *table) targets(marked, focused bool) []string {
	if marked {
		ids := make([]string, 0, len(t.c.data.marks))
		for id := range t.c.data.marks {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return ids
	}
	if l := t.current(); l != nil && focused {
		return []string{l.ID()}
	}
	return nil
}

// keyActions are the keys handleKey answers, for the screens that show a
// table to declare.
func (t *table) keyActions() []key.Binding {
	k := t.c.keys
	bs := []key.Binding{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown, k.Open, k.Filter, k.Sort,
		k.Mark, k.MarkAll, k.Renew, k.Revoke, k.RenewMarked, k.RevokeMarked, k.Back}
	if !t.noPrefixActions {
		bs = append(bs, k.RevokePrefix, k.ForceRevokePrefix)
	}
	return bs
}

// handleKey takes the table's keys. Movement, details, marking one lease
// and acting on it need the focus; the filter, sort, marks and bulk
// actions do not.
func (t *table) handleKey(k tea.KeyPressMsg, focused bool) (tea.Cmd, bool) {
	c, keys := t.c, t.c.keys
	if t.filtering {
		return t.filterKey(k), true
	}
	if focused {
		if cmd, ok := t.focusedKey(k); ok {
			return cmd, true
		}
	}
	switch {
	case key.Matches(k, keys.Back):
		if t.filter != "" {
			t.filter, t.dirty = "", true
		} else if len(c.data.marks) > 0 {
			clear(c.data.marks)
		}
	case key.Matches(k, keys.Filter):
		t.filtering = true
		t.input.SetValue(t.filter)
		t.input.CursorEnd()
		return t.input.Focus(), true
	case key.Matches(k, keys.Sort):
		t.sortIdx = (t.sortIdx + 1) % len(sortKeys)
		t.dirty = true
		return c.setStatus(lvInfo, "sorted by %s", sortNames[sortKeys[t.sortIdx]]), true
	case key.Matches(k, keys.MarkAll):
		if len(c.data.marks) > 0 {
			clear(c.data.marks)
		} else {
			for _, l := range t.rows {
				if !l.Gone() {
					c.data.marks[l.ID()] = true
				}
			}
		}
	case key.Matches(k, keys.Renew):
		return c.start(newRenewOp(nil)), true
	case key.Matches(k, keys.Revoke):
		return c.start(newRevokeOp(nil)), true
	case key.Matches(k, keys.RenewMarked):
		return c.start(newRenewOp(t.targets(true, focused))), true
	case key.Matches(k, keys.RevokeMarked):
		return c.start(newRevokeOp(t.targets(true, focused))), true
	case key.Matches(k, keys.RevokePrefix) && !t.noPrefixActions:
		return c.start(newPrefixOp(c, false)), true
	case key.Matches(k, keys.ForceRevokePrefix) && !t.noPrefixActions:
		return c.start(newPrefixOp(c, true)), true
	default:
		return nil, false
	}
	return nil, true
}

// focusedKey takes the keys that act on the row under the cursor.
func (t *table) focusedKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	c, keys := t.c, t.c.keys
	delta, isMove := keys.movement(k, c.pageSize())
	switch {
	case isMove:
		t.move(delta)
	case key.Matches(k, keys.Open):
		if l := t.current(); l != nil {
			c.openDialog(detailDialog(c, l.ID()))
		}
	case key.Matches(k, keys.Mark):
		if l := t.current(); l != nil {
			if c.data.marks[l.ID()] {
				delete(c.data.marks, l.ID())
			} else {
				c.data.marks[l.ID()] = true
			}
			t.move(1)
		}
	case key.Matches(k, keys.Renew):
		return c.start(newRenewOp(t.targets(false, true))), true
	case key.Matches(k, keys.Revoke):
		return c.start(newRevokeOp(t.targets(false, true))), true
	default:
		return nil, false
	}
	return nil, true
}

// filterKey edits the filter: enter keeps it, esc clears it.
func (t *table) filterKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, t.c.keys.Open):
		t.filtering = false
		t.input.Blur()
		return nil
	case key.Matches(k, t.c.keys.Back):
		t.filtering = false
		t.input.Blur()
		t.filter, t.dirty = "", true
		return nil
	}
	var cmd tea.Cmd
	t.input, cmd = t.input.Update(k)
	if v := t.input.Value(); v != t.filter {
		t.filter, t.dirty = v, true
		t.cur.Top = 0
	}
	return cmd
}

// updateInput passes a non-key message (cursor blink) to the filter input.
func (t *table) updateInput(msg tea.Msg) tea.Cmd {
	if !t.filtering {
		return nil
	}
	var cmd tea.Cmd
	t.input, cmd = t.input.Update(msg)
	return cmd
}

// wheel scrolls the table; click selects the row at a screen row.
func (t *table) wheel(delta int) { t.move(delta) }

func (t *table) click(row int) {
	if row >= 1 { // row 0 is the header
		t.cur.Click(t.rows, row-1)
	}
}

// title is the table's own title plus the filter and marks.
func (t *table) title(base string) string {
	if base == "" {
		base = fmt.Sprintf("leases · %d shown · sort %s", len(t.rows), sortNames[sortKeys[t.sortIdx]])
	}
	if t.sorting {
		base += " · sorting…"
	}
	if t.filter != "" {
		base += fmt.Sprintf(" · filter %q", t.filter)
	}
	if len(t.c.data.marks) > 0 {
		base += fmt.Sprintf(" · %d marked", len(t.c.data.marks))
	}
	return base
}

// table column widths (the id column takes the rest)
const (
	colMark    = 2
	colTTL     = 8
	colTime    = 13
	colRenew   = 5
	tableFixed = colMark + colTTL + 3*colTime + colRenew + 5
)

func (t *table) view(focused bool, title string) string {
	return t.viewAt(t.c.width-t.c.treeWidth(), focused, title)
}

// viewAt draws the table w cells wide.
func (t *table) viewAt(w int, focused bool, title string) string {
	c := t.c
	s := c.styles
	inner := w - 2
	idW := max(inner-tableFixed, 12)
	var b strings.Builder
	b.Grow((inner + 64) * (t.visible() + 1)) // a row's cells and their styles
	header := fmt.Sprintf("%-*s%-*s %*s %-*s %-*s %-*s %-*s", colMark, "", idW, "LEASE (after "+shortPrefix(t.prefix)+")",
		colTTL, "TTL", colTime, "EXPIRES", colTime, "ISSUED", colTime, "RENEWED", colRenew, "RENEW")
	b.WriteString(s.Header.Render(theme.Fit(header, inner)))
	b.WriteByte('\n')
	now := c.now()
	sel := -1
	if len(t.rows) > 0 {
		sel = t.cur.Index(t.rows)
	}
	if len(t.rows) == 0 {
		b.WriteString(s.Dim.Render(theme.Fit(t.emptyText(), inner)))
	}
	for i := t.cur.Top; i < len(t.rows) && i < t.cur.Top+t.visible(); i++ {
		l := t.rows[i]
		mark := "  "
		if c.data.marks[l.ID()] {
			mark = s.Marked.Render("● ")
		}
		id := fitID(strings.TrimPrefix(l.ID(), t.prefix), idW)
		ttlText, ttlStyle := c.ttlCell(l, now)
		line := mark + theme.Fit(id, idW) + " " + ttlStyle.Render(fmt.Sprintf("%*s", colTTL, ttlText)) + " " +
			fmt.Sprintf("%-*s %-*s %-*s %-*s", colTime, clock(l.ExpireTime(), now, "never"), colTime, clock(l.IssueTime(), now, "—"),
				colTime, clock(l.LastRenewal(), now, "never"), colRenew, renewCell(l))
		switch {
		case l.Gone():
			line = s.Gone.Render(ansi.Strip(line))
		case l.Pending():
			line = s.Pending.Render(ansi.Strip(line))
		}
		if i == sel {
			if focused {
				line = s.Selected.Render(ansi.Strip(line))
			} else {
				line = s.SelectedBlurred.Render(ansi.Strip(line))
			}
		}
		b.WriteString(theme.Fit(line, inner))
		b.WriteByte('\n')
	}
	return c.pane(strings.TrimSuffix(b.String(), "\n"), w, focused, t.title(title))
}

func (t *table) emptyText() string {
	c := t.c
	switch {
	case t.filter != "":
		return fmt.Sprintf("no lease id under %s contains %q (esc clears the filter)", shortPrefix(t.prefix), t.filter)
	case c.crawlRunning():
		return "crawling…"
	}
	if note := c.data.kvNote(t.prefix); note != "" {
		return note
	}
	return "no leases under " + shortPrefix(t.prefix)
}

// detailDialog shows one lease, bound to its id: a refresh that moves the
// table's rows cannot put another lease in it.
func detailDialog(c *Common, id string) dialog.Dialog {
	return &dialog.Text{Styles: c.styles, Render: func(w, h int) string {
		s := c.styles
		l := c.data.eng.Index().Lease(id)
		if l == nil {
			return id + "\n\n" + s.DialogHint.Render("The lease is gone from Vault. esc closes")
		}
		now := c.now()
		row := func(k, v string) string { return fmt.Sprintf("%-14s %s", k+":", v) }
		ttl, _ := c.ttlCell(l, now)
		lines := []string{
			s.Title.Render("lease"),
			"",
			row("id", l.ID()),
			row("prefix", l.Prefix()),
			row("ttl", ttl),
			row("expires", fullTime(l.ExpireTime(), "never")),
			row("issued", fullTime(l.IssueTime(), "—")),
			row("last renewal", fullTime(l.LastRenewal(), "never")),
			row("renewable", fmt.Sprint(l.Renewable())),
		}
		if mt, ok := vaultclient.MountOf(c.data.vault.mounts, l.ID()); ok {
			lines = append(lines, row("mount", fmt.Sprintf("%s (%s)", mt.Path, mt.Type)))
		}
		if reason := model.RenewBlockReason(l, now); reason != "" {
			lines = append(lines, row("renew", "not here: "+reason))
		} else {
			lines = append(lines, row("renew", "r renews it through sys/leases/renew"))
		}
		if own, created, from, ok := c.data.ownerOf(l); ok {
			lines = append(lines, row("made by", owners.Words(own)), row("made at", fullTime(created, "—")+" ("+from+")"))
			if own.RemoteAddr != "" || own.UserAgent != "" {
				lines = append(lines, row("from", strings.TrimSpace(own.RemoteAddr+"  "+own.UserAgent)))
			}
			if name := c.data.idents.entities[own.EntityID]; name != "" {
				lines = append(lines, row("entity", name))
			}
		} else if c.data.eng.Owners() != nil || c.data.idents.tokens != nil {
			lines = append(lines, row("made by", "unknown: "+from))
		}
		if l.IsToken() {
			lines = append(lines, s.DialogHint.Render("Revoking a token lease revokes the token (and its children)."))
		}
		lines = append(lines, "", s.DialogHint.Render("esc closes"))
		for i := range lines {
			lines[i] = theme.Fit(lines[i], w)
		}
		return strings.Join(lines, "\n")
	}}
}
