package ui

import (
	"errors"

	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/vaultclient"
)

// drive hands the engine's tasks to Bubble Tea, each a command whose
// answer goes back to the engine (root.update), and turns its events into
// what the screen shows.
func (r *root) drive(out crawl.Out) tea.Cmd {
	cmds := make([]tea.Cmd, 0, len(out.Tasks)+len(out.Events))
	for _, t := range out.Tasks {
		cmds = append(cmds, func() tea.Msg {
			if in := t(); in != nil {
				return in
			}
			return nil
		})
	}
	for _, ev := range out.Events {
		switch ev := ev.(type) {
		case crawl.Started:
			cmds = append(cmds, r.c.spin.Tick)
		case crawl.LookupsFailed:
			cmds = append(cmds, r.setStatus(lvWarn, "%d lookups failed: %s", ev.N, plainError(ev.Err)))
		}
	}
	return tea.Batch(cmds...)
}

// refresh lists Vault again now, unless a walk runs that forbids it.
func (r *root) refresh() tea.Cmd {
	out, ok := r.c.data.eng.Refresh()
	if !ok {
		return r.setStatus(lvInfo, "a crawl is already running")
	}
	return r.drive(out)
}

func (r *root) loadMounts() tea.Cmd {
	ctx, be := r.c.ctx, r.c.data.be
	return func() tea.Msg {
		ms, err := be.Mounts(ctx)
		return mountsMsg{mounts: ms, err: err}
	}
}

func (r *root) loadSelf() tea.Cmd {
	ctx, be := r.c.ctx, r.c.data.be
	return func() tea.Msg {
		s, err := be.Self(ctx)
		return selfMsg{self: s, err: err}
	}
}

// capPaths are the paths whose capabilities decide which keys work.
func capPaths(prefix string) []string {
	return []string{
		"sys/leases/lookup/" + prefix,
		"sys/leases/renew",
		"sys/leases/revoke",
		"sys/leases/revoke-prefix/" + prefix,
		"sys/leases/revoke-force/" + prefix,
		"auth/token/revoke-accessor",
	}
}

func (r *root) loadCaps() tea.Cmd {
	ctx, be, paths := r.c.ctx, r.c.data.be, capPaths(r.c.opt.Prefix)
	return func() tea.Msg {
		caps, err := be.Capabilities(ctx, paths)
		return capsMsg{caps: caps, err: err}
	}
}

// plainError is an error in words for the status bar: the client's errors
// already say what happened and what to do, without the token.
func plainError(err error) string {
	if err == nil {
		return ""
	}
	var e *vaultclient.Error
	if errors.As(err, &e) {
		msg := e.Kind.String()
		if len(e.Messages) > 0 && e.Kind != vaultclient.KindPermissionDenied {
			msg += ": " + e.Messages[0]
		}
		if e.Hint != "" {
			msg += " — " + e.Hint
		}
		return msg
	}
	return err.Error()
}
