package ui

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/ui/dialog"
	"github.com/leasetop/leasetop/ui/theme"
)

// radar is everything under the selected prefix that expires within a
// window, soonest first, beside a timeline and a roll-up by prefix.
type radar struct {
	c     *Common
	table *table
	// what the panel draws, computed with the rows in Sync, never per frame
	buckets []timelineBucket
	rollup  []prefixRollup
	// partial says how many leases under the prefix have a known TTL
	// while some are listed and not looked up yet, wrapped to the panel;
	// empty when all are.
	partial []string
}

// windowPresets are the radar's "expiring within" choices on the Window
// binding's first keys (1-3); its last key (4) asks for a custom window.
var windowPresets = []time.Duration{5 * time.Minute, time.Hour, 24 * time.Hour}

func newRadar(c *Common) Screen {
	t := newTable(c)
	t.window = time.Hour
	return &radar{c: c, table: t}
}

// Open shows the radar; a window key (1-4) also picks the window.
func (r *radar) Open(k tea.KeyPressMsg) tea.Cmd {
	r.table.cur.Reset()
	r.table.dirty = true
	if key.Matches(k, r.c.keys.Window) {
		return r.window(k)
	}
	return nil
}

func (r *radar) Prompt() string {
	if r.table.filtering {
		return r.table.input.View()
	}
	return ""
}

func (r *radar) Sync() tea.Cmd {
	changed, cmd := r.table.Sync()
	if changed || r.buckets == nil {
		r.buckets = timeline(r.table.rows, r.c.now(), r.table.window)
		r.rollup = rollup(r.table.rows)
	}
	r.partial = nil
	if n := r.c.data.eng.Index().Node(r.table.prefix); n != nil && n.Known() < n.Count() {
		line := ttlsKnown(n.Known(), n.Count(), r.c.crawlRunning())
		r.partial = strings.Split(ansi.Wordwrap(line, r.c.treeWidth()-2, ""), "\n")
	}
	return cmd
}

// ttlsKnown says that only known of total leases have been looked up, so
// the radar shows only those: the rest fill in as the crawl goes.
func ttlsKnown(known, total int, crawling bool) string {
	rest := "the rest are not looked up yet"
	if crawling {
		rest = "the radar fills in as the crawl goes"
	}
	return fmt.Sprintf("TTLs known for %s of %s leases — %s", model.FormatCount(known), model.FormatCount(total), rest)
}

func (r *radar) Update(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if r.table.filtering {
			return r.table.filterKey(msg), true
		}
		if key.Matches(msg, r.c.keys.Window) {
			return r.window(msg), true
		}
		return r.table.handleKey(msg, true)
	case tea.MouseWheelMsg:
		m := msg.Mouse()
		if m.X >= r.c.treeWidth() {
			r.table.wheel(map[tea.MouseButton]int{tea.MouseWheelUp: -3, tea.MouseWheelDown: 3}[m.Button])
		}
	case tea.MouseClickMsg:
		m := msg.Mouse()
		if m.Button == tea.MouseLeft && m.X >= r.c.treeWidth() {
			r.table.click(m.Y - bodyTop - 1)
		}
	default:
		return r.table.updateInput(msg), false
	}
	return nil, false
}

// KeyActions: the window's keys and the table's.
func (r *radar) KeyActions() []KeyAction {
	k := r.c.keys
	return keyActions([]key.Binding{k.Window, k.Filter, k.Sort, k.Renew, k.Revoke, k.Mark}, r.table.keyActions()...)
}

// window sets a preset window, or asks for a custom one.
func (r *radar) window(k tea.KeyPressMsg) tea.Cmd {
	c := r.c
	if i := slices.Index(c.keys.Window.Keys(), k.String()); i >= 0 && i < len(windowPresets) {
		r.setWindow(windowPresets[i])
		return nil
	}
	d, cmd := dialog.NewDuration(dialog.DurationConfig{
		Styles:      c.styles,
		Body:        c.styles.Title.Render("Expiry radar") + "\n\nShow the leases that expire within:\n\n",
		Hint:        "e.g. 90m, 3d · enter shows · esc cancels",
		Prompt:      "expiring within: ",
		Placeholder: "e.g. 90m, 3d",
		Value:       r.table.window,
		Check: func(d time.Duration) error {
			if d <= 0 {
				return fmt.Errorf("the window must be more than 0")
			}
			return nil
		},
		OnSubmit: func(d time.Duration) tea.Cmd {
			r.setWindow(d)
			return c.setStatus(lvInfo, "radar: expiring within %s", model.FormatDuration(d))
		},
	})
	c.openDialog(d)
	return cmd
}

func (r *radar) setWindow(d time.Duration) {
	r.table.window, r.table.dirty = d, true
	r.table.cur.Top = 0
}

func (r *radar) View() string {
	t := r.table
	title := fmt.Sprintf("expiring within %s under %s · %d", model.FormatDuration(t.window), shortPrefix(r.c.data.eng.Focus()), len(t.rows))
	return theme.Beside(r.viewPanel(), t.view(true, title))
}

