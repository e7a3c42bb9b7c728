package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/ui/dialog"
	"github.com/leasetop/leasetop/ui/theme"
	"github.com/leasetop/leasetop/vaultclient"
)

// Operations that call Vault once per lease id: renew, revoke and
// force-revoke by id. They share the runner below.

// actionResult is the outcome of an action on one lease.
type actionResult struct {
	id     string
	renew  *vaultclient.RenewResult
	queued bool
	err    error
}

// stepMsg reports one lease done (or, with done, that all are).
type stepMsg struct {
	result actionResult
	done   bool
}

// perLease runs one call per id, four at a time, and collects results.
type perLease struct {
	ids []string
	// last are ids among ids sent only once every other id is answered:
	// those that may revoke leasetop's own token, so that losing the
	// token cannot stop the others.
	last    []string
	skipped []actionResult // not sent: not renewable, token lease, ...
	results []actionResult
	ch      <-chan actionResult
}

func (p *perLease) run(c *Common, seq int, call func(ctx context.Context, id string) actionResult) tea.Cmd {
	ch := make(chan actionResult)
	p.ch = ch
	last := slices.DeleteFunc(slices.Clone(p.last), func(id string) bool { return !slices.Contains(p.ids, id) })
	first := slices.DeleteFunc(slices.Clone(p.ids), func(id string) bool { return slices.Contains(last, id) })
	parent := c.ctx
	go func() {
		defer close(ch)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4)
		for _, ids := range [][]string{first, last} {
			for _, id := range ids {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; wg.Done() }()
					ctx, cancel := context.WithTimeout(parent, time.Minute)
					defer cancel()
					ch <- call(ctx, id)
				}()
			}
			wg.Wait()
		}
	}()
	return waitStep(seq, ch)
}

func waitStep(seq int, ch <-chan actionResult) tea.Cmd {
	return func() tea.Msg {
		r, ok := <-ch
		return actionMsg{seq: seq, body: stepMsg{result: r, done: !ok}}
	}
}

func (p *perLease) progressText(verb string) string {
	total := len(p.ids)
	pct := float64(len(p.results)) / float64(max(total, 1))
	return fmt.Sprintf("%s %s %d/%d", verb, theme.Bar(pct, 16), len(p.results), total)
}

// summary reports a finished per-lease action: one lease in the status
// bar, several in a results dialog.
func (p *perLease) summary(r *root, verb, title string) tea.Cmd {
	total := len(p.results) + len(p.skipped)
	if total == 1 && len(p.results) == 1 {
		res := p.results[0]
		switch {
		case res.err != nil:
			return r.setStatus(lvErr, "%s failed for %s: %s", strings.TrimSuffix(verb, "d"), shortID(res.id), plainError(res.err))
		case res.renew != nil:
			lv, note := lvOK, ""
			if res.renew.Capped() {
				lv, note = lvWarn, " — Vault granted less than asked (max TTL)"
			}
			return r.setStatus(lv, "renewed %s: asked %s, granted %s%s", shortID(res.id),
				model.FormatDuration(res.renew.Requested), model.FormatDuration(res.renew.Granted), note)
		}
		return r.setStatus(lvOK, "%s %s", verb, shortID(res.id))
	}
	failed := 0
	for _, res := range p.results {
		if res.err != nil {
			failed++
		}
	}
	lv := lvOK
	if failed > 0 || len(p.skipped) > 0 {
		lv = lvWarn
	}
	all := append(append([]actionResult(nil), p.results...), p.skipped...)
	r.openDialog(resultsDialog(r.c, title, all))
	return r.setStatus(lv, "%s %d of %d leases (%d failed, %d skipped) — details shown", verb,
		len(p.results)-failed, total, failed, len(p.skipped))
}

// resultsDialog lists every lease of a bulk action with its outcome.
func resultsDialog(c *Common, title string, all []actionResult) dialog.Dialog {
	return &dialog.Text{Styles: c.styles, Render: func(w, h int) string {
		s := c.styles
		lines := []string{s.Title.Render(fmt.Sprintf("%s: %d leases", title, len(all))), ""}
		maxLines := max(h-10, 3)
		for i, r := range all {
			if i == maxLines {
				lines = append(lines, fmt.Sprintf("… and %d more", len(all)-maxLines))
				break
			}
			var res string
			switch {
			case r.err != nil:
				res = s.StatusErr.Render("✗ " + plainError(r.err))
			case r.renew != nil:
				res = fmt.Sprintf("✓ asked %s, granted %s", model.FormatDuration(r.renew.Requested), model.FormatDuration(r.renew.Granted))
				if r.renew.Capped() {
					res = s.StatusWarn.Render(res + " (capped by max TTL)")
				} else {
					res = s.StatusOK.Render(res)
				}
			default:
				res = s.StatusOK.Render("✓ revoked")
			}
			lines = append(lines, theme.Fit(shortID(r.id), w*2/5)+" "+res)
		}
		lines = append(lines, "", s.DialogHint.Render("esc closes"))
		for i := range lines {
			lines[i] = theme.Fit(lines[i], w)
		}
		return strings.Join(lines, "\n")
	}}
}

