package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

type actKind int

const (
	actRenew actKind = iota
	actRevoke
	actPrefix
	actForce
)

// action is one renew/revoke, from the key press to its results. Its ids
// (or prefix) are captured when the key is pressed: a refresh that moves
// rows while a dialog is open cannot change what it acts on.
type action struct {
	op        int
	kind      actKind
	ids       []string
	skipped   []actionResult // not sent: not renewable, token lease, ...
	prefix    string
	count     int  // leases counted under prefix when the key was pressed
	partial   bool // the crawl was still running then
	ownToken  bool // the prefix covers the path that made leasetop's token
	sync      bool
	stage     int // force revoke: 0 typed prefix, 1 typed "force"
	increment time.Duration
	inputErr  string

	running   bool
	ch        <-chan actionResult
	results   []actionResult
	remaining int // prefix revocations: leases still listed
	started   time.Time
}

// actionRunning refuses a second action while one runs, so that every
// result is reported (and logged) for the action it belongs to.
func (m *Model) actionRunning() tea.Cmd {
	if m.act != nil && m.act.running {
		return m.setStatus(lvWarn, "wait: the last action is still running")
	}
	return nil
}

func (m *Model) newAction(kind actKind) *action {
	m.opSeq++
	return &action{op: m.opSeq, kind: kind}
}

