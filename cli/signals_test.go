package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/vaulttest"
)

// A script command stops its crawl when the context Run was given ends,
// and on SIGINT or SIGTERM, and says so: check, stopped while Vault holds
// its first LIST, answers UNKNOWN (interrupted), not a verdict on a crawl
// it did not finish, and not after Vault answers.
func TestAScriptCommandStopsWithItsContextAndOnSignals(t *testing.T) {
	env := vaulttest.Start(t)
	p, _ := env.Proxied(t)
	useVault(t, p.URL, env.Server.RootToken)
	signal := func(sig syscall.Signal) func(context.CancelFunc) {
		return func(context.CancelFunc) {
			if err := syscall.Kill(os.Getpid(), sig); err != nil {
				t.Fatal(err)
			}
		}
	}

	for _, tt := range []struct {
		name string
		stop func(cancel context.CancelFunc)
	}{
		{"Run's context ends", func(cancel context.CancelFunc) { cancel() }},
		{"SIGINT", signal(syscall.SIGINT)},
		{"SIGTERM", signal(syscall.SIGTERM)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p.Clear()
			p.Reset()
			hold := make(chan struct{})
			released := false
			release := func() {
				if !released {
					released = true
					close(hold)
				}
			}
			defer release()
			p.Add(faultproxy.Rule{Method: "LIST", PathPrefix: "sys/leases/lookup/", Count: -1, Fault: faultproxy.Fault{Hold: hold}})
			listing := func(r faultproxy.Request) bool { return r.Method == "LIST" && r.Status == 0 }

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out, errb bytes.Buffer
			done := make(chan int, 1)
			go func() {
				done <- Run(ctx, []string{"check", "--expiring-within", "1h"}, strings.NewReader(""), &out, &errb)
			}()
			waitFor(t, "check's first LIST to be held", func() bool { return p.Count(listing) > 0 })
			tt.stop(cancel)

			var code int
			select {
			case code = <-done:
			case <-time.After(2 * time.Minute):
				release()
				code = <-done
				t.Fatalf("check did not stop until Vault answered: exit %d, %q %q", code, out.String(), errb.String())
			}
			const want = "LEASETOP UNKNOWN - the crawl of / was interrupted"
			if code != exitUnknown || !strings.HasPrefix(out.String(), want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, out.String(), errb.String(), exitUnknown, want)
			}
		})
	}
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