// renewOp renews leases by an increment the operator types. Vault treats
// the increment as advisory, so each result shows asked and granted.
type renewOp struct {
	perLease
	increment time.Duration
}

func newRenewOp(ids []string) *renewOp { return &renewOp{perLease: perLease{ids: ids}} }

func (o *renewOp) name() string                { return "renew" }
func (o *renewOp) policyPath(c *Common) string { return "sys/leases/renew" }

func (o *renewOp) prepare(c *Common) (level, string) {
	asked := o.ids
	if len(asked) == 0 {
		return lvInfo, "nothing to renew: select a lease in the table or mark some with space"
	}
	o.ids = nil
	for _, id := range asked {
		reason := "the lease is gone"
		if l := c.data.eng.Index().Lease(id); l != nil {
			reason = model.RenewBlockReason(l, c.now())
		}
		if reason != "" {
			o.skipped = append(o.skipped, actionResult{id: id, err: fmt.Errorf("%s", reason)})
			continue
		}
		o.ids = append(o.ids, id)
	}
	if len(o.ids) == 0 {
		if len(asked) == 1 {
			return lvWarn, fmt.Sprintf("cannot renew: %s", o.skipped[0].err)
		}
		return lvWarn, fmt.Sprintf("none of the %d marked leases can be renewed here (token or not renewable)", len(asked))
	}
	return lvInfo, ""
}

func (o *renewOp) confirm(c *Common, run func() tea.Cmd) (dialog.Dialog, tea.Cmd) {
	s := c.styles
	var b strings.Builder
	if len(o.ids) == 1 {
		fmt.Fprintf(&b, "%s\n\n%s\n\n", s.Title.Render("Renew lease"), o.ids[0])
	} else {
		fmt.Fprintf(&b, "%s\n\n", s.Title.Render(fmt.Sprintf("Renew %d leases", len(o.ids))))
	}
	if len(o.skipped) > 0 {
		fmt.Fprintf(&b, "%d marked leases are skipped (token or not renewable).\n\n", len(o.skipped))
	}
	d, cmd := dialog.NewDuration(dialog.DurationConfig{
		Styles:      s,
		Body:        b.String(),
		Hint:        "Vault treats the increment as advisory: it counts from now and\nis capped at the max TTL. enter renews · esc cancels",
		Prompt:      "increment: ",
		Placeholder: "e.g. 30m, 1h, 2d",
		Value:       c.opt.Increment,
		OnSubmit: func(d time.Duration) tea.Cmd {
			o.increment = d
			return run()
		},
	})
	return d, cmd
}

func (o *renewOp) start(c *Common, seq int) tea.Cmd {
	be, inc := c.data.be, o.increment
	return o.run(c, seq, func(ctx context.Context, id string) actionResult {
		r, err := be.Renew(ctx, id, inc)
		return actionResult{id: id, renew: &r, err: err}
	})
}

func (o *renewOp) update(r *root, body any) (tea.Cmd, bool) {
	step, ok := body.(stepMsg)
	if !ok {
		return nil, false
	}
	if !step.done {
		res := step.result
		o.results = append(o.results, res)
		result := "ok"
		switch {
		case res.err != nil:
			result = plainError(res.err)
		case res.renew != nil:
			result = fmt.Sprintf("ok: asked %s, granted %s", model.FormatDuration(res.renew.Requested), model.FormatDuration(res.renew.Granted))
		}
		r.c.journal("renew", []string{res.id}, "", result)
		return waitStep(r.act.seq, o.ch), false
	}
	var renewed []string
	for _, res := range o.results {
		if res.err == nil {
			renewed = append(renewed, res.id)
		}
	}
	var cmds []tea.Cmd
	if len(renewed) > 0 {
		cmds = append(cmds, r.drive(r.c.data.eng.LookUp(renewed))) // show the new expiry
	}
	return tea.Batch(append(cmds, o.summary(r, "renewed", "Renew"))...), true
}

func (o *renewOp) progress() string { return o.progressText("renewing") }

// revokeOp revokes leases one id at a time (sync), after y.
type revokeOp struct{ perLease }

func newRevokeOp(ids []string) *revokeOp { return &revokeOp{perLease{ids: ids}} }

func (o *revokeOp) name() string                { return "revoke" }
func (o *revokeOp) policyPath(c *Common) string { return "sys/leases/revoke" }

func (o *revokeOp) prepare(c *Common) (level, string) {
	asked := o.ids
	o.ids = nil
	for _, id := range asked {
		// A lease already gone (shown struck out), or revoked by this
		// session, is not revoked twice.
		if l := c.data.eng.Index().Lease(id); (l == nil || !l.Gone()) && !c.data.revoked[id] {
			o.ids = append(o.ids, id)
		}
	}
	if len(o.ids) > 0 {
		return lvInfo, ""
	}
	if len(asked) == 1 {
		return lvInfo, "that lease is already gone"
	}
	return lvInfo, "nothing to revoke: select a lease in the table or mark some with space"
}

