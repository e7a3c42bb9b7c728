package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/ui/dialog"
	"github.com/leasetop/leasetop/ui/theme"
	"github.com/leasetop/leasetop/vaultclient"
)

// prefixOp revokes every lease under a prefix (sys/leases/revoke-prefix,
// async or sync) or force-revokes them (sys/leases/revoke-force), behind
// the prefix typed out (and, for force, "force" typed as well), then
// follows the prefix until no lease is listed under it.
type prefixOp struct {
	force      bool
	prefix     string
	count      int  // leases counted under prefix when the key was pressed
	partial    bool // the crawl was still running then
	ownToken   bool // the prefix covers the path that made leasetop's token
	sync       bool
	remaining  int // leases still listed
	started    time.Time
	lastFollow time.Time // when remaining was counted
}

// prefixDoneMsg answers the revoke-prefix or revoke-force call.
type prefixDoneMsg struct {
	queued bool
	err    error
}

// followMsg reports how many leases are left under the prefix.
type followMsg struct {
	remaining int
	err       error
}

// newPrefixOp captures the prefix the operator is looking at.
func newPrefixOp(c *Common, force bool) *prefixOp {
	o := &prefixOp{force: force, prefix: c.data.eng.Focus(), partial: c.crawlRunning()}
	if n := c.data.eng.Index().Node(o.prefix); n != nil {
		o.count = n.Count()
	}
	o.ownToken = c.data.vault.hasSelf && vaultclient.CoversOwnToken(o.prefix, c.data.vault.self)
	return o
}

func (o *prefixOp) name() string {
	if o.force {
		return "force revocation"
	}
	return "prefix revocation"
}

func (o *prefixOp) journalName() string {
	switch {
	case o.force:
		return "revoke-force"
	case o.sync:
		return "revoke-prefix-sync"
	}
	return "revoke-prefix"
}

func (o *prefixOp) policyPath(c *Common) string {
	if o.force {
		return "sys/leases/revoke-force/" + c.opt.Prefix
	}
	return "sys/leases/revoke-prefix/" + c.opt.Prefix
}

func (o *prefixOp) prepare(c *Common) (level, string) {
	if o.prefix == "" {
		return lvWarn, "select a prefix in the tree first: leasetop never revokes every lease at once"
	}
	return lvInfo, ""
}

func (o *prefixOp) confirm(c *Common, run func() tea.Cmd) (dialog.Dialog, tea.Cmd) {
	stages := []dialog.Stage{{Want: o.prefix}}
	var onTab func()
	if o.force {
		stages = append(stages, forceStage)
	} else {
		onTab = func() { o.sync = !o.sync }
	}
	return dialog.NewTyped(dialog.TypedConfig{
		Styles:    c.styles,
		Stages:    stages,
		Body:      func(stage int) string { return o.text(c, stage) },
		OnTab:     onTab,
		OnConfirm: run,
		OnCancel:  cancelled(c),
	})
}

func (o *prefixOp) text(c *Common, stage int) string {
	s := c.styles
	var b strings.Builder
	count := fmt.Sprintf("%d leases", o.count)
	if o.partial {
		count += " counted so far (the crawl is still running: there may be more)"
	}
	if o.force {
		fmt.Fprintf(&b, "%s\n\n", s.StatusErr.Render("FORCE-revoke every lease under "+o.prefix))
		fmt.Fprintf(&b, "Leases: %s\n\n", count)
		b.WriteString(forceWarning(c))
		if stage == 1 {
			b.WriteString(s.Bold.Render("Second confirmation.") + "\n")
		}
	} else {
		fmt.Fprintf(&b, "%s\n\n", s.StatusErr.Render("Revoke every lease under "+o.prefix))
		fmt.Fprintf(&b, "Leases: %s\n", count)
		mode := "async: Vault queues the revocations and answers at once"
		if o.sync {
			mode = "sync: wait until every revocation is done (slow on big prefixes)"
		}
		fmt.Fprintf(&b, "Mode:   %s  %s\n\n", mode, s.DialogHint.Render("(tab switches)"))
	}
	if o.ownToken {
		b.WriteString(s.StatusWarn.Render(fmt.Sprintf("Warning: leasetop's own token was created by %s, which is under\nthis prefix: it may revoke its own token and lock this session out.", c.data.vault.self.Path)) + "\n\n")
	}
	return b.String()
}

