package ui

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/hygiene"
	"github.com/leasetop/leasetop/internal/golden"
	"github.com/leasetop/leasetop/owners"
	"github.com/leasetop/leasetop/ui/dialog"
	"github.com/leasetop/leasetop/vaultclient"
)

// hygieneFixture is what the checks might answer: an orphaned database
// role, an AppRole role's token leases, and a check the token could not run.
func hygieneFixture() hygieneMsg {
	return hygieneMsg{
		findings: []hygiene.Finding{
			{Kind: hygiene.OrphanRole, Severity: hygiene.Warning, Prefix: "database/creds/readonly/", Leases: 3,
				LeaseIDs: []string{"database/creds/readonly/AAA", "database/creds/readonly/BBB", "database/creds/readonly/CCC"},
				Title:    "database role readonly is gone; 3 leases live on under database/creds/readonly/",
				Evidence: []string{"GET database/roles/readonly answers 404"},
				Action:   hygiene.Action{Kind: hygiene.RevokePrefix, Text: "revoke the prefix database/creds/readonly/"}},
			{Kind: hygiene.OrphanRole, Severity: hygiene.Warning, Prefix: "auth/approle/login/", Owner: "role_name=ci", Leases: 2,
				LeaseIDs: []string{"auth/approle/login/h1", "auth/approle/login/h2"},
				Title:    "approle role ci is gone; 2 of its tokens' leases live on",
				Evidence: []string{"GET auth/approle/role/ci answers 404"},
				Action:   hygiene.Action{Kind: hygiene.RevokeLeases, Text: "revoke these 2 leases (and with them their tokens)"}},
		},
		un: []hygiene.Unchecked{{Kind: hygiene.AuditCost, Missing: `path "sys/audit" { capabilities = ["read", "sudo"] }`, Reason: "permission denied on sys/audit"}},
	}
}

func TestHygieneScreenListsFindingsAndWhatIsUnchecked(t *testing.T) {
	m := send(keys(newTest(t, &recorder{}, Options{}), "D"), hygieneFixture())
	out := text(m)
	golden.Check(t, "hygiene", out)
	for _, want := range []string{"2 findings", "database role readonly is gone", "$ leasetop revoke --prefix database/creds/readonly/",
		`needs path "sys/audit"`} {
		if !strings.Contains(out, want) {
			t.Errorf("hygiene screen lacks %q:\n%s", want, out)
		}
	}
}

// x on a prefix finding revokes that prefix behind the prefix typed out;
// on a finding of lease ids, exactly those ids behind the owner typed out.
func TestHygieneFixIsBoundToTheFindingBehindTheTypedConfirmation(t *testing.T) {
	be := &recorder{}
	m := send(keys(newTest(t, be, Options{}), "D"), hygieneFixture())
	m = keys(m, "x")
	if overlay[*dialog.Typed](m) == nil {
		t.Fatalf("x opened no typed confirmation:\n%s", text(m))
	}
	m = typeText(m, "database/creds/readonly")
	m = send(m, keyMsg("enter"))
	if len(be.prefix) != 0 {
		t.Fatalf("a wrong confirmation revoked %v", be.prefix)
	}
	m = typeText(m, "/")
	m = runAction(m, keyMsg("enter"))
	if !slices.Equal(be.prefix, []string{"database/creds/readonly/"}) {
		t.Errorf("revoke-prefix calls %v", be.prefix)
	}

	m = send(keys(newTest(t, be, Options{}), "D"), hygieneFixture())
	m = keys(m, "j", "x")
	m = typeText(m, "role_name=ci")
	runAction(m, keyMsg("enter"))
	slices.Sort(be.revoked) // one request a lease, concurrently
	if !slices.Equal(be.revoked, []string{"auth/approle/login/h1", "auth/approle/login/h2"}) {
		t.Errorf("revoked %v, want the finding's two ids", be.revoked)
	}
}