func (o *revokeOp) confirm(c *Common, run func() tea.Cmd) (dialog.Dialog, tea.Cmd) {
	s := c.styles
	var b strings.Builder
	if len(o.ids) == 1 {
		fmt.Fprintf(&b, "%s\n\n%s\n", s.StatusErr.Render("Revoke this lease?"), o.ids[0])
		if leaseid.IsToken(o.ids[0]) {
			b.WriteString("\nIt is a token lease: revoking it revokes the token.\n")
		}
	} else {
		fmt.Fprintf(&b, "%s\n\n", s.StatusErr.Render(fmt.Sprintf("Revoke %d marked leases?", len(o.ids))))
		b.WriteString(listIDs(o.ids, 5))
	}
	b.WriteString("\nVault revokes the credentials behind them.\n\n")
	b.WriteString(s.Bold.Render("y") + " revokes · any other key cancels")
	text := b.String()
	return &dialog.Confirm{Styles: s, Body: func() string { return text }, OnYes: run, OnNo: cancelled(c)}, nil
}

func (o *revokeOp) start(c *Common, seq int) tea.Cmd {
	be := c.data.be
	return o.run(c, seq, func(ctx context.Context, id string) actionResult {
		r, err := be.Revoke(ctx, id, true)
		return actionResult{id: id, queued: r.Queued, err: err}
	})
}

func (o *revokeOp) update(r *root, body any) (tea.Cmd, bool) {
	return revokedStep(r, &o.perLease, body, "revoke", "revoked")
}

func (o *revokeOp) progress() string { return o.progressText("revoking") }

// revokedStep records one revocation (or, when done, summarises them).
func revokedStep(r *root, p *perLease, body any, journalName, verb string) (tea.Cmd, bool) {
	c := r.c
	step, ok := body.(stepMsg)
	if !ok {
		return nil, false
	}
	if step.done {
		return p.summary(r, verb, "Revoke"), true
	}
	res := step.result
	p.results = append(p.results, res)
	result := "ok"
	if res.err != nil {
		result = plainError(res.err)
	}
	c.journal(journalName, []string{res.id}, "", result)
	if res.err == nil {
		c.data.revoked[res.id] = true
		c.data.eng.Index().MarkGone(res.id, c.now())
		delete(c.data.marks, res.id)
	}
	return waitStep(r.act.seq, p.ch), false
}

// forceIDsOp force-revokes irrevocable leases, one full id at a time,
// behind a typed "force".
type forceIDsOp struct {
	perLease
	what string
}

// forceRevokedMsg tells the screens that leases were force-revoked.
type forceRevokedMsg struct{}

func (o *forceIDsOp) name() string { return "force revocation" }
func (o *forceIDsOp) policyPath(c *Common) string {
	return "sys/leases/revoke-force/" + c.opt.Prefix
}

func (o *forceIDsOp) prepare(c *Common) (level, string) {
	if len(o.ids) == 0 {
		return lvInfo, "no irrevocable lease selected"
	}
	return lvInfo, ""
}

func (o *forceIDsOp) confirm(c *Common, run func() tea.Cmd) (dialog.Dialog, tea.Cmd) {
	s := c.styles
	return dialog.NewTyped(dialog.TypedConfig{
		Styles: s,
		Stages: []dialog.Stage{forceStage},
		Body: func(int) string {
			var b strings.Builder
			fmt.Fprintf(&b, "%s\n\n", s.StatusErr.Render("FORCE-revoke "+o.what))
			b.WriteString(listIDs(o.ids, 3) + "\n")
			b.WriteString(forceWarning(c) + s.Bold.Render("Second confirmation.") + "\n")
			return b.String()
		},
		OnConfirm: run,
		OnCancel:  cancelled(c),
	})
}

func (o *forceIDsOp) start(c *Common, seq int) tea.Cmd {
	be := c.data.be
	return o.run(c, seq, func(ctx context.Context, id string) actionResult {
		return actionResult{id: id, err: be.RevokeForce(ctx, id)}
	})
}

func (o *forceIDsOp) update(r *root, body any) (tea.Cmd, bool) {
	cmd, done := revokedStep(r, &o.perLease, body, "revoke", "force-revoked")
	if done {
		cmd = tea.Batch(cmd, r.broadcast(forceRevokedMsg{}))
	}
	return cmd, done
}

func (o *forceIDsOp) progress() string { return o.progressText("revoking") }

// forceStage is the second typed confirmation of a force revocation: the
// word itself, quoted so that it reads as something to type.
var forceStage = dialog.Stage{Want: "force", Prompt: `type "force" to confirm: `}

// forceWarning is Vault's own warning about force revocation.
func forceWarning(c *Common) string {
	return c.styles.StatusErr.Render("Vault's warning: this deletes the leases from Vault while ignoring\n"+
		"errors from the secrets engine, so the credentials behind them may\n"+
		"stay valid. Use it only when the backend is gone for good.") + "\n\n"
}
