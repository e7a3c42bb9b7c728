package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

// viewOverlay is the dialog on top of the screen, or "".
func (m Model) viewOverlay() string {
	w := min(m.width-4, 96)
	switch m.mode {
	case modeHelp:
		h := m.help
		h.ShowAll = true
		body := m.styles.Title.Render("keys") + "\n\n" + h.FullHelpView(m.keys.FullHelp()) + "\n\n" +
			m.styles.DialogHint.Render("TTL colours: red under "+model.FormatDuration(m.opt.Thresholds.Critical)+
				" (marked !), orange under "+model.FormatDuration(m.opt.Thresholds.Warning)+". esc closes.")
		return m.styles.Dialog.Width(w).Render(body)
	case modeDetail:
		return m.styles.Dialog.Width(w).Render(m.detailText(w - 4))
	case modeConfirm:
		return m.styles.DialogDanger.Width(min(w, 72)).Render(m.confirmText())
	case modeRenewPrompt:
		return m.styles.Dialog.Width(min(w, 72)).Render(m.renewPromptText())
	case modePrefixRevoke, modeForceRevoke:
		return m.styles.DialogDanger.Width(w).Render(m.prefixDialogText())
	case modeResults:
		return m.styles.Dialog.Width(w).Render(m.resultsText(w - 4))
	}
	return ""
}

func (m Model) detailText(w int) string {
	l := m.currentLease()
	if l == nil {
		return "no lease selected"
	}
	s := m.styles
	now := m.now()
	row := func(k, v string) string { return fmt.Sprintf("%-14s %s", k+":", v) }
	ttl, _ := m.ttlCell(l, now)
	lines := []string{
		s.Title.Render("lease"),
		"",
		row("id", l.ID()),
		row("prefix", l.Prefix()),
		row("ttl", ttl),
		row("expires", fullTime(l.ExpireTime(), "never")),
		row("issued", fullTime(l.IssueTime(), "—")),
		row("last renewal", fullTime(l.LastRenewal(), "never")),
		row("renewable", fmt.Sprint(l.Renewable())),
	}
	if mt, ok := vaultclient.MountOf(m.mounts, l.ID()); ok {
		lines = append(lines, row("mount", fmt.Sprintf("%s (%s)", mt.Path, mt.Type)))
	}
	if reason := model.RenewBlockReason(l, now); reason != "" {
		lines = append(lines, row("renew", "not here: "+reason))
	} else {
		lines = append(lines, row("renew", "r renews it through sys/leases/renew"))
	}
	if l.IsToken() {
		lines = append(lines, s.DialogHint.Render("Revoking a token lease revokes the token (and its children)."))
	}
	lines = append(lines, "", s.DialogHint.Render("esc closes"))
	for i := range lines {
		lines[i] = fit(lines[i], w)
	}
	return strings.Join(lines, "\n")
}

func fullTime(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.Format("2006-01-02 15:04:05 MST")
}

func (m Model) confirmText() string {
	a := m.act
	s := m.styles
	var b strings.Builder
	if len(a.ids) == 1 {
		fmt.Fprintf(&b, "%s\n\n%s\n", s.StatusErr.Render("Revoke this lease?"), a.ids[0])
		if vaultclient.IsTokenLease(a.ids[0]) {
			b.WriteString("\nIt is a token lease: revoking it revokes the token.\n")
		}
	} else {
		fmt.Fprintf(&b, "%s\n\n", s.StatusErr.Render(fmt.Sprintf("Revoke %d marked leases?", len(a.ids))))
		for i, id := range a.ids {
			if i == 5 {
				fmt.Fprintf(&b, "… and %d more\n", len(a.ids)-5)
				break
			}
			b.WriteString(id + "\n")
		}
	}
	b.WriteString("\nVault revokes the credentials behind them.\n\n")
	b.WriteString(s.Bold.Render("y") + " revokes · any other key cancels")
	return b.String()
}

