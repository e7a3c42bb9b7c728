package ui

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/vaultclient"
)

// fuzzKeys are the keys a person can press, every binding and then some.
var fuzzKeys = []string{"j", "k", "g", "G", "h", "l", "enter", "esc", "tab", "space", "/", "s", "o", "r", "R", "x", "X",
	"P", "F", "a", "y", "n", "?", "e", "1", "2", "3", "4", "I", "down", "up", "f", "o", "r", "c", "e", "/", "d", ":", "w", "b", "T", "ctrl+u"}

// FuzzUpdate feeds random key presses, window sizes and server messages
// (listings, lookups, vanished leases, errors, action results) to the
// model and renders as it goes: nothing may panic, whatever the order.
func FuzzUpdate(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte("xyPdatabase/\x0a\x0b\xff\x10\x20"))
	f.Add([]byte{12, 13, 14, 200, 201, 202, 203, 16, 17, 18, 19, 240, 241})
	f.Fuzz(func(t *testing.T, data []byte) {
		be := &recorder{irrevocable: irrevocableFixture()}
		m := newTest(t, be, Options{})
		gen := 1
		for i, b := range data {
			var msg tea.Msg
			switch {
			case b < 200:
				msg = keyMsg(fuzzKeys[int(b)%len(fuzzKeys)])
			case b < 210:
				msg = tea.WindowSizeMsg{Width: int(b-200) * 17, Height: int(b-200) * 4}
			case b < 230:
				gen++
				prefix := []string{"", "secret/", "secret/aws/", "database/creds/readonly/", "auth/approle/login/"}[int(b)%5]
				var ids []string
				for j := range int(b) % 4 {
					ids = append(ids, fmt.Sprintf("%sfz%d", prefix, j+i))
				}
				ev := []vaultclient.Event{{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: prefix, LeaseIDs: ids}}}
				for _, id := range ids {
					ev = append(ev, vaultclient.Event{Kind: vaultclient.EventLease, Lease: lease(id, time.Duration(int(b)-220)*time.Minute, b%2 == 0)})
				}
				m = refresh(m, gen, b%2 == 1, ev)
				continue
			case b < 240:
				msg = crawl.Batch{Gen: gen, Events: []vaultclient.Event{
					{Kind: vaultclient.EventVanished, LeaseID: "secret/aws/k1"},
					{Kind: vaultclient.EventError, Prefix: "secret/", Err: &vaultclient.Error{Kind: vaultclient.Kind(int(b) % 15)}},
				}, Done: b%2 == 0}
			case b < 250:
				seq := 0
				if m.act != nil {
					seq = m.act.seq
				}
				msg = actionMsg{seq: seq, body: stepMsg{result: actionResult{id: "secret/aws/k2", err: nil}, done: b%2 == 0}}
			default:
				msg = tickMsg(t0.Add(time.Duration(b) * time.Second))
			}
			next, _ := m.Update(msg)
			m = next.(Model)
			if i%8 == 0 {
				_ = m.render()
			}
		}
		_ = m.render()
	})
}
