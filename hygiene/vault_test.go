package hygiene

import (
	"context"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
	"github.com/leasetop/leasetop/vaultclient"
)

// One AppRole client reads leased KV 300 times without renewing, beside a
// userpass client that reads once and renews its lease: only the first
// is found, with its 300 leases (Vault's own listing), its rate (from
// Vault's own lookups of their issue times) and its share of the path.
func TestLeasePerReadAgainstVault(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	auditLog := filepath.Join(t.TempDir(), "vault_audit.log")
	if err := env.Seed.EnableFileAudit(ctx, auditLog); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Seed.LeasedKV(ctx, "shared/db", time.Hour, 0); err != nil {
		t.Fatal(err)
	}
	reader, err := env.Seed.AppRoleActor(ctx, "approle", "reader")
	if err != nil {
		t.Fatal(err)
	}
	renewer, err := env.Seed.UserpassActor(ctx, "userpass", "renewer")
	if err != nil {
		t.Fatal(err)
	}
	// The reader reads one at a time, at least 10ms apart, as a client
	// that reads per request does: its leases span seconds, not a burst.
	for range 300 {
		if _, err := reader.Seeder.C.Logical().ReadWithContext(ctx, "secret/shared/db"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	kept, err := renewer.Seeder.ReadLeasedKV(ctx, "shared/db", 1)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := renewer.Seeder.C.Sys().RenewWithContext(ctx, kept[0], 3600); err != nil {
			t.Fatalf("renew the kept lease: %v", err)
		}
	}

	// What Vault holds, read by code that is not leasetop's.
	var readerIDs []string
	for id := range env.AllLeaseIDs(t) {
		if strings.HasPrefix(id, "secret/shared/db/") && id != kept[0] {
			readerIDs = append(readerIDs, id)
		}
	}
	slices.Sort(readerIDs)
	if len(readerIDs) != 300 {
		t.Fatalf("Vault holds %d leases of the reader, want 300", len(readerIDs))
	}
	first, last := issueRange(t, ctx, env, readerIDs)
	wantRate := float64(len(readerIDs)-1) / last.Sub(first).Minutes()

	idx := model.NewIndex()
	now := time.Now()
	c := env.Client(t, "", vaultclient.Config{})
	for ev := range c.Walk(ctx, "", vaultclient.WalkOptions{}) {
		if ev.Kind == vaultclient.EventError {
			t.Fatalf("crawl: %v", ev.Err)
		}
		crawl.Apply(idx, ev, now, nil)
	}
	log := audit.NewAttribution()
	st, err := audit.Read(ctx, auditLog, nil, log.AddAll)
	if err != nil {
		t.Fatal(err)
	}
	log.SeenFrom(st.First)
	src := owners.Source{Log: log}

	fs, unchecked := LeasePerRead(idx, src, ReuseOptions{})
	if len(unchecked) != 0 {
		t.Errorf("a root token left something unchecked: %+v", unchecked)
	}
	if len(fs) != 1 {
		t.Fatalf("%d findings, want the reader's alone: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.Kind != NoReuse || f.Prefix != "secret/shared/db/" || f.Owner != "reader" || f.Leases != 300 || !slices.Equal(f.LeaseIDs, readerIDs) {
		t.Errorf("finding %s on %s by %q, %d leases, %d ids; want secret/shared/db/, reader, Vault's 300", f.Kind, f.Prefix, f.Owner, f.Leases, len(f.LeaseIDs))
	}
	ev := strings.Join(f.Evidence, "\n")
	t.Logf("%s\n%s\n→ %s", f.Title, ev, f.Action.Text)
	for _, want := range []string{
		"300 live leases on secret/shared/db/ made by reader, 100% of that path's 301",
		"none of them was ever renewed",
		"entity " + reader.EntityID,
		"role_name=reader",
	} {
		if !strings.Contains(ev, want) {
			t.Errorf("the evidence lacks %q:\n%s", want, ev)
		}
	}
	m := regexp.MustCompile(`made at ([0-9,.]+) a minute`).FindStringSubmatch(ev)
	if m == nil {
		t.Fatalf("no rate in the evidence:\n%s", ev)
	}
	got, _ := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
	if math.Abs(got-wantRate) > 0.03*wantRate {
		t.Errorf("rate %.0f a minute; Vault's issue times say %.0f", got, wantRate)
	}

	// The renewer's one lease is never a finding, however few leases
	// make one: it was renewed.
	all, _ := LeasePerRead(idx, src, ReuseOptions{MinLeases: 1})
	for _, f := range all {
		if slices.Contains(f.LeaseIDs, kept[0]) || f.Owner == "renewer" && strings.HasPrefix(f.Prefix, "secret/") {
			t.Errorf("the renewer's lease is in a finding: %s", f.Title)
		}
	}
}

// issueRange is the first and last issue time of ids, from Vault's own
// lookups.
func issueRange(t *testing.T, ctx context.Context, env *vaulttest.Env, ids []string) (first, last time.Time) {
	t.Helper()
	for _, id := range ids {
		sec, err := env.API.Logical().WriteWithContext(ctx, "sys/leases/lookup", map[string]any{"lease_id": id})
		if err != nil || sec == nil {
			t.Fatalf("lookup %s: %v", id, err)
		}
		at, err := time.Parse(time.RFC3339Nano, sec.Data["issue_time"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if first.IsZero() || at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
	}
	return first, last
}