func (m Model) renewPromptText() string {
	a := m.act
	s := m.styles
	var b strings.Builder
	if len(a.ids) == 1 {
		fmt.Fprintf(&b, "%s\n\n%s\n\n", s.Title.Render("Renew lease"), a.ids[0])
	} else {
		fmt.Fprintf(&b, "%s\n\n", s.Title.Render(fmt.Sprintf("Renew %d leases", len(a.ids))))
	}
	if len(a.skipped) > 0 {
		fmt.Fprintf(&b, "%d marked leases are skipped (token or not renewable).\n\n", len(a.skipped))
	}
	b.WriteString(m.input.View() + "\n")
	if a.inputErr != "" {
		b.WriteString(s.StatusErr.Render(a.inputErr) + "\n")
	}
	b.WriteString("\n" + s.DialogHint.Render("Vault treats the increment as advisory: it counts from now and\nis capped at the max TTL. enter renews · esc cancels"))
	return b.String()
}

func (m Model) prefixDialogText() string {
	a := m.act
	s := m.styles
	var b strings.Builder
	count := fmt.Sprintf("%d leases", a.count)
	if a.partial {
		count += " counted so far (the crawl is still running: there may be more)"
	}
	if a.kind == actForce || a.kind == actForceIDs {
		if a.kind == actForce {
			fmt.Fprintf(&b, "%s\n\n", s.StatusErr.Render("FORCE-revoke every lease under "+a.prefix))
			fmt.Fprintf(&b, "Leases: %s\n\n", count)
		} else {
			fmt.Fprintf(&b, "%s\n\n", s.StatusErr.Render("FORCE-revoke "+a.prefix))
			for i, id := range a.ids {
				if i == 3 {
					fmt.Fprintf(&b, "… and %d more\n", len(a.ids)-3)
					break
				}
				b.WriteString(id + "\n")
			}
			b.WriteString("\n")
		}
		b.WriteString(s.StatusErr.Render("Vault's warning: this deletes the leases from Vault while ignoring\n"+
			"errors from the secrets engine, so the credentials behind them may\n"+
			"stay valid. Use it only when the backend is gone for good.") + "\n\n")
		if a.stage == 1 {
			b.WriteString(s.Bold.Render("Second confirmation.") + "\n")
		}
	} else {
		fmt.Fprintf(&b, "%s\n\n", s.StatusErr.Render("Revoke every lease under "+a.prefix))
		fmt.Fprintf(&b, "Leases: %s\n", count)
		mode := "async: Vault queues the revocations and answers at once"
		if a.sync {
			mode = "sync: wait until every revocation is done (slow on big prefixes)"
		}
		fmt.Fprintf(&b, "Mode:   %s  %s\n\n", mode, s.DialogHint.Render("(tab switches)"))
	}
	if a.ownToken {
		b.WriteString(s.StatusWarn.Render(fmt.Sprintf("Warning: leasetop's own token was created by %s, which is under\nthis prefix: it may revoke its own token and lock this session out.", m.self.Path)) + "\n\n")
	}
	b.WriteString(m.input.View() + "\n")
	if a.inputErr != "" {
		b.WriteString(s.StatusErr.Render(a.inputErr) + "\n")
	}
	b.WriteString("\n" + s.DialogHint.Render("enter confirms · esc cancels"))
	return b.String()
}

func (m Model) resultsText(w int) string {
	a := m.act
	s := m.styles
	if a == nil {
		return ""
	}
	verb := "Revoke"
	if a.kind == actRenew {
		verb = "Renew"
	}
	lines := []string{s.Title.Render(fmt.Sprintf("%s: %d leases", verb, len(a.results)+len(a.skipped))), ""}
	all := append(append([]actionResult(nil), a.results...), a.skipped...)
	maxLines := max(m.height-10, 3)
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
		lines = append(lines, fit(shortID(r.id), w*2/5)+" "+res)
	}
	lines = append(lines, "", s.DialogHint.Render("esc closes"))
	for i := range lines {
		lines[i] = fit(lines[i], w)
	}
	return strings.Join(lines, "\n")
}
