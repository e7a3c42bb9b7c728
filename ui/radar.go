package ui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/model"
)

// windowPresets are the radar's "expiring within" choices on keys 1-3;
// 4 asks for a custom window.
var windowPresets = []time.Duration{5 * time.Minute, time.Hour, 24 * time.Hour}

// modeWindowPrompt is the custom window input.
const modeWindowPrompt = modeResults + 1

func (m Model) toggleRadar() (tea.Model, tea.Cmd) {
	if m.screen == screenRadar {
		m.screen = screenBrowser
	} else {
		m.screen = screenRadar
		m.focus = focusTable
	}
	m.rowsDirty, m.tableTop, m.tableSel = true, 0, ""
	return m, nil
}

func (m Model) onWindowKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if m.screen != screenRadar {
		m.screen = screenRadar
		m.focus = focusTable
	}
	switch msg.String() {
	case "1", "2", "3":
		m.window = windowPresets[msg.String()[0]-'1']
		m.rowsDirty, m.tableTop = true, 0
		return m, nil
	}
	m.mode = modeWindowPrompt
	m.input.Prompt = "expiring within: "
	m.input.Placeholder = "e.g. 90m, 3d"
	m.input.SetValue(model.FormatDuration(m.window))
	m.input.CursorEnd()
	return m, m.input.Focus()
}

func (m Model) onWindowPromptKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch msg.String() {
	case "esc":
		m.mode = modeNormal
		m.input.Blur()
		return m, nil
	case "enter":
		d, err := model.ParseDuration(m.input.Value())
		if err != nil || d == 0 {
			if err == nil {
				err = fmt.Errorf("the window must be more than 0")
			}
			return m, m.setStatus(lvErr, "%s", err)
		}
		m.window, m.mode = d, modeNormal
		m.input.Blur()
		m.rowsDirty, m.tableTop = true, 0
		return m, m.setStatus(lvInfo, "radar: expiring within %s", model.FormatDuration(d))
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
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

// radarData is what the radar's panel draws, computed with the rows (in
// Update, once per change or tick), never per frame.
type radarData struct {
	buckets []timelineBucket
	rollup  []prefixRollup
}

// viewRadarPanel is the radar's left pane: the timeline and the roll-up.
func (m Model) viewRadarPanel() string {
	s := m.styles
	w := m.treeWidth()
	inner := w - 2
	now := m.now()
	var lines []string
	lines = append(lines, s.Bold.Render(fmt.Sprintf("%d leases expire within %s", len(m.rows), model.FormatDuration(m.window))))
	lines = append(lines, s.Dim.Render("keys 1 5m · 2 1h · 3 24h · 4 custom"), "")
	buckets := m.radar.buckets
	peak := 1
	for _, b := range buckets {
		peak = max(peak, b.Count)
	}
	label := func(b timelineBucket) string {
		switch {
		case b.Expired:
			return "expired"
		case bucketSize(m.window) == 24*time.Hour:
			return b.Start.In(now.Location()).Format("Jan 02")
		}
		return b.Start.In(now.Location()).Format("15:04")
	}
	lines = append(lines, s.Bold.Render("by prefix"))
	for i, r := range m.radar.rollup {
		if i == 5 {
			lines = append(lines, s.Dim.Render("…"))
			break
		}
		right := fmt.Sprintf(" %6d %7s", r.Count, model.FormatTTL(r.Soonest.Sub(now)))
		lines = append(lines, fit(shortPrefix(r.Prefix), inner-len(right))+right)
	}
	lines = append(lines, "", s.Bold.Render("timeline"))
	barW := max(inner-16, 4)
	for _, b := range buckets {
		n := b.Count * barW / peak
		if b.Count > 0 && n == 0 {
			n = 1
		}
		bar := strings.Repeat("█", n)
		st := s.OK
		switch {
		case b.Expired:
			st = s.Expired
		case b.Start.Before(now.Add(m.opt.Thresholds.Critical)):
			st = s.Critical
		case b.Start.Before(now.Add(m.opt.Thresholds.Warning)):
			st = s.Warning
		}
		lines = append(lines, fmt.Sprintf("%7s %s %s", label(b), st.Render(bar), fmtCount(b.Count)))
	}
	for i := range lines {
		lines[i] = fit(lines[i], inner)
	}
	h := m.paneRows()
	if len(lines) > h {
		lines = lines[:h]
	}
	return m.pane(strings.Join(lines, "\n"), w, false, "expiry radar")
}

func fmtCount(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

// radarKeys handles the keys that only mean something on the radar.
func (m Model) radarKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd, bool) {
	if key.Matches(msg, m.keys.Window) {
		next, cmd := m.onWindowKey(msg)
		return next, cmd, true
	}
	return m, nil, false
}
