package vaultclient_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// attachCounter is a context, never cancelled and with no deadline (as
// a crawl's is), that counts the contexts attached below it and not yet
// let go: the context package attaches a child to a parent with its own
// Done channel and an AfterFunc method through that method, and calls the
// stop it returns when the child is cancelled.
type attachCounter struct {
	context.Context
	done chan struct{}
	live atomic.Int64
}

func newAttachCounter() *attachCounter {
	return &attachCounter{Context: context.Background(), done: make(chan struct{})}
}

func (c *attachCounter) Done() <-chan struct{} { return c.done }

func (c *attachCounter) AfterFunc(func()) (stop func() bool) {
	c.live.Add(1)
	var stopped atomic.Bool
	return func() bool {
		if stopped.CompareAndSwap(false, true) {
			c.live.Add(-1)
			return true
		}
		return false
	}
}

// Requests let go of their contexts as soon as they are answered. The api
// package gives each request a timeout context it never cancels, which
// stays attached to the caller's context for the whole timeout (a minute):
// a long crawl's context held every request of its last minute, most of
// the crawl's heap. Lookups, listings, a vanished lease (an error) and a
// walk all end with nothing attached.
func TestRequestsLetGoOfTheirContexts(t *testing.T) {
	env := vaulttest.Start(t)
	ctx := ctxT(t)
	ids := must(env.Seed.LeasedKV(ctx, "ctx", time.Hour, 20)).get(t)
	c := env.Client(t, "", vaultclient.Config{})

	parent := newAttachCounter()
	for _, id := range ids {
		must(c.Lookup(parent, id)).get(t)
	}
	must(c.List(parent, "secret/ctx/")).get(t)
	if _, err := c.Lookup(parent, "secret/ctx/no-such-lease"); err == nil {
		t.Error("a lease that does not exist was found")
	}
	n := 0
	for ev := range c.Walk(parent, "secret/", vaultclient.WalkOptions{}) {
		if ev.Kind == vaultclient.EventLease {
			n++
		}
	}
	if n != len(ids) {
		t.Errorf("the walk found %d leases, want %d", n, len(ids))
	}
	if live := parent.live.Load(); live != 0 {
		t.Errorf("%d contexts are still attached to the caller's after every request was answered", live)
	}
}
