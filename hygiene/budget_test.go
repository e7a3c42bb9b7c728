package hygiene

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
)

var now = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// budgetEstate: database/creds/app/ holds 90 leases (60 made by the
// AppRole role web, 30 by the userpass user bob), secret/kv/ 10 with no
// owner in the log; database/creds/old/ was never listed.
func budgetEstate() (*model.Index, owners.Source) {
	idx := model.NewIndex()
	idx.ApplyListing("", []string{"database/", "secret/"}, nil, now)
	idx.ApplyListing("database/", []string{"database/creds/"}, nil, now)
	idx.ApplyListing("database/creds/", []string{"database/creds/app/", "database/creds/denied/"}, nil, now)
	idx.SetPrefixError("database/creds/denied/", "permission denied")
	idx.ApplyListing("secret/", []string{"secret/kv/"}, nil, now)
	var app, kv []string
	log := audit.NewAttribution()
	web := &audit.Owner{EntityID: "e-web", DisplayName: "approle", Metadata: map[string]string{"role_name": "web"}}
	bob := &audit.Owner{EntityID: "e-bob", DisplayName: "userpass-bob", Metadata: map[string]string{"username": "bob"}}
	for i := range 90 {
		id := fmt.Sprintf("database/creds/app/%03d", i)
		app = append(app, id)
		o := web
		if i >= 60 {
			o = bob
		}
		log.Add(audit.Entry{LeaseID: id, Time: now.Add(-time.Minute), Owner: o})
	}
	for i := range 10 {
		kv = append(kv, fmt.Sprintf("secret/kv/%03d", i))
	}
	idx.ApplyListing("database/creds/app/", nil, app, now)
	idx.ApplyListing("secret/kv/", nil, kv, now)
	return idx, owners.Source{Log: log}
}

func TestBudgetUsagesAndTheirSeverity(t *testing.T) {
	idx, src := budgetEstate()
	b := func(scope config.Scope, name string, max int) config.Budget {
		return config.Budget{Scope: scope, Name: name, Max: max, Warn: 0.8}
	}
	for _, tt := range []struct {
		name     string
		budget   config.Budget
		used     int
		unowned  int
		severity Severity
	}{
		{"a prefix over", b(config.ScopePrefix, "database/creds/app/", 80), 90, 0, Critical},
		{"a prefix at its warn share", b(config.ScopePrefix, "database/creds/app/", 112), 90, 0, Warning},
		{"a prefix under", b(config.ScopePrefix, "database/creds/app/", 113), 90, 0, Info},
		{"a prefix exactly at its budget", b(config.ScopePrefix, "database/creds/app/", 90), 90, 0, Warning},
		{"a parent prefix", b(config.ScopePrefix, "database/", 95), 90, 0, Warning},
		{"all leases", b(config.ScopePrefix, "", 50), 100, 0, Critical},
		{"a listed prefix's absent child holds none", b(config.ScopePrefix, "secret/other/", 5), 0, 0, Info},
		{"a role", b(config.ScopeRole, "web", 50), 60, 10, Critical},
		{"a user", b(config.ScopeRole, "bob", 100), 30, 10, Info},
		{"an entity by id", b(config.ScopeEntity, "e-bob", 30), 30, 10, Warning},
		{"an entity by name", b(config.ScopeEntity, "web", 70), 60, 10, Warning},
		{"a mount", b(config.ScopeMount, "approle", 59), 60, 10, Critical},
		{"an owner that made none", b(config.ScopeRole, "nobody", 1), 0, 10, Info},
	} {
		t.Run(tt.name, func(t *testing.T) {
			us, unchecked := Usages(idx, src, []config.Budget{tt.budget})
			if len(unchecked) != 0 || len(us) != 1 {
				t.Fatalf("usages %+v, unchecked %+v", us, unchecked)
			}
			u := us[0]
			if u.Used != tt.used || u.Unowned != tt.unowned || u.Severity() != tt.severity {
				t.Errorf("used %d unowned %d severity %v; want %d, %d, %v", u.Used, u.Unowned, u.Severity(), tt.used, tt.unowned, tt.severity)
			}
		})
	}
}

func TestBudgetsThatCannotBeCountedSayWhy(t *testing.T) {
	idx, src := budgetEstate()
	for _, tt := range []struct {
		name    string
		budget  config.Budget
		src     owners.Source
		reason  string
		missing string
	}{
		{"an owner without the audit log", config.Budget{Scope: config.ScopeRole, Name: "web", Max: 5, Warn: 0.8}, owners.Source{}, "needs Vault's audit log", ""},
		{"a prefix whose listing was refused", config.Budget{Scope: config.ScopePrefix, Name: "database/creds/denied/", Max: 5, Warn: 0.8}, src,
			"its listing failed: permission denied", `path "sys/leases/lookup/database/creds/denied/*" { capabilities = ["list", "sudo"] }`},
		{"below a prefix whose listing was refused", config.Budget{Scope: config.ScopePrefix, Name: "database/creds/denied/x/", Max: 5, Warn: 0.8}, src,
			"the listing of database/creds/denied/ failed", `path "sys/leases/lookup/database/creds/denied/x/*" { capabilities = ["list", "sudo"] }`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fs, unchecked := Budgets(idx, tt.src, []config.Budget{tt.budget})
			if len(fs) != 0 || len(unchecked) != 1 {
				t.Fatalf("findings %+v unchecked %+v", fs, unchecked)
			}
			u := unchecked[0]
			if u.Kind != OverBudget || !strings.Contains(u.Reason, tt.reason) || u.Missing != tt.missing {
				t.Errorf("%+v; want the reason %q and missing %q", u, tt.reason, tt.missing)
			}
		})
	}
	// A prefix outside what was crawled is not a zero.
	part := model.NewIndex()
	part.ApplyListing("database/", nil, []string{"database/x"}, now)
	if _, un := Usages(part, owners.Source{}, []config.Budget{{Scope: config.ScopePrefix, Name: "secret/", Max: 1, Warn: 1}}); len(un) != 1 || !strings.Contains(un[0].Reason, "not listed") {
		t.Errorf("a prefix outside the crawl: %+v", un)
	}
}

func TestBudgetFindingsCarryTheirNumbers(t *testing.T) {
	idx, src := budgetEstate()
	fs, unchecked := Budgets(idx, src, []config.Budget{
		{Scope: config.ScopePrefix, Name: "database/creds/app/", Max: 80, Warn: 0.8},
		{Scope: config.ScopePrefix, Name: "secret/", Max: 100, Warn: 0.8},
		{Scope: config.ScopeRole, Name: "bob", Max: 35, Warn: 0.8},
	})
	if len(unchecked) != 0 || len(fs) != 2 {
		t.Fatalf("findings %+v unchecked %+v", fs, unchecked)
	}
	p, o := fs[0], fs[1]
	if p.Prefix != "database/creds/app/" || p.Severity != Critical || p.Leases != 90 ||
		p.Title != "prefix database/creds/app/ holds 90 leases, over its budget of 80 (112%)" {
		t.Errorf("the prefix's finding: %+v", p)
	}
	if o.Owner != "role bob" || o.Severity != Warning || o.Leases != 30 ||
		o.Title != "role bob holds 30 leases, near its budget of 35 (86%)" ||
		!strings.Contains(strings.Join(o.Evidence, "\n"), "10 more leases have no known owner") {
		t.Errorf("the owner's finding: %+v", o)
	}
}
