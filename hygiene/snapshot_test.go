package hygiene

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
)

// checksOf is what LeasePerRead and Budgets find, from the index or from
// a copy of it.
type checksOf struct {
	reuse    []Finding
	reuseUn  []Unchecked
	budget   []Finding
	budgetUn []Unchecked
}

func fromIndex(idx *model.Index, src owners.Source, bs []config.Budget) checksOf {
	var c checksOf
	c.reuse, c.reuseUn = LeasePerRead(idx, src, ReuseOptions{Now: now})
	c.budget, c.budgetUn = Budgets(idx, src, bs)
	return c
}

func fromCopy(ls *Leases, src owners.Source, bs []config.Budget) checksOf {
	var c checksOf
	c.reuse, c.reuseUn = ls.LeasePerRead(src, ReuseOptions{Now: now})
	c.budget, c.budgetUn = ls.Budgets(src, bs)
	return c
}

// The checks find the same from a copy of the index, sorted or not, as
// from the index it was taken from, after the index moved on: leases
// made, renewed and gone since, and leases the audit log names since.
func TestChecksFindTheSameFromACopyAsFromTheIndex(t *testing.T) {
	b := func(scope config.Scope, name string, max int) config.Budget {
		return config.Budget{Scope: scope, Name: name, Max: max, Warn: 0.8}
	}
	reuse := func(cs []client) func() (*model.Index, owners.Source) {
		return func() (*model.Index, owners.Source) {
			idx, src, _ := reuseEstate(cs)
			idx.ApplyListing("", []string{"secret/", "db/"}, nil, now)
			idx.ApplyListing("db/", []string{"db/creds/", "db/denied/"}, nil, now)
			idx.SetPrefixError("db/denied/", "permission denied")
			return idx, src
		}
	}
	for _, tt := range []struct {
		name    string
		estate  func() (*model.Index, owners.Source)
		budgets []config.Budget
	}{
		{"readers, renewers, pending and a refused listing", reuse([]client{
			{name: "reader", path: "secret/shared/", n: 60, owned: true},
			{name: "renewer", path: "secret/shared/", n: 60, renewed: 1, owned: true},
			{name: "late", path: "secret/shared/", n: 55, pending: true, owned: true},
			{name: "big", path: "secret/big/", n: 600, owned: true},
			{name: "nobody", path: "db/creds/x/", n: 80},
		}), []config.Budget{b(config.ScopePrefix, "secret/", 500), b(config.ScopeRole, "big", 100), b(config.ScopeEntity, "reader", 1000)}},
		{"budgets of every kind", budgetEstate, []config.Budget{
			b(config.ScopePrefix, "database/creds/app/", 80), b(config.ScopePrefix, "secret/kv/", 12),
			b(config.ScopePrefix, "database/creds/old/", 5), b(config.ScopePrefix, "database/creds/denied/", 5),
			b(config.ScopeRole, "web", 70), b(config.ScopeEntity, "bob", 20), b(config.ScopeMount, "approle", 50),
		}},
		{"no audit log", func() (*model.Index, owners.Source) {
			idx, _, _ := reuseEstate([]client{{name: "reader", path: "secret/shared/", n: 60}})
			return idx, owners.Source{}
		}, []config.Budget{b(config.ScopePrefix, "secret/shared/", 50), b(config.ScopeRole, "reader", 10)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			idx, src := tt.estate()
			want := fromIndex(idx, src, tt.budgets)
			if len(want.reuse)+len(want.reuseUn)+len(want.budget)+len(want.budgetUn) == 0 {
				t.Fatal("the estate gives the checks nothing to find")
			}
			copied, sorted := Copy(idx, ""), Snapshot(idx, "")
			moveOn(idx, src)
			if after := fromIndex(idx, src, tt.budgets); reflect.DeepEqual(after, want) {
				t.Fatal("the index moved on and the checks find the same in it: the test proves nothing")
			}
			for _, c := range []struct {
				name string
				ls   *Leases
			}{{"copy", copied}, {"snapshot", sorted}} {
				if got := fromCopy(c.ls, src, tt.budgets); !reflect.DeepEqual(got, want) {
					t.Errorf("from the %s:\n%+v\nfrom the index when copied:\n%+v", c.name, got, want)
				}
			}
		})
	}
}

// moveOn changes every path of idx: 100 new leases of a new owner on it
// (named by the log), and one lease of each renewed, one gone.
func moveOn(idx *model.Index, src owners.Source) {
	o := &audit.Owner{EntityID: "e-new", DisplayName: "approle", Metadata: map[string]string{"role_name": "new"}}
	var paths []string
	var walk func(n *model.Node)
	walk = func(n *model.Node) {
		if n.Direct() > 0 {
			paths = append(paths, n.Path())
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(idx.Root())
	for _, p := range paths {
		var ids []string
		idx.Each(p, func(l *model.Lease) {
			if l.Prefix() == p {
				ids = append(ids, l.ID())
			}
		})
		renewed := ids[len(ids)-1]
		ids = ids[1:]
		for i := range 100 {
			id := fmt.Sprintf("%snew-%03d", p, i)
			ids = append(ids, id)
			if src.Log != nil {
				src.Log.Add(audit.Entry{LeaseID: id, Time: now.Add(-time.Minute), Owner: o})
			}
		}
		idx.ApplyListing(p, nil, ids, now)
		for i := range 100 {
			idx.ApplyLease(model.LeaseInfo{ID: fmt.Sprintf("%snew-%03d", p, i), IssueTime: now.Add(-time.Minute), ExpireTime: now.Add(time.Hour)})
		}
		idx.ApplyLease(model.LeaseInfo{ID: renewed, IssueTime: now.Add(-time.Hour), ExpireTime: now.Add(time.Hour), LastRenewal: now})
	}
}
