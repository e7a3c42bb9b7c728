package ui

import (
	"slices"
	"strings"
	"testing"

	"github.com/leasetop/leasetop/hygiene"
	"github.com/leasetop/leasetop/internal/golden"
	"github.com/leasetop/leasetop/ui/dialog"
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