// bucketSize picks the timeline's resolution for a window: 5 minutes up
// to an hour, an hour up to a day, a day beyond.
func bucketSize(window time.Duration) time.Duration {
	switch {
	case window <= time.Hour:
		return 5 * time.Minute
	case window <= 24*time.Hour:
		return time.Hour
	}
	return 24 * time.Hour
}

// timelineBucket counts the leases that expire in [Start, Start+size).
type timelineBucket struct {
	Start   time.Time
	Expired bool // the bucket of leases already past their expiry
	Count   int
}

// timeline buckets rows (already filtered to the window) by expiry, on
// clock-aligned boundaries so the bars move as time passes.
func timeline(rows []*model.Lease, now time.Time, window time.Duration) []timelineBucket {
	size := bucketSize(window)
	first := now.Truncate(size)
	if size == 24*time.Hour {
		y, mo, d := now.Date()
		first = time.Date(y, mo, d, 0, 0, 0, 0, now.Location())
	}
	n := int(now.Add(window).Sub(first)/size) + 1
	buckets := make([]timelineBucket, n+1)
	buckets[0].Expired = true
	for i := 1; i <= n; i++ {
		buckets[i].Start = first.Add(time.Duration(i-1) * size)
	}
	for _, l := range rows {
		if l.Pending() || l.Gone() || !l.HasExpiry() {
			continue
		}
		exp := l.ExpireTime()
		if !exp.After(now) {
			buckets[0].Count++
			continue
		}
		i := int(exp.Sub(first)/size) + 1
		if i >= 1 && i <= n {
			buckets[i].Count++
		}
	}
	return buckets
}

// prefixRollup is what expires soon under one prefix.
type prefixRollup struct {
	Prefix  string
	Count   int
	Soonest time.Time
}

func rollup(rows []*model.Lease) []prefixRollup {
	by := map[string]*prefixRollup{}
	for _, l := range rows {
		if l.Gone() || l.Pending() {
			continue
		}
		r := by[l.Prefix()]
		if r == nil {
			r = &prefixRollup{Prefix: l.Prefix()}
			by[l.Prefix()] = r
		}
		r.Count++
		if exp := l.ExpireTime(); r.Soonest.IsZero() || exp.Before(r.Soonest) {
			r.Soonest = exp
		}
	}
	out := make([]prefixRollup, 0, len(by))
	for _, r := range by {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Prefix < out[j].Prefix
	})
	return out
}

// viewPanel is the radar's left pane: the timeline and the roll-up.
func (r *radar) viewPanel() string {
	c := r.c
	s := c.styles
	w := c.treeWidth()
	inner := w - 2
	now := c.now()
	window := r.table.window
	var lines []string
	lines = append(lines, s.Bold.Render(fmt.Sprintf("%d leases expire within %s", len(r.table.rows), model.FormatDuration(window))))
	for _, l := range r.partial {
		lines = append(lines, s.Pending.Render(l))
	}
	lines = append(lines, s.Dim.Render("keys 1 5m · 2 1h · 3 24h · 4 custom"), "")
	peak := 1
	for _, b := range r.buckets {
		peak = max(peak, b.Count)
	}
	label := func(b timelineBucket) string {
		switch {
		case b.Expired:
			return "expired"
		case bucketSize(window) == 24*time.Hour:
			return b.Start.In(now.Location()).Format("Jan 02")
		}
		return b.Start.In(now.Location()).Format("15:04")
	}
	lines = append(lines, s.Bold.Render("by prefix"))
	for i, ro := range r.rollup {
		if i == 5 {
			lines = append(lines, s.Dim.Render("…"))
			break
		}
		right := fmt.Sprintf(" %6d %7s", ro.Count, model.FormatTTL(ro.Soonest.Sub(now)))
		lines = append(lines, theme.Fit(shortPrefix(ro.Prefix), inner-len(right))+right)
	}
	lines = append(lines, "", s.Bold.Render("timeline"))
	barW := max(inner-16, 4)
	for _, b := range r.buckets {
		n := b.Count * barW / peak
		if b.Count > 0 && n == 0 {
			n = 1
		}
		bar := strings.Repeat("█", n)
		st := s.OK
		switch {
		case b.Expired:
			st = s.Expired
		case b.Start.Before(now.Add(c.opt.Thresholds.Critical)):
			st = s.Critical
		case b.Start.Before(now.Add(c.opt.Thresholds.Warning)):
			st = s.Warning
		}
		lines = append(lines, fmt.Sprintf("%7s %s %s", label(b), st.Render(bar), fmtCount(b.Count)))
	}
	for i := range lines {
		lines[i] = theme.Fit(lines[i], inner)
	}
	if h := c.paneRows(); len(lines) > h {
		lines = lines[:h]
	}
	return c.pane(strings.Join(lines, "\n"), w, false, "expiry radar")
}
