package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"

	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/ui/dialog"
	"github.com/leasetop/leasetop/ui/theme"
)

// The lines around the screens: the title bar, the status bar and the
// short help, and the full help on '?'.

func (r *root) viewTitle() string {
	c := r.c
	s := c.styles
	parts := []string{s.Title.Render("leasetop")}
	if name := c.opt.ContextName; name != "" {
		st := s.Bold
		if c.opt.Color != "" {
			// The context's colour, so prod never looks like staging;
			// the name itself says it without colour.
			st = st.Background(lipgloss.Color(c.opt.Color)).Foreground(lipgloss.Color("#ffffff")).Padding(0, 1)
		}
		parts = append(parts, st.Render(name))
	}
	parts = append(parts, c.data.be.Address())
	if ns := c.data.be.Namespace(); ns != "" {
		parts = append(parts, "ns "+ns)
	}
	parts = append(parts, fmt.Sprintf("%d leases", c.data.eng.Index().Len()))
	if c.opt.ReadOnly {
		parts = append(parts, s.StatusWarn.Render("READ-ONLY"))
	}
	return theme.Fit(strings.Join(parts, s.Dim.Render("  │  ")), c.width)
}

func (r *root) viewStatus() string {
	c := r.c
	s := c.styles
	var parts []string
	cr := c.data.eng.Status()
	switch {
	case cr.Crawling:
		// A refresh beside the lookups says nothing here: what it finds
		// shows as the fastest growth.
		parts = append(parts, fmt.Sprintf("%s crawling: %d prefixes, %d leases looked up", c.spin.View(), cr.Crawl.Listed, cr.Crawl.Leases))
	case cr.Refreshing:
		parts = append(parts, c.spin.View()+" refreshing")
	case !cr.LastOK.IsZero():
		parts = append(parts, fmt.Sprintf("refreshed %s (%s ago)", cr.LastOK.Format("15:04:05"), age(c.now().Sub(cr.LastOK))))
		if !cr.RestListed.IsZero() {
			parts = append(parts, s.Dim.Render(fmt.Sprintf("the rest of the tree %s ago", age(c.now().Sub(cr.RestListed)))))
		}
	}
	if !cr.StaleSince.IsZero() || (cr.Err != nil && cr.LastOK.IsZero()) {
		stale := "no data yet"
		if !cr.StaleSince.IsZero() {
			stale = fmt.Sprintf("STALE: data from %s (%s old)", cr.StaleSince.Format("15:04:05"), age(c.now().Sub(cr.StaleSince)))
		}
		parts = append(parts, s.StatusErr.Render(stale))
	}
	if a := r.act; a != nil && a.running {
		parts = append(parts, a.op.progress())
	}
	if r.status.text != "" {
		st := s.Dim
		switch r.status.lv {
		case lvOK:
			st = s.StatusOK
		case lvWarn:
			st = s.StatusWarn
		case lvErr:
			st = s.StatusErr
		}
		parts = append(parts, st.Render(r.status.text))
	} else if cr.Err != nil {
		parts = append(parts, s.StatusErr.Render(plainError(cr.Err)))
	} else if p, rate, ok := c.data.eng.Churn().Fastest(c.now(), nowWindow); ok && rate >= 1 {
		parts = append(parts, s.StatusWarn.Render(fmt.Sprintf("fastest growth: %s %s", shortPrefix(p), perMinute(rate))))
	}
	if cur, ceiling := c.data.be.Concurrency(); cur < ceiling && r.busy() {
		// The adaptive limit backed off: Vault is slow or overloaded (429, 502-504, no answer).
		// (Idle, nothing is in flight, and the limit does not matter.)
		// Last, so that it never hides an error.
		why := "it answers slowly"
		if c.data.be.LimitedByOverload() {
			why = "it said it is overloaded"
		}
		parts = append(parts, s.StatusWarn.Render(fmt.Sprintf("sparing Vault: %d of %d requests in flight (%s)", cur, ceiling, why)))
	}
	return theme.Fit(strings.Join(parts, s.Dim.Render(" │ ")), c.width)
}

func (r *root) viewFooter() string {
	if r.cmd != nil && r.cmd.open {
		return theme.Fit(r.cmd.view(), r.c.width)
	}
	if line := r.prompt(); line != "" && r.overlay == nil {
		return theme.Fit(line, r.c.width)
	}
	return theme.Fit(r.help.ShortHelpView(r.c.keys.shortHelp(r.screen().KeyActions())), r.c.width)
}

// globalActions are the keys the root answers on every screen: help,
// quit, the command line, a refresh, and the keys that open the screens.
func (r *root) globalActions() []KeyAction {
	k := r.c.keys
	bs := []key.Binding{k.Help, k.Quit, k.Command, k.Refresh}
	for _, e := range screens {
		if e.keys != nil {
			bs = append(bs, e.keys(k)...)
		}
	}
	return keyActions(nil, bs...)
}

// fullHelp is the '?' help: the root's keys and every screen's declared
// actions, so a key that works on any screen is in it.
func (r *root) fullHelp() [][]key.Binding {
	as := r.globalActions()
	for _, e := range screens {
		as = append(as, r.screens[e.name].KeyActions()...)
	}
	return r.c.keys.fullHelp(as)
}

func (r *root) helpDialog() dialog.Dialog {
	c := r.c
	return &dialog.Text{Styles: c.styles, Render: func(w, h int) string {
		hm := r.help
		hm.ShowAll = true
		hm.SetWidth(w)
		return c.styles.Title.Render("keys") + "\n\n" + hm.FullHelpView(r.fullHelp()) + "\n\n" +
			c.styles.DialogHint.Render("TTL colours: red under "+model.FormatDuration(c.opt.Thresholds.Critical)+
				" (marked !), orange under "+model.FormatDuration(c.opt.Thresholds.Warning)+". esc closes.")
	}}
}

func age(d time.Duration) string {
	if d < time.Second {
		return "0s"
	}
	return model.FormatDuration(d.Truncate(time.Second))
}
