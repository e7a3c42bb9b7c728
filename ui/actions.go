package ui

import (
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/ui/dialog"
)

// operation is one typed action on Vault (renew, revoke, revoke-prefix,
// force, force-by-ids). Its targets are captured when the key is pressed:
// a refresh that moves rows while its dialog is open cannot change what
// it acts on. The root runs every operation the same way: the guard, the
// operation's confirmation, its run, its progress and its summary.
type operation interface {
	// name is the action in words ("renew", "prefix revocation"), for
	// refusals.
	name() string
	// policyPath is the Vault path whose capabilities it needs.
	policyPath(c *Common) string
	// prepare checks the captured targets; a non-empty reason refuses.
	prepare(c *Common) (lv level, reason string)
	// confirm is the dialog that asks; run starts the operation.
	confirm(c *Common, run func() tea.Cmd) (dialog.Dialog, tea.Cmd)
	// start makes the Vault calls; their answers come back as actionMsg.
	start(c *Common, seq int) tea.Cmd
	// update takes one answer; done reports the operation finished.
	update(r *root, body any) (cmd tea.Cmd, done bool)
	// progress is its status-bar text while it runs.
	progress() string
}

// action is the operation the root runs (or asks about), one at a time.
type action struct {
	seq     int
	op      operation
	running bool
	started time.Time
}

// actionMsg is one answer for the action seq; stale ones are dropped.
type actionMsg struct {
	seq  int
	body any
}

// start is the one guard every action passes: one action at a time,
// read-only, the token's capabilities, then the operation's own checks.
func (r *root) start(op operation) tea.Cmd {
	c := r.c
	if r.act != nil && r.act.running {
		return r.setStatus(lvWarn, "wait: the last action is still running")
	}
	if c.opt.ReadOnly {
		if why := c.opt.ReadOnlyWhy; why != "" {
			return r.setStatus(lvWarn, "%s is off: %s", op.name(), why)
		}
		return r.setStatus(lvWarn, "%s is off: leasetop runs with --read-only", op.name())
	}
	if msg := c.data.missingCap(op.policyPath(c)); msg != "" {
		return r.setStatus(lvErr, "%s: %s", op.name(), msg)
	}
	if lv, why := op.prepare(c); why != "" {
		return r.setStatus(lv, "%s", why)
	}
	r.opSeq++
	a := &action{seq: r.opSeq, op: op}
	r.act = a
	run := func() tea.Cmd {
		a.running, a.started = true, c.now()
		return tea.Batch(c.spin.Tick, op.start(c, a.seq))
	}
	d, cmd := op.confirm(c, run)
	r.openDialog(d)
	return cmd
}

func (r *root) onActionMsg(msg actionMsg) tea.Cmd {
	a := r.act
	if a == nil || a.seq != msg.seq || !a.running {
		return nil
	}
	cmd, done := a.op.update(r, msg.body)
	if done {
		a.running = false
	}
	return cmd
}

// journal records one applied action in the journal, if there is one.
func (c *Common) journal(action string, ids []string, prefix, result string) {
	if c.opt.Journal != nil {
		c.opt.Journal(action, ids, prefix, result)
	}
}

func cancelled(c *Common) func() tea.Cmd {
	return func() tea.Cmd { return c.setStatus(lvInfo, "cancelled: nothing was revoked") }
}

func shortID(id string) string {
	if len(id) > 60 {
		return id[:28] + "…" + id[len(id)-28:]
	}
	return id
}

func listIDs(ids []string, n int) string {
	var s string
	for i, id := range ids {
		if i == n {
			return s + fmt.Sprintf("… and %d more\n", len(ids)-n)
		}
		s += id + "\n"
	}
	return s
}