// targets returns the ids an action on marks (or the cursor) applies to.
func (m *Model) targets(marked bool) []string {
	if marked {
		ids := make([]string, 0, len(m.marks))
		for id := range m.marks {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return ids
	}
	if l := m.currentLease(); l != nil && m.focus == focusTable {
		return []string{l.ID()}
	}
	return nil
}

func (m Model) beginRenew(marked bool) (tea.Model, tea.Cmd) {
	if cmd := m.actionRunning(); cmd != nil {
		return m, cmd
	}
	if m.opt.ReadOnly {
		return m, m.setStatus(lvWarn, "renew is off: leasetop runs with --read-only")
	}
	if msg := m.missingCap("sys/leases/renew", "update"); msg != "" {
		return m, m.setStatus(lvErr, "%s", msg)
	}
	ids := m.targets(marked)
	if len(ids) == 0 {
		return m, m.setStatus(lvInfo, "nothing to renew: select a lease in the table or mark some with space")
	}
	a := m.newAction(actRenew)
	for _, id := range ids {
		l := m.idx.Lease(id)
		reason := "the lease is gone"
		if l != nil {
			reason = model.RenewBlockReason(l, m.now())
		}
		if reason != "" {
			a.skipped = append(a.skipped, actionResult{id: id, err: fmt.Errorf("%s", reason)})
			continue
		}
		a.ids = append(a.ids, id)
	}
	if len(a.ids) == 0 {
		if len(ids) == 1 {
			return m, m.setStatus(lvWarn, "cannot renew: %s", a.skipped[0].err)
		}
		return m, m.setStatus(lvWarn, "none of the %d marked leases can be renewed here (token or not renewable)", len(ids))
	}
	a.increment = m.opt.Increment
	m.act = a
	m.mode = modeRenewPrompt
	m.input.Prompt = "increment: "
	m.input.Placeholder = "e.g. 30m, 1h, 2d"
	m.input.SetValue(model.FormatDuration(a.increment))
	m.input.CursorEnd()
	return m, m.input.Focus()
}

func (m Model) onRenewPromptKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch msg.String() {
	case "esc":
		m.mode, m.act = modeNormal, nil
		m.input.Blur()
		return m, nil
	case "enter":
		d, err := model.ParseDuration(m.input.Value())
		if err != nil {
			m.act.inputErr = err.Error()
			return m, nil
		}
		m.act.increment = d
		m.input.Blur()
		return m.run()
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	m.act.inputErr = ""
	return m, cmd
}

func (m Model) beginRevoke(marked bool) (tea.Model, tea.Cmd) {
	if cmd := m.actionRunning(); cmd != nil {
		return m, cmd
	}
	if m.opt.ReadOnly {
		return m, m.setStatus(lvWarn, "revoke is off: leasetop runs with --read-only")
	}
	if msg := m.missingCap("sys/leases/revoke", "update"); msg != "" {
		return m, m.setStatus(lvErr, "%s", msg)
	}
	var ids []string
	for _, id := range m.targets(marked) {
		// A lease already gone (shown struck out), or revoked by this
		// session, is not revoked twice.
		if l := m.idx.Lease(id); (l == nil || !l.Gone()) && !m.revoked[id] {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		if l := m.currentLease(); !marked && l != nil && (l.Gone() || m.revoked[l.ID()]) {
			return m, m.setStatus(lvInfo, "that lease is already gone")
		}
		return m, m.setStatus(lvInfo, "nothing to revoke: select a lease in the table or mark some with space")
	}
	a := m.newAction(actRevoke)
	a.ids = ids
	a.sync = true
	m.act = a
	m.mode = modeConfirm
	return m, nil
}

func (m Model) onConfirmKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if msg.String() == "y" || msg.String() == "Y" {
		return m.run()
	}
	m.mode, m.act = modeNormal, nil
	return m, m.setStatus(lvInfo, "cancelled: nothing was revoked")
}

func (m Model) beginPrefixRevoke(force bool) (tea.Model, tea.Cmd) {
	if cmd := m.actionRunning(); cmd != nil {
		return m, cmd
	}
	if m.opt.ReadOnly {
		return m, m.setStatus(lvWarn, "prefix revocation is off: leasetop runs with --read-only")
	}
	prefix := m.treeSel
	if prefix == "" {
		return m, m.setStatus(lvWarn, "select a prefix in the tree first: leasetop never revokes every lease at once")
	}
	capPath, what := "sys/leases/revoke-prefix/"+m.opt.Prefix, "revoke-prefix"
	if force {
		capPath, what = "sys/leases/revoke-force/"+m.opt.Prefix, "revoke-force"
	}
	if msg := m.missingCap(capPath, "sudo"); msg != "" {
		return m, m.setStatus(lvErr, "%s: %s", what, msg)
	}
	a := m.newAction(actPrefix)
	if force {
		a.kind = actForce
	}
	a.prefix = prefix
	if n := m.idx.Node(prefix); n != nil {
		a.count = n.Count()
	}
	a.partial = m.crawl.running
	a.ownToken = m.hasSelf && vaultclient.CoversOwnToken(prefix, m.self)
	m.act = a
	if force {
		m.mode = modeForceRevoke
	} else {
		m.mode = modePrefixRevoke
	}
	m.input.Prompt = "type " + prefix + " to confirm: "
	m.input.Placeholder = ""
	m.input.SetValue("")
	return m, m.input.Focus()
}

func (m Model) onTypedConfirmKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	a := m.act
	switch msg.String() {
	case "esc":
		m.mode, m.act = modeNormal, nil
		m.input.Blur()
		return m, m.setStatus(lvInfo, "cancelled: nothing was revoked")
	case "tab":
		if a.kind == actPrefix {
			a.sync = !a.sync
		}
		return m, nil
	case "enter":
		want := a.prefix
		if (a.kind == actForce || a.kind == actForceIDs) && a.stage == 1 {
			want = "force"
		}
		if m.input.Value() != want {
			a.inputErr = fmt.Sprintf("type %q exactly (esc cancels)", want)
			return m, nil
		}
		if a.kind == actForce && a.stage == 0 {
			a.stage, a.inputErr = 1, ""
			m.input.Prompt = `type "force" to confirm: `
			m.input.Placeholder = ""
			m.input.SetValue("")
			return m, nil
		}
		m.input.Blur()
		return m.run()
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	a.inputErr = ""
	return m, cmd
}

// missingCap says which policy line is missing for path, or "" when the
// token may (or when capabilities are unknown: Vault will say).
func (m Model) missingCap(path, need string) string {
	caps, ok := m.caps[path]
	if !ok || m.capsErr != nil {
		return ""
	}
	if slices.Contains(caps, "root") {
		return ""
	}
	if slices.Contains(caps, "deny") || !slices.Contains(caps, need) && !(need == "update" && slices.Contains(caps, "sudo") && slices.Contains(caps, "update")) {
		pattern := path
		if strings.HasPrefix(path, "sys/leases/revoke-prefix/") {
			pattern = "sys/leases/revoke-prefix/*"
		} else if strings.HasPrefix(path, "sys/leases/revoke-force/") {
			pattern = "sys/leases/revoke-force/*"
		}
		capsWanted := `["update"]`
		if need == "sudo" {
			capsWanted = `["update", "sudo"]`
		}
		return fmt.Sprintf(`the token may not do this: it needs path "%s" { capabilities = %s }`, pattern, capsWanted)
	}
	return ""
}

// run starts the confirmed action.
func (m Model) run() (tea.Model, tea.Cmd) {
	a := m.act
	a.running, a.started = true, m.now()
	be := m.be
	switch a.kind {
	case actPrefix, actForce:
		m.mode = modeNormal
		op, prefix, sync, force := a.op, a.prefix, a.sync, a.kind == actForce
		return m, tea.Batch(m.spin.Tick, func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			if force {
				return prefixActionMsg{op: op, prefix: prefix, err: be.RevokeForce(ctx, prefix)}
			}
			r, err := be.RevokePrefix(ctx, prefix, sync)
			return prefixActionMsg{op: op, prefix: prefix, queued: r.Queued, err: err}
		})
	}
	m.mode = modeNormal
	ch := make(chan actionResult)
	a.ch = ch
	ids, kind, inc := a.ids, a.kind, a.increment
	go func() {
		defer close(ch)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4)
		for _, id := range ids {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				res := actionResult{id: id}
				switch kind {
				case actRenew:
					r, err := be.Renew(ctx, id, inc)
					res.renew, res.err = &r, err
				case actForceIDs:
					res.err = be.RevokeForce(ctx, id)
				default:
					r, err := be.Revoke(ctx, id, true)
					res.queued, res.err = r.Queued, err
				}
				ch <- res
			}()
		}
		wg.Wait()
	}()
	return m, tea.Batch(m.spin.Tick, waitStep(a.op, ch))
}

