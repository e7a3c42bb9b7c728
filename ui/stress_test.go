package ui

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// witness wraps the real Model and writes down, as each key arrives and
// before the model sees it, what was under the cursor or marked: the
// independent record the property below is checked against.
type witness struct {
	Model
	mu        *sync.Mutex
	pending   *[]string // ids captured by the last x or X
	confirmed *[]string // ids whose revocation the user confirmed with y
}

func (w witness) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && w.mode == modeNormal || ok && w.mode == modeConfirm {
		w.mu.Lock()
		switch {
		case w.mode == modeNormal && k.String() == "x" && w.focus == focusTable:
			*w.pending = nil
			if l := w.currentLease(); l != nil && !l.Gone() && !slices.Contains(*w.confirmed, l.ID()) {
				*w.pending = []string{l.ID()}
			}
		case w.mode == modeNormal && k.String() == "X":
			*w.pending = nil
			for id := range w.marks {
				if l := w.idx.Lease(id); (l == nil || !l.Gone()) && !slices.Contains(*w.confirmed, id) {
					*w.pending = append(*w.pending, id)
				}
			}
		case w.mode == modeConfirm && k.String() == "y":
			*w.confirmed = append(*w.confirmed, *w.pending...)
		}
		w.mu.Unlock()
	}
	next, cmd := w.Model.Update(msg)
	w.Model = next.(Model)
	return w, cmd
}

// While a background poll keeps adding, expiring and removing leases and
// re-sorting the table, random keys revoke leases. The leases Vault saw
// revoked by leasetop are exactly those that were under the cursor or
// marked when x or X was pressed and then confirmed; nothing else changed.
func TestStressRevocationsHitExactlyWhatWasSelected(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	all := map[string]bool{}
	var mu sync.Mutex
	add := func(path string, ttl time.Duration, n int) {
		ids, err := env.Seed.LeasedKV(ctx, path, ttl, n)
		if err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		for _, id := range ids {
			all[id] = true
		}
		mu.Unlock()
	}
	for i := range 4 {
		add(fmt.Sprintf("stress/p%d", i), time.Duration(i+1)*time.Hour, 10)
	}

	client := env.Client(t, "", vaultclient.Config{})
	var wmu sync.Mutex
	var pending, confirmed []string
	var audited []string
	results := map[string]string{}
	opt := Options{Prefix: "secret/stress/", Refresh: 150 * time.Millisecond, AuditLog: func(action string, ids []string, prefix, result string) {
		if action != "revoke" {
			return
		}
		wmu.Lock()
		defer wmu.Unlock()
		for _, id := range ids {
			results[id] = result
			if result == "ok" {
				audited = append(audited, id)
			}
		}
	}}
	w := witness{Model: New(client, opt), mu: &wmu, pending: &pending, confirmed: &confirmed}
	p := tea.NewProgram(w, tea.WithInput(nil), tea.WithOutput(discard{}), tea.WithWindowSize(140, 30), tea.WithoutSignalHandler())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = p.Run()
	}()
	defer func() { p.Quit(); <-done }()

	// The background: new leases, and leases revoked behind leasetop's back.
	var bgRevoked []string
	stop := make(chan struct{})
	bgDone := make(chan struct{})
	go func() {
		defer close(bgDone)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(120 * time.Millisecond):
			}
			if i%2 == 0 {
				add(fmt.Sprintf("stress/p%d", rng.IntN(4)), time.Duration(10+rng.IntN(100))*time.Minute, 1)
				continue
			}
			mu.Lock()
			var ids []string
			for id := range all {
				ids = append(ids, id)
			}
			mu.Unlock()
			slices.Sort(ids)
			id := ids[rng.IntN(len(ids))]
			wmu.Lock()
			taken := slices.Contains(confirmed, id) || slices.Contains(pending, id)
			wmu.Unlock()
			if taken {
				continue // leave the ones the user has already chosen alone
			}
			if _, err := client.Revoke(ctx, id, true); err == nil {
				mu.Lock()
				delete(all, id)
				bgRevoked = append(bgRevoked, id)
				mu.Unlock()
			}
		}
	}()

	time.Sleep(time.Second) // the first crawl
	rng := rand.New(rand.NewPCG(3, 4))
	steps := [][]string{{"j"}, {"j"}, {"k"}, {"G"}, {"g"}, {"s"}, {"space"}, {"space"}, {"x", "y"}, {"x", "y"}, {"X", "y"}, {"x", "n"}, {"esc"}}
	for range 80 {
		for _, k := range steps[rng.IntN(len(steps))] {
			p.Send(keyMsg(k))
			time.Sleep(time.Duration(10+rng.IntN(50)) * time.Millisecond)
		}
	}
	close(stop)
	<-bgDone
	// Wait until every confirmed revocation has its result.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		wmu.Lock()
		missing := 0
		for _, id := range confirmed {
			if _, ok := results[id]; !ok {
				missing++
			}
		}
		wmu.Unlock()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d confirmed revocations never finished", missing)
		}
	}
	wmu.Lock()
	for id, res := range results {
		if res != "ok" {
			t.Errorf("revoking %s failed: %s", id, res)
		}
	}
	wmu.Unlock()

	wmu.Lock()
	want := slices.Clone(confirmed)
	got := slices.Clone(audited)
	wmu.Unlock()
	slices.Sort(want)
	slices.Sort(got)
	if dup := len(got) - len(slices.Compact(slices.Clone(got))); dup > 0 {
		t.Errorf("%d leases were revoked twice", dup)
	}
	// A lease the background revoked first can still be revoked by the
	// user (Vault answers 204): both records keep it.
	if !slices.Equal(got, want) {
		t.Errorf("leasetop revoked %v\nthe user chose      %v", got, want)
	}
	if len(want) == 0 {
		t.Fatal("the random keys revoked nothing: the test proved nothing")
	}
	// Vault agrees: what the user chose is gone; everything else that the
	// background did not revoke is still there.
	for _, id := range want {
		if _, err := client.Lookup(ctx, id); !errors.Is(err, vaultclient.ErrInvalidLease) {
			t.Errorf("%s was chosen but Vault still has it (%v)", id, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for id := range all {
		if slices.Contains(want, id) {
			continue
		}
		if _, err := client.Lookup(ctx, id); err != nil {
			t.Errorf("%s was never chosen but is gone: %v", id, err)
		}
	}
	t.Logf("user revoked %d leases; the background revoked %d and added leases throughout", len(want), len(bgRevoked))
}
