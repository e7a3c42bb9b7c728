package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/internal/golden"
	"github.com/leasetop/leasetop/vaultclient"
)

// partialTest builds the estate with every listing but only the first
// lookups of its leases, mid-crawl: the walk has not ended.
func partialTest(t *testing.T, lookups int) Model {
	t.Helper()
	m := New(&recorder{}, Options{Now: func() time.Time { return t0 }})
	m = send(m, tea.WindowSizeMsg{Width: 120, Height: 24})
	var events []vaultclient.Event
	for _, ev := range estate() {
		if ev.Kind == vaultclient.EventLease {
			if lookups == 0 {
				continue
			}
			lookups--
		}
		events = append(events, ev)
	}
	gen := fakeWalk(m, 1, false)
	return send(m, crawl.Batch{Gen: gen, Events: events})
}

// rest ends the walk with the lookups partialTest left out.
func rest(m Model, from int) Model {
	var events []vaultclient.Event
	for _, ev := range estate() {
		if ev.Kind == vaultclient.EventLease {
			if from > 0 {
				from--
				continue
			}
			events = append(events, ev)
		}
	}
	return send(m, crawl.Batch{Gen: m.c.data.eng.Gen(false), Events: events, Done: true})
}

func TestRadarSaysHowManyTTLsAreKnown(t *testing.T) {
	const line = "TTLs known for"
	// Three of seven looked up: h1111 (30m), h2222 (never), AAA (2h).
	m := keys(partialTest(t, 3), "e")
	out := text(m)
	if !strings.Contains(out, "TTLs known for 3 of 7 leases — the") || !strings.Contains(out, "radar fills in as the crawl goes") {
		t.Errorf("mid-crawl radar lacks the known-TTLs line:\n%s", out)
	}
	golden.Check(t, "radar_partial", out)

	// Models share the index with their copies: rest fills m's in.
	if done := rest(m, 3); strings.Contains(text(done), line) {
		t.Errorf("once every lease is looked up the line goes:\n%s", text(done))
	}
	// The walk ended (a lookup failed, say) with leases still pending.
	m = partialTest(t, 3)
	stuck := send(m, crawl.Batch{Gen: m.c.data.eng.Gen(false), Done: true})
	if out := text(keys(stuck, "e")); !strings.Contains(out, "TTLs known for 3 of 7 leases — the") || !strings.Contains(out, "rest are not looked up yet") {
		t.Errorf("after the walk, pending leases are still said:\n%s", out)
	}

	// The line counts the radar's scope, the selected prefix.
	m = keys(partialTest(t, 3), "e")
	m.c.data.eng.SetFocus("auth/")
	if out := text(send(m, tickMsg(t0))); strings.Contains(out, line) {
		t.Errorf("both auth/ leases are known, so no line under auth/:\n%s", out)
	}
	m.c.data.eng.SetFocus("database/")
	if out := text(send(m, tickMsg(t0))); !strings.Contains(out, "TTLs known for 1 of 3 leases") {
		t.Errorf("under database/ one of three is known:\n%s", out)
	}

	// The browser says nothing of it: the line is the radar's.
	if out := text(partialTest(t, 3)); strings.Contains(out, line) {
		t.Errorf("the browser shows the radar's line:\n%s", out)
	}
}

func TestRadarCountsUseThousandsSeparators(t *testing.T) {
	m := New(&recorder{}, Options{Now: func() time.Time { return t0 }})
	m = send(m, tea.WindowSizeMsg{Width: 120, Height: 24})
	ids := make([]string, 12345)
	for i := range ids {
		ids[i] = fmt.Sprintf("big/%05d", i)
	}
	gen := fakeWalk(m, 1, false)
	m = send(m, crawl.Batch{Gen: gen, Events: []vaultclient.Event{
		{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "", Prefixes: []string{"big/"}}},
		{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "big/", LeaseIDs: ids}},
		{Kind: vaultclient.EventLease, Lease: lease("big/00007", time.Minute, true)},
	}})
	if out := text(keys(m, "e")); !strings.Contains(out, "TTLs known for 1 of 12,345 leases") {
		t.Errorf("the radar's counts lack separators:\n%s", out)
	}
	if got := m.c.data.eng.Index().Known(); got != 1 || m.c.data.eng.Index().Len() != 12345 {
		t.Errorf("index: %d known of %d", got, m.c.data.eng.Index().Len())
	}
}
