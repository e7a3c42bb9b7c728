package ui

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/internal/golden"
	"github.com/leasetop/leasetop/ui/dialog"
	"github.com/leasetop/leasetop/vaultclient"
)

// withOwners is the fixed estate with an audit log that names the owners
// of the KV and database leases: an AppRole client that made two leases a
// minute ago, and a userpass user whose three are an hour old. The token
// leases cannot be joined through the log.
func withOwners(t *testing.T, be Backend) Model {
	return withOwnersAnd(t, be, Options{})
}

// withOwnersAnd is withOwners with opt (its audit log set).
func withOwnersAnd(t *testing.T, be Backend, opt Options) Model {
	opt.VaultAudit = "/var/log/vault_audit.log"
	m := newTest(t, be, opt)
	app := &audit.Owner{EntityID: "e-app", DisplayName: "approle", Metadata: map[string]string{"role_name": "billing"}, RemoteAddr: "10.0.0.7", UserAgent: "Go-http-client/1.1"}
	alice := &audit.Owner{EntityID: "e-alice", DisplayName: "userpass-alice", Metadata: map[string]string{"username": "alice"}, RemoteAddr: "10.0.0.9"}
	var es []audit.Entry
	for _, id := range []string{"secret/aws/k1", "secret/aws/k2"} {
		es = append(es, audit.Entry{LeaseID: id, Time: t0.Add(-time.Minute), Owner: app})
	}
	for _, id := range []string{"database/creds/readonly/AAA", "database/creds/readonly/BBB", "database/creds/readonly/CCC"} {
		es = append(es, audit.Entry{LeaseID: id, Time: t0.Add(-time.Hour), Owner: alice})
	}
	return send(m, auditMsg{entries: es})
}

// showOwners presses w and lets the screen read the token store.
func showOwners(m Model) Model { return runAction(m, keyMsg("w")) }

func TestOwnersGroupsLeasesByWhoMadeThem(t *testing.T) {
	m := showOwners(withOwners(t, &recorder{}))
	out := text(m)
	golden.Check(t, "owners_by_entity", out)
	for _, want := range []string{"userpass-alice alice · entity e-alice", "approle billing · entity e-app", "▲ 2", "no owner: a token lease"} {
		if !strings.Contains(out, want) {
			t.Errorf("owners screen lacks %q:\n%s", want, out)
		}
	}
	m = keys(m, "b") // by role
	for _, want := range []string{"username alice", "role_name billing"} {
		if !strings.Contains(text(m), want) {
			t.Errorf("by role lacks %q:\n%s", want, text(m))
		}
	}
	m = keys(m, "b", "b") // by remote address
	if !strings.Contains(text(m), "10.0.0.7") {
		t.Errorf("by remote lacks the address:\n%s", text(m))
	}
}

func TestOwnersWithoutASourceSaysSo(t *testing.T) {
	m := showOwners(newTest(t, &recorder{}, Options{}))
	if out := text(m); !strings.Contains(out, "No audit log given") || !strings.Contains(out, "no owner: no audit log given") {
		t.Errorf("no word about the missing source:\n%s", out)
	}
}

func TestOwnerEnterOpensItsLeasesInTheTable(t *testing.T) {
	m := keys(showOwners(withOwners(t, &recorder{})), "enter") // alice: 3 leases, the first row
	got := ids(m.screens["owners"].(*ownersScreen).table.rows)
	slices.Sort(got)
	want := []string{"database/creds/readonly/AAA", "database/creds/readonly/BBB", "database/creds/readonly/CCC"}
	if !slices.Equal(got, want) {
		t.Fatalf("alice's leases %v, want %v", got, want)
	}
	// The table is the lease table: details know the owner.
	m = keys(m, "enter")
	if out := text(m); !strings.Contains(out, "made by") || !strings.Contains(out, "username=alice") {
		t.Errorf("the detail does not name the owner:\n%s", out)
	}
	m = keys(m, "esc", "esc") // close the detail, back to the owners
	if strings.Contains(text(m), "leases of") {
		t.Errorf("esc did not return to the owners:\n%s", text(m))
	}
}

