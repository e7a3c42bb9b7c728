package ui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/leasetop/leasetop/model"
)

// Minimum screen leasetop draws on; below it says so instead of garbling.
const minWidth, minHeight = 60, 12

// View draws the screen.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "leasetop " + m.be.Address()
	return v
}

// render is the whole screen as a string (golden tests read it).
func (m Model) render() string {
	if m.width < minWidth || m.height < minHeight {
		return fmt.Sprintf("leasetop needs at least %dx%d; this terminal is %dx%d.\nEnlarge it, or press q to quit.",
			minWidth, minHeight, m.width, m.height)
	}
	if m.rowsDirty {
		m.ensureRows() // on this copy only; Update normally did it already
	}
	var body string
	switch m.screen {
	case screenRadar:
		body = lipgloss.JoinHorizontal(lipgloss.Top, m.viewRadarPanel(), m.viewTable())
	case screenIrrevocable:
		body = m.viewIrrevocable()
	default:
		body = lipgloss.JoinHorizontal(lipgloss.Top, m.viewTree(), m.viewTable())
	}
	screen := lipgloss.JoinVertical(lipgloss.Left, m.viewTitle(), body, m.viewStatus(), m.viewFooter())
	if overlay := m.viewOverlay(); overlay != "" {
		screen = place(screen, overlay, m.width, m.height)
	}
	return screen
}

// place draws overlay centred over base.
func place(base, overlay string, w, h int) string {
	ow, oh := lipgloss.Width(overlay), lipgloss.Height(overlay)
	c := lipgloss.NewCanvas(w, h)
	c.Compose(lipgloss.NewCompositor(
		lipgloss.NewLayer(base),
		lipgloss.NewLayer(overlay).X(max((w-ow)/2, 0)).Y(max((h-oh)/2, 0)).Z(1),
	))
	return c.Render()
}

func (m Model) viewTitle() string {
	s := m.styles
	parts := []string{s.Title.Render("leasetop"), m.be.Address()}
	if ns := m.be.Namespace(); ns != "" {
		parts = append(parts, "ns "+ns)
	}
	parts = append(parts, fmt.Sprintf("%d leases", m.idx.Len()))
	if m.opt.ReadOnly {
		parts = append(parts, s.StatusWarn.Render("READ-ONLY"))
	}
	return fit(strings.Join(parts, s.Dim.Render("  │  ")), m.width)
}