func waitStep(op int, ch <-chan actionResult) tea.Cmd {
	return func() tea.Msg {
		r, ok := <-ch
		return actionStepMsg{op: op, result: r, done: !ok}
	}
}

func (m Model) onActionStep(msg actionStepMsg) (tea.Model, tea.Cmd) {
	a := m.act
	if a == nil || a.op != msg.op {
		return m, nil
	}
	if !msg.done {
		r := msg.result
		a.results = append(a.results, r)
		m.audit(a, r)
		if r.err == nil && (a.kind == actRevoke || a.kind == actForceIDs) {
			m.revoked[r.id] = true
			m.idx.MarkGone(r.id, m.now())
			delete(m.marks, r.id)
			m.rowsDirty = true
		}
		return m, waitStep(a.op, a.ch)
	}
	a.running = false
	var renewed []string
	failed := 0
	for _, r := range a.results {
		if r.err != nil {
			failed++
		} else if a.kind == actRenew {
			renewed = append(renewed, r.id)
		}
	}
	var cmds []tea.Cmd
	if len(renewed) > 0 {
		cmds = append(cmds, m.lookupCmd(renewed)) // show the new expiry
	}
	if a.kind == actForceIDs {
		m.irr.loading = true
		cmds = append(cmds, m.loadIrrevocable())
	}
	verb := "revoked"
	switch a.kind {
	case actRenew:
		verb = "renewed"
	case actForceIDs:
		verb = "force-revoked"
	}
	total := len(a.results) + len(a.skipped)
	if total == 1 && len(a.results) == 1 {
		r := a.results[0]
		switch {
		case r.err != nil:
			cmds = append(cmds, m.setStatus(lvErr, "%s failed for %s: %s", strings.TrimSuffix(verb, "d"), shortID(r.id), plainError(r.err)))
		case r.renew != nil:
			lv, note := lvOK, ""
			if r.renew.Capped() {
				lv, note = lvWarn, " — Vault granted less than asked (max TTL)"
			}
			cmds = append(cmds, m.setStatus(lv, "renewed %s: asked %s, granted %s%s", shortID(r.id),
				model.FormatDuration(r.renew.Requested), model.FormatDuration(r.renew.Granted), note))
		default:
			cmds = append(cmds, m.setStatus(lvOK, "%s %s", verb, shortID(r.id)))
		}
		return m, tea.Batch(cmds...)
	}
	lv := lvOK
	if failed > 0 || len(a.skipped) > 0 {
		lv = lvWarn
	}
	cmds = append(cmds, m.setStatus(lv, "%s %d of %d leases (%d failed, %d skipped) — details shown", verb,
		len(a.results)-failed, total, failed, len(a.skipped)))
	m.mode = modeResults
	return m, tea.Batch(cmds...)
}

