package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
)

// How one lease's facts read in a cell: the TTL with its urgency, times,
// renewability, ids and prefixes shortened to fit.

func (c *Common) ttlCell(l *model.Lease, now time.Time) (string, lipgloss.Style) {
	s := c.styles
	if l.Pending() {
		return "…", s.Pending
	}
	if l.Gone() {
		return "gone", s.Gone
	}
	ttl := l.TTL(now)
	switch model.Urgency(ttl, l.HasExpiry(), c.opt.Thresholds) {
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

func fullTime(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.Format("2006-01-02 15:04:05 MST")
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

// fitID shortens a lease id to w cells keeping its end, the random part
// that tells leases apart: "database/cre…/readonly/AbC123".
func fitID(id string, w int) string {
	if len(id) <= w || w < 8 {
		return id
	}
	keep := min(len(leaseid.Key(id)), max(10, w/2))
	head := w - keep - 1
	return id[:head] + "…" + id[len(id)-keep:]
}

func fmtCount(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

// kvNote explains an empty KV mount: KV never issues leases, although its
// reads carry a lease duration.
func (d *domainData) kvNote(prefix string) string {
	for _, mt := range d.vault.mounts {
		if strings.HasPrefix(prefix, mt.Path) && mt.IssuesNoLeases() {
			if n := d.eng.Index().Node(mt.Path); n != nil && n.Count() > 0 {
				return "" // a dev server's leased KV does issue them
			}
			return fmt.Sprintf("%s is a KV v%s mount: KV issues no leases, although its reads show a lease_duration (a refresh hint)", mt.Path, mt.KVVersion)
		}
	}
	return ""
}