func (m Model) viewTree() string {
	s := m.styles
	w := m.treeWidth()
	inner := w - 2
	rows := m.treeRows()
	var b strings.Builder
	now := m.now()
	for i := m.treeTop; i < len(rows) && i < m.treeTop+m.paneRows(); i++ {
		r := rows[i]
		name, count, soon, errMark := m.opt.Prefix, 0, "", ""
		if name == "" {
			name = "/"
		}
		marker := "  "
		if r.node != nil {
			if r.depth > 0 {
				name = r.node.Name()
			}
			count = r.node.Count()
			if t := r.node.Soonest(); !t.IsZero() {
				soon = model.FormatTTL(t.Sub(now))
			}
			if r.node.Err() != "" {
				errMark = "!"
			}
			if len(r.node.Children()) > 0 {
				marker = "▸ "
				if m.expanded[r.path] {
					marker = "▾ "
				}
			}
		}
		right := fmt.Sprintf(" %s%6d %7s", errMark, count, soon)
		left := strings.Repeat("  ", max(r.depth-1, 0)) + marker + name
		if r.depth == 0 {
			left = name
		}
		line := fit(left, inner-lipgloss.Width(right)) + right
		switch {
		case r.path == m.treeSel && m.focus == focusTree:
			line = s.Selected.Render(line)
		case r.path == m.treeSel:
			line = s.SelectedBlurred.Render(line)
		case r.node != nil && r.node.Err() != "":
			line = s.StatusErr.Render(line)
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return m.pane(strings.TrimSuffix(b.String(), "\n"), w, m.focus == focusTree, "prefixes · "+treeSortName(m.treeSort))
}

func treeSortName(by model.ChildSort) string {
	if by == model.ByCount {
		return "by count"
	}
	return "by name"
}

// table column widths (the id column takes the rest)
const (
	colMark    = 2
	colTTL     = 8
	colTime    = 13
	colRenew   = 5
	tableFixed = colMark + colTTL + 3*colTime + colRenew + 5
)

func (m Model) viewTable() string {
	s := m.styles
	w := m.width - m.treeWidth()
	inner := w - 2
	idW := max(inner-tableFixed, 12)
	var b strings.Builder
	header := fmt.Sprintf("%-*s%-*s %*s %-*s %-*s %-*s %-*s", colMark, "", idW, "LEASE (after "+shortPrefix(m.treeSel)+")",
		colTTL, "TTL", colTime, "EXPIRES", colTime, "ISSUED", colTime, "RENEWED", colRenew, "RENEW")
	b.WriteString(s.Header.Render(fit(header, inner)))
	b.WriteByte('\n')
	now := m.now()
	sel := -1
	if len(m.rows) > 0 {
		sel = m.tableIndex()
	}
	visible := m.paneRows() - 1
	if len(m.rows) == 0 {
		b.WriteString(s.Dim.Render(fit(m.emptyTableText(), inner)))
	}
	for i := m.tableTop; i < len(m.rows) && i < m.tableTop+visible; i++ {
		l := m.rows[i]
		mark := "  "
		if m.marks[l.ID()] {
			mark = s.Marked.Render("● ")
		}
		id := fitID(strings.TrimPrefix(l.ID(), m.treeSel), idW)
		ttlText, ttlStyle := m.ttlCell(l, now)
		line := mark + fit(id, idW) + " " + ttlStyle.Render(fmt.Sprintf("%*s", colTTL, ttlText)) + " " +
			fmt.Sprintf("%-*s %-*s %-*s %-*s", colTime, clock(l.ExpireTime(), now, "never"), colTime, clock(l.IssueTime(), now, "—"),
				colTime, clock(l.LastRenewal(), now, "never"), colRenew, renewCell(l))
		switch {
		case l.Gone():
			line = s.Gone.Render(ansi.Strip(line))
		case l.Pending():
			line = s.Pending.Render(ansi.Strip(line))
		}
		if i == sel {
			if m.focus == focusTable {
				line = s.Selected.Render(ansi.Strip(line))
			} else {
				line = s.SelectedBlurred.Render(ansi.Strip(line))
			}
		}
		b.WriteString(fit(line, inner))
		b.WriteByte('\n')
	}
	title := fmt.Sprintf("leases · %d shown · sort %s", len(m.rows), sortNames[sortKeys[m.sortIdx]])
	if m.screen == screenRadar {
		title = fmt.Sprintf("expiring within %s under %s · %d", model.FormatDuration(m.window), shortPrefix(m.treeSel), len(m.rows))
	}
	if m.filter != "" {
		title += fmt.Sprintf(" · filter %q", m.filter)
	}
	if len(m.marks) > 0 {
		title += fmt.Sprintf(" · %d marked", len(m.marks))
	}
	return m.pane(strings.TrimSuffix(b.String(), "\n"), w, m.focus == focusTable, title)
}

func (m Model) emptyTableText() string {
	switch {
	case m.filter != "":
		return fmt.Sprintf("no lease id under %s contains %q (esc clears the filter)", shortPrefix(m.treeSel), m.filter)
	case m.crawl.running:
		return "crawling…"
	}
	if note := m.kvNote(m.treeSel); note != "" {
		return note
	}
	return "no leases under " + shortPrefix(m.treeSel)
}

// kvNote explains an empty KV mount: KV never issues leases, although its
// reads carry a lease duration.
func (m Model) kvNote(prefix string) string {
	for _, mt := range m.mounts {
		if strings.HasPrefix(prefix, mt.Path) && mt.IssuesNoLeases() {
			if n := m.idx.Node(mt.Path); n != nil && n.Count() > 0 {
				return "" // a dev server's leased KV does issue them
			}
			return fmt.Sprintf("%s is a KV v%s mount: KV issues no leases, although its reads show a lease_duration (a refresh hint)", mt.Path, mt.KVVersion)
		}
	}
	return ""
}

func (m Model) ttlCell(l *model.Lease, now time.Time) (string, lipgloss.Style) {
	s := m.styles
	if l.Pending() {
		return "…", s.Pending
	}
	if l.Gone() {
		return "gone", s.Gone
	}
	ttl := l.TTL(now)
	switch model.Urgency(ttl, l.HasExpiry(), m.opt.Thresholds) {
	case model.LevelNoExpiry:
		return model.Never, s.NoExpiry
	case model.LevelExpired:
		return "expired", s.Expired
	case model.LevelCritical:
		return "!" + model.FormatTTL(ttl), s.Critical
	case model.LevelWarning:
		return model.FormatTTL(ttl), s.Warning
	}
	return model.FormatTTL(ttl), s.OK
}

func renewCell(l *model.Lease) string {
	switch {
	case l.Pending() || l.Gone():
		return ""
	case l.IsToken():
		return "token"
	case l.Renewable():
		return "yes"
	}
	return "no"
}

// clock prints a time compactly: the time of day for today, else the date.
func clock(t, now time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	t = t.In(now.Location())
	y1, m1, d1 := t.Date()
	if y2, m2, d2 := now.Date(); y1 == y2 && m1 == m2 && d1 == d2 {
		return t.Format("15:04:05")
	}
	return t.Format("Jan 02 15:04")
}

func shortPrefix(p string) string {
	if p == "" {
		return "/"
	}
	if len(p) > 40 {
		return "…" + p[len(p)-39:]
	}
	return p
}

// pane draws content in a bordered box of width w with a title on top.
func (m Model) pane(content string, w int, focused bool, title string) string {
	st := m.styles.PaneBlurred
	if focused {
		st = m.styles.PaneFocused
	}
	h := m.paneRows()
	lines := strings.Split(content, "\n")
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i := range lines {
		lines[i] = fit(lines[i], w-2)
	}
	box := st.Width(w).Height(h + 2).Render(strings.Join(lines[:h], "\n"))
	// Put the title into the top border.
	boxLines := strings.SplitN(box, "\n", 2)
	t := " " + fit(title, w-6) + " "
	t = strings.TrimRight(t, " ") + " "
	top := boxLines[0]
	if lipgloss.Width(top) > 4 {
		prefix := ansi.Truncate(top, 2, "")
		rest := ansi.TruncateLeft(top, 2+lipgloss.Width(t), "")
		top = prefix + m.styles.Bold.Render(t) + rest
	}
	if len(boxLines) == 2 {
		return top + "\n" + boxLines[1]
	}
	return top
}

// fitID shortens a lease id to w cells keeping its end, the random part
// that tells leases apart: "database/cre…/readonly/AbC123".
func fitID(id string, w int) string {
	if len(id) <= w || w < 8 {
		return id
	}
	keep := min(len(id)-len(model.PrefixOf(id)), max(10, w/2))
	head := w - keep - 1
	return id[:head] + "…" + id[len(id)-keep:]
}

func ansiStrip(s string) string { return ansi.Strip(s) }

// fit truncates s (which may hold styles) to w cells, padding it to w.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if lipgloss.Width(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	if pad := w - lipgloss.Width(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

func (m Model) viewStatus() string {
	s := m.styles
	var parts []string
	c := m.crawl
	switch {
	case c.running && c.poll:
		parts = append(parts, m.spin.View()+" refreshing")
	case c.running:
		parts = append(parts, fmt.Sprintf("%s crawling: %d prefixes, %d leases looked up", m.spin.View(), c.listed, c.leases))
	case !m.lastOK.IsZero():
		parts = append(parts, fmt.Sprintf("refreshed %s (%s ago)", m.lastOK.Format("15:04:05"), age(m.now().Sub(m.lastOK))))
	}
	if !m.staleSince.IsZero() || (m.pollErr != nil && m.lastOK.IsZero()) {
		stale := "no data yet"
		if !m.staleSince.IsZero() {
			stale = fmt.Sprintf("STALE: data from %s (%s old)", m.staleSince.Format("15:04:05"), age(m.now().Sub(m.staleSince)))
		}
		parts = append(parts, s.StatusErr.Render(stale))
	}
	if a := m.act; a != nil && a.running {
		parts = append(parts, m.actionProgress(a))
	}
	if m.status != "" {
		st := s.Dim
		switch m.statusLv {
		case lvOK:
			st = s.StatusOK
		case lvWarn:
			st = s.StatusWarn
		case lvErr:
			st = s.StatusErr
		}
		parts = append(parts, st.Render(m.status))
	} else if m.pollErr != nil {
		parts = append(parts, s.StatusErr.Render(plainError(m.pollErr)))
	}
	return fit(strings.Join(parts, s.Dim.Render(" │ ")), m.width)
}

func (m Model) actionProgress(a *action) string {
	switch a.kind {
	case actPrefix, actForce:
		done := a.count - a.remaining
		pct := 0.0
		if a.count > 0 {
			pct = float64(done) / float64(a.count)
		}
		return fmt.Sprintf("revoking %s %s %d/%d", shortPrefix(a.prefix), bar(pct, 16), done, a.count)
	}
	total := len(a.ids)
	pct := float64(len(a.results)) / float64(max(total, 1))
	verb := "revoking"
	if a.kind == actRenew {
		verb = "renewing"
	}
	return fmt.Sprintf("%s %s %d/%d", verb, bar(pct, 16), len(a.results), total)
}

// bar is a text progress bar that reads without colour.
func bar(pct float64, w int) string {
	n := int(pct*float64(w) + 0.5)
	n = clamp(n, 0, w)
	return "[" + strings.Repeat("█", n) + strings.Repeat("░", w-n) + "]"
}

func age(d time.Duration) string {
	if d < time.Second {
		return "0s"
	}
	return model.FormatDuration(d.Truncate(time.Second))
}

func (m Model) viewFooter() string {
	switch m.mode {
	case modeFilter, modeWindowPrompt:
		return fit(m.input.View(), m.width)
	}
	return fit(m.help.ShortHelpView(m.keys.ShortHelp()), m.width)
}
