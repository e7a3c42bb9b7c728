package ui

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/vaultclient"
)

// BenchmarkView measures one frame at 1k, 10k and 100k leases: only the
// visible rows are formatted, so the cost should hardly grow.
func BenchmarkView(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("leases=%d", n), func(b *testing.B) {
			m := New(&recorder{}, Options{Now: func() time.Time { return t0 }})
			m = send(m, tea.WindowSizeMsg{Width: 160, Height: 50})
			var events []vaultclient.Event
			prefixes := []string{}
			for p := range 50 {
				prefixes = append(prefixes, fmt.Sprintf("secret/role-%02d/", p))
			}
			events = append(events, vaultclient.Event{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "", Prefixes: []string{"secret/"}}})
			events = append(events, vaultclient.Event{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "secret/", Prefixes: prefixes}})
			for i := range n {
				id := fmt.Sprintf("%s%024d", prefixes[i%50], i)
				events = append(events, vaultclient.Event{Kind: vaultclient.EventLease, Lease: lease(id, time.Duration(i)*time.Second+time.Minute, true)})
			}
			m = refresh(m, 1, false, events)
			if m.c.idx.Len() != n {
				b.Fatalf("index holds %d", m.c.idx.Len())
			}
			b.ResetTimer()
			for b.Loop() {
				_ = m.render()
			}
		})
	}
}