func (o *prefixOp) start(c *Common, seq int) tea.Cmd {
	o.started = c.now()
	be, parent, prefix, sync, force := c.data.be, c.ctx, o.prefix, o.sync, o.force
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, 10*time.Minute)
		defer cancel()
		if force {
			return actionMsg{seq: seq, body: prefixDoneMsg{err: be.RevokeForce(ctx, prefix)}}
		}
		r, err := be.RevokePrefix(ctx, prefix, sync)
		return actionMsg{seq: seq, body: prefixDoneMsg{queued: r.Queued, err: err}}
	}
}

func (o *prefixOp) update(r *root, body any) (tea.Cmd, bool) {
	c, seq := r.c, r.act.seq
	switch msg := body.(type) {
	case prefixDoneMsg:
		result := "ok"
		if msg.err != nil {
			result = plainError(msg.err)
		}
		c.journal(o.journalName(), nil, o.prefix, result)
		if msg.err != nil {
			return r.setStatus(lvErr, "revoking %s failed: %s", o.prefix, plainError(msg.err)), true
		}
		o.remaining = o.count
		how := "revoked"
		if msg.queued {
			how = "queued for revocation"
		}
		return tea.Batch(r.setStatus(lvInfo, "%s %s; following until no lease is left…", o.prefix, how), o.follow(c, seq, 0)), false
	case followMsg:
		if msg.err != nil {
			return r.setStatus(lvErr, "following %s: %s", o.prefix, plainError(msg.err)), true
		}
		o.remaining, o.lastFollow = msg.remaining, c.now()
		o.count = max(o.count, o.remaining)
		if msg.remaining > 0 && c.now().Sub(o.started) < 30*time.Minute {
			return o.follow(c, seq, time.Second), false
		}
		var refresh tea.Cmd
		if !c.data.eng.Paused() { // else the refresh on resume shows what is left
			refresh = r.drive(c.data.eng.Changed())
		}
		if msg.remaining > 0 {
			return tea.Batch(refresh, r.setStatus(lvWarn, "%s: %d leases still listed after 30 min", o.prefix, msg.remaining)), true
		}
		return tea.Batch(refresh, r.setStatus(lvOK, "%s: every lease revoked (%d)", o.prefix, o.count)), true
	}
	return nil, false
}

// follow counts the leases still listed under the prefix (lists only).
func (o *prefixOp) follow(c *Common, seq int, wait time.Duration) tea.Cmd {
	be, parent, prefix := c.data.be, c.ctx, o.prefix
	return tea.Tick(wait, func(time.Time) tea.Msg {
		ctx, cancel := context.WithTimeout(parent, time.Minute)
		defer cancel()
		n, err := crawl.Count(ctx, be, prefix)
		return actionMsg{seq: seq, body: followMsg{remaining: n, err: err}}
	})
}

func (o *prefixOp) progress() string {
	done := o.count - o.remaining
	pct := 0.0
	if o.count > 0 {
		pct = float64(done) / float64(o.count)
	}
	text := fmt.Sprintf("revoking %s %s %d/%d", shortPrefix(o.prefix), theme.Bar(pct, 16), done, o.count)
	// A big prefix takes minutes: say how fast it goes and when it ends.
	if elapsed := o.lastFollow.Sub(o.started); done > 0 && elapsed >= time.Second {
		rate := float64(done) / elapsed.Seconds()
		text += fmt.Sprintf(" · %.0f/s", rate)
		if o.remaining > 0 {
			text += " · about " + model.FormatDuration((time.Duration(float64(o.remaining)/rate) * time.Second).Round(time.Second)) + " left"
		}
	}
	return text
}