func TestRevokeOwnerRevokesExactlyItsLeasesAfterItsNameIsTyped(t *testing.T) {
	be := &recorder{}
	m := keys(showOwners(withOwners(t, be)), "j") // approle, the second row
	m = keys(m, "x")
	if overlay[*dialog.Typed](m) == nil || !strings.Contains(text(m), "Leases: 2") {
		t.Fatalf("x on an owner must ask for its name with the count:\n%s", text(m))
	}
	m = send(typeText(m, "billin"), keyMsg("enter"))
	if len(be.revoked) != 0 {
		t.Fatal("a wrong name revoked something")
	}
	m = typeText(m, "g")
	runAction(m, keyMsg("enter"))
	slices.Sort(be.revoked)
	if want := []string{"secret/aws/k1", "secret/aws/k2"}; !slices.Equal(be.revoked, want) {
		t.Errorf("revoked %v, want exactly %v", be.revoked, want)
	}
}

// With the token store read, a token lease has an owner; T revokes the
// owner's tokens by accessor, after its name is typed, and only those.
func TestRevokeOwnersTokensByAccessor(t *testing.T) {
	issued := t0.Add(-time.Hour) // the estate's leases were issued then
	be := &recorder{tokens: []vaultclient.AccessorInfo{
		{Accessor: "acc-billing-1", Path: "auth/approle/login", EntityID: "e-app", DisplayName: "approle", Meta: map[string]string{"role_name": "billing"}, IssueTime: issued, ExpireTime: t0.Add(30 * time.Minute)},
		{Accessor: "acc-billing-2", Path: "auth/approle/login", EntityID: "e-app", DisplayName: "approle", Meta: map[string]string{"role_name": "billing"}, IssueTime: issued.Add(-time.Hour)},
		{Accessor: "acc-alice", Path: "auth/userpass/login/alice", EntityID: "e-alice", DisplayName: "userpass-alice", Meta: map[string]string{"username": "alice"}, IssueTime: issued},
	}}
	m := showOwners(withOwners(t, be))
	out := text(m)
	if !strings.Contains(out, "token store: 3 tokens") || lineWith(out, "approle billing") == "" || !strings.Contains(lineWith(out, "approle billing"), " 4 ") {
		t.Fatalf("billing should own its 2 KV leases and the 2 token leases issued with its token:\n%s", out)
	}
	m = keys(m, "g", "T") // billing has the most leases now
	if overlay[*dialog.Typed](m) == nil || !strings.Contains(text(m), "Revoke 2 tokens of approle billing") || !strings.Contains(text(m), "orphan tokens excepted") {
		t.Fatalf("T must explain the cascade and ask for the name:\n%s", text(m))
	}
	runAction(typeText(m, "billing"), keyMsg("enter"))
	slices.Sort(be.accessors)
	if want := []string{"acc-billing-1", "acc-billing-2"}; !slices.Equal(be.accessors, want) {
		t.Errorf("revoked accessors %v, want %v", be.accessors, want)
	}
}

// Entity ids on the owners screen are named by Vault, once each.
func TestOwnersNameTheirEntities(t *testing.T) {
	be := &recorder{entities: map[string]string{"e-alice": "alice-laptop (auth/userpass/alice)"}}
	m := keys(withOwners(t, be), "w") // the token store is left unread
	o := m.screens["owners"].(*ownersScreen)
	// keys drops the step's commands: forget the lookup it sent, to hold
	// it here.
	clear(m.c.data.idents.entities)
	o.dirty = true
	lookup := o.Sync()
	if lookup == nil {
		t.Fatal("no lookup of the entities")
	}
	m = send(m, lookup())
	if out := text(m); !strings.Contains(out, "userpass-alice alice · entity alice-laptop (auth/userpass/alice)") || !strings.Contains(out, "approle billing · entity e-app") {
		t.Errorf("entities not named (or named wrongly):\n%s", out)
	}
	m = send(m, tickMsg(t0))
	if o.dirty = true; o.Sync() != nil {
		t.Error("entities were looked up again")
	}
}

// A problem with the audit log reads as words, not a Go error string.
func TestAuditLogProblemsInWords(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "open", Path: "/var/log/a.log", Err: fs.ErrPermission}, "may not read it (permission denied)"},
		{&fs.PathError{Op: "stat", Path: "/var/log/a.log", Err: fs.ErrNotExist}, "leasetop keeps looking for it"},
		{errors.New("audit: /var/log is a folder: follow the live file in it"), "audit log /var/log/a.log: /var/log is a folder"},
	} {
		m := newTest(t, &recorder{}, Options{VaultAudit: "/var/log/a.log"})
		m = keys(send(m, auditMsg{err: tt.err}), "w")
		if out := text(m); !strings.Contains(out, tt.want) || strings.Contains(out, "open /var") {
			t.Errorf("%v: the screen lacks %q:\n%s", tt.err, tt.want, out)
		}
	}
}