func (m Model) onPrefixAction(msg prefixActionMsg) (tea.Model, tea.Cmd) {
	a := m.act
	if a == nil || a.op != msg.op {
		return m, nil
	}
	result := "ok"
	if msg.err != nil {
		result = plainError(msg.err)
	}
	m.auditPrefix(a, result)
	if msg.err != nil {
		a.running = false
		return m, m.setStatus(lvErr, "revoking %s failed: %s", a.prefix, plainError(msg.err))
	}
	a.remaining = a.count
	how := "revoked"
	if msg.queued {
		how = "queued for revocation"
	}
	return m, tea.Batch(m.setStatus(lvInfo, "%s %s; following until no lease is left…", a.prefix, how), m.followCmd(a.op, a.prefix, 0))
}

// followCmd counts the leases still listed under prefix (lists only).
func (m Model) followCmd(op int, prefix string, wait time.Duration) tea.Cmd {
	be := m.be
	return tea.Tick(wait, func(time.Time) tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		n := 0
		var err error
		for ev := range be.Walk(ctx, prefix, vaultclient.WalkOptions{ListOnly: true}) {
			switch ev.Kind {
			case vaultclient.EventListed:
				n += len(ev.Listing.LeaseIDs)
			case vaultclient.EventError:
				err = ev.Err
			}
		}
		return followMsg{op: op, remaining: n, err: err}
	})
}

func (m Model) onFollow(msg followMsg) (tea.Model, tea.Cmd) {
	a := m.act
	if a == nil || a.op != msg.op {
		return m, nil
	}
	if msg.err != nil {
		a.running = false
		return m, m.setStatus(lvErr, "following %s: %s", a.prefix, plainError(msg.err))
	}
	a.remaining = msg.remaining
	if a.count < a.remaining {
		a.count = a.remaining
	}
	if msg.remaining > 0 && m.now().Sub(a.started) < 30*time.Minute {
		return m, m.followCmd(a.op, a.prefix, time.Second)
	}
	a.running = false
	refresh := m.startCrawl(true)
	if msg.remaining > 0 {
		return m, tea.Batch(refresh, m.setStatus(lvWarn, "%s: %d leases still listed after 30 min", a.prefix, msg.remaining))
	}
	return m, tea.Batch(refresh, m.setStatus(lvOK, "%s: every lease revoked (%d)", a.prefix, a.count))
}

func (m Model) audit(a *action, r actionResult) {
	if m.opt.AuditLog == nil {
		return
	}
	name, result := "revoke", "ok"
	if a.kind == actRenew {
		name = "renew"
		if r.renew != nil && r.err == nil {
			result = fmt.Sprintf("ok: asked %s, granted %s", model.FormatDuration(r.renew.Requested), model.FormatDuration(r.renew.Granted))
		}
	}
	if r.err != nil {
		result = plainError(r.err)
	}
	m.opt.AuditLog(name, []string{r.id}, "", result)
}

func (m Model) auditPrefix(a *action, result string) {
	if m.opt.AuditLog == nil {
		return
	}
	name := "revoke-prefix"
	if a.kind == actForce {
		name = "revoke-force"
	} else if a.sync {
		name = "revoke-prefix-sync"
	}
	m.opt.AuditLog(name, nil, a.prefix, result)
}

func shortID(id string) string {
	if len(id) > 60 {
		return id[:28] + "…" + id[len(id)-28:]
	}
	return id
}