// readerEstate is estate with 60 more leases under secret/aws/, made one a
// second by the AppRole role reader and never renewed, and extra more
// leases there (made by the role late) when extra > 0.
func readerEstate(extra int) ([]vaultclient.Event, []audit.Entry) {
	reader := &audit.Owner{EntityID: "e-reader", DisplayName: "approle", Metadata: map[string]string{"role_name": "reader"}}
	late := &audit.Owner{EntityID: "e-late", DisplayName: "approle", Metadata: map[string]string{"role_name": "late"}}
	ev := estate()
	var more []vaultclient.Event
	var es []audit.Entry
	add := func(id string, o *audit.Owner, made time.Time) {
		ev[len(ev)-8].Listing.LeaseIDs = append(ev[len(ev)-8].Listing.LeaseIDs, id) // secret/aws/'s listing
		l := lease(id, time.Hour, true)
		l.IssueTime = made
		more = append(more, vaultclient.Event{Kind: vaultclient.EventLease, Lease: l})
		es = append(es, audit.Entry{LeaseID: id, Time: made, Owner: o})
	}
	ev[len(ev)-8].Listing.LeaseIDs = slices.Clone(ev[len(ev)-8].Listing.LeaseIDs)
	for i := range 60 {
		add(fmt.Sprintf("secret/aws/r-%03d", i), reader, t0.Add(-time.Hour+time.Duration(i)*time.Second))
	}
	for i := range extra {
		add(fmt.Sprintf("secret/aws/s-%03d", i), late, t0.Add(-time.Minute))
	}
	return append(ev, more...), es
}

// The hygiene screen's lease-per-read and budget checks run in its
// command, on a copy taken when D was pressed, while the update loop goes
// on adding to the index and the audit log's attribution: they find what
// the index held then. (Run with -race: the copy shares nothing the loop
// changes, and the attribution's lookups take its lock.)
func TestHygieneChecksRunOnACopyWhileTheLoopGoesOn(t *testing.T) {
	budgets := []config.Budget{
		{Scope: config.ScopePrefix, Name: "secret/aws/", Max: 50, Warn: 0.8},
		{Scope: config.ScopeRole, Name: "reader", Max: 70, Warn: 0.8},
		{Scope: config.ScopeRole, Name: "late", Max: 10, Warn: 0.8},
	}
	m := newTest(t, &recorder{}, Options{VaultAudit: "/var/log/vault_audit.log", Budgets: budgets})
	ev, es := readerEstate(0)
	m = send(refresh(m, 2, true, ev), auditMsg{entries: es})
	idx, src := m.c.data.eng.Index(), owners.Source{Log: m.c.data.attribution()}
	var want []hygiene.Finding
	wantReuse, wantUn := hygiene.LeasePerRead(idx, src, hygiene.ReuseOptions{})
	wantBudget, budgetUn := hygiene.Budgets(idx, src, budgets)
	want = append(append(want, wantReuse...), wantBudget...)
	hygiene.Rank(want)
	wantUn = append(wantUn, budgetUn...)
	if len(wantReuse) != 1 || len(wantBudget) != 2 {
		t.Fatalf("the estate gives %d lease-per-read and %d budget findings, want 1 and 2", len(wantReuse), len(wantBudget))
	}

	cmd := newHygiene(m.c).(*hygieneView).load()
	got := make(chan hygieneMsg, 1)
	go func() {
		for _, c := range cmd().(tea.BatchMsg) {
			if msg, ok := c().(hygieneMsg); ok {
				got <- msg
			}
		}
	}()
	// Meanwhile, on the loop: 30 more leases of the role late, named by
	// the log, which would cross its budget.
	ev, es = readerEstate(30)
	m = send(refresh(m, 3, true, ev), auditMsg{entries: es})
	if after, _ := hygiene.Budgets(m.c.data.eng.Index(), src, budgets); len(after) == len(wantBudget) {
		t.Fatalf("the index moved on and the budgets find the same: the test proves nothing")
	}
	var msg hygieneMsg
	select {
	case msg = <-got:
	case <-time.After(time.Minute):
		t.Fatal("the checks did not end within a minute")
	}
	ours := func(k hygiene.Kind) bool { return k == hygiene.NoReuse || k == hygiene.OverBudget }
	var gotF []hygiene.Finding
	var gotUn []hygiene.Unchecked
	for _, f := range msg.findings {
		if ours(f.Kind) {
			gotF = append(gotF, f)
		}
	}
	for _, u := range msg.un {
		if ours(u.Kind) {
			gotUn = append(gotUn, u)
		}
	}
	if !reflect.DeepEqual(gotF, want) || !reflect.DeepEqual(gotUn, wantUn) {
		t.Errorf("the screen's checks found\n%+v\n%+v\nthe index when D was pressed\n%+v\n%+v", gotF, gotUn, want, wantUn)
	}
}
