package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/ui"
	"github.com/leasetop/leasetop/vaultclient"
)

// effective is what a context runs with, read from the UI's model and
// the client it talks through.
type effective struct {
	addr, ns          string
	refresh           time.Duration
	conc              int // the client's ceiling
	optConc           int // what the crawl asks for
	rate              float64
	warn, crit        time.Duration
	prefix            string
	vaultAudit, color string
	readOnly          bool
	readOnlyWhy       string
}

func effectiveOf(m ui.Model) effective {
	opt := m.Options()
	c := m.Backend().(*vaultclient.Client)
	_, ceiling := c.Concurrency()
	rate := 0.0
	if l := c.API().Limiter(); l != nil {
		rate = float64(l.Limit())
	}
	return effective{addr: c.Address(), ns: c.Namespace(), refresh: opt.Refresh, conc: ceiling, optConc: opt.Concurrency, rate: rate,
		warn: opt.Thresholds.Warning, crit: opt.Thresholds.Critical, prefix: opt.Prefix, vaultAudit: opt.VaultAudit, color: opt.Color,
		readOnly: opt.ReadOnly, readOnlyWhy: opt.ReadOnlyWhy}
}

// Every setting of a context across a switch, through the real path: the
// command line parsed by leasetop's own command, the first context's
// model built as the binary builds it (after its preflight against a
// real Vault), then ":ctx NAME" typed into that model. The flags given
// win over the context switched to, as over the first, its read-only
// stays, and the flags that name the first Vault stay with it.
func TestEveryContextSettingAcrossASwitch(t *testing.T) {
	env := vaulttest.Start(t)
	t.Setenv("LT_SWITCH_TOKEN", env.Server.RootToken)
	dir := t.TempDir()
	auditA, auditA2, auditB := filepath.Join(dir, "a.log"), filepath.Join(dir, "a2.log"), filepath.Join(dir, "b.log")
	for _, p := range []string{auditA, auditA2, auditB} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// b and c are never reached: the test does not run the commands the
	// switch returns, it reads what the switch set up.
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(`current-context: a
contexts:
  - name: a
    address: %s
    token: {env: LT_SWITCH_TOKEN}
    refresh: 7s
    concurrency: 3
    rate: 50
    warn: 2h
    crit: 10m
    prefix: secret/
    vault-audit: %s
  - name: b
    address: http://127.0.0.1:1
    namespace: team-b
    token: {env: LT_SWITCH_TOKEN}
    refresh: 9s
    concurrency: 5
    rate: 60
    warn: 3h
    crit: 20m
    prefix: kv/
    vault-audit: %s
    read-only: true
    color: "#d70000"
  - name: c
    address: http://127.0.0.1:2
    token: {env: LT_SWITCH_TOKEN}
`, env.Server.Addr, auditA, auditB)), 0o600); err != nil {
		t.Fatal(err)
	}
	localhost := strings.Replace(env.Server.Addr, "127.0.0.1", "localhost", 1)
	why := "the context b is read-only in leasetop's config"
	b := effective{addr: "http://127.0.0.1:1", ns: "team-b", refresh: 9 * time.Second, conc: 5, optConc: 5, rate: 60, warn: 3 * time.Hour,
		crit: 20 * time.Minute, prefix: "kv/", vaultAudit: auditB, color: "#d70000", readOnly: true, readOnlyWhy: why}
	c := effective{addr: "http://127.0.0.1:2", refresh: 15 * time.Second, conc: 16, optConc: 16, warn: time.Hour, crit: 5 * time.Minute}
	a := effective{addr: env.Server.Addr, refresh: 7 * time.Second, conc: 3, optConc: 3, rate: 50, warn: 2 * time.Hour, crit: 10 * time.Minute,
		prefix: "secret/", vaultAudit: auditA}
	with := func(e effective, f func(*effective)) effective { f(&e); return e }

	cases := []struct {
		name     string
		args     []string
		first    effective // the context leasetop starts on
		to       string
		switched effective
	}{
		{"no flags: the context's settings", nil, a, "b", b},
		{"no flags, a context that sets nothing: the defaults", nil, a, "c", c},
		{"--refresh wins over the context's refresh",
			[]string{"--refresh", "5s"}, with(a, func(e *effective) { e.refresh = 5 * time.Second }),
			"b", with(b, func(e *effective) { e.refresh = 5 * time.Second })},
		{"--refresh 0 turns polling off there too",
			[]string{"--refresh", "0"}, with(a, func(e *effective) { e.refresh = 0 }),
			"b", with(b, func(e *effective) { e.refresh = 0 })},
		{"--concurrency wins over the context's",
			[]string{"--concurrency", "8"}, with(a, func(e *effective) { e.conc, e.optConc = 8, 8 }),
			"b", with(b, func(e *effective) { e.conc, e.optConc = 8, 8 })},
		{"--rate wins over the context's",
			[]string{"--rate", "7"}, with(a, func(e *effective) { e.rate = 7 }),
			"b", with(b, func(e *effective) { e.rate = 7 })},
		{"--warn and --crit win over the context's",
			[]string{"--warn", "30m", "--crit", "1m"}, with(a, func(e *effective) { e.warn, e.crit = 30*time.Minute, time.Minute }),
			"b", with(b, func(e *effective) { e.warn, e.crit = 30*time.Minute, time.Minute })},
		{"--warn and --crit over the defaults",
			[]string{"--warn", "2d", "--crit", "3600"}, with(a, func(e *effective) { e.warn, e.crit = 48*time.Hour, time.Hour }),
			"c", with(c, func(e *effective) { e.warn, e.crit = 48*time.Hour, time.Hour })},
		{"--read-only=false cannot lift the context's read-only",
			[]string{"--read-only=false"}, a, "b", b},
		{"--read-only on a context that is not",
			[]string{"--read-only"}, with(a, func(e *effective) { e.readOnly = true }),
			"c", with(c, func(e *effective) { e.readOnly = true })},
		{"--read-only on a read-only context: the flag is the reason",
			[]string{"--read-only"}, with(a, func(e *effective) { e.readOnly = true }),
			"b", with(b, func(e *effective) { e.readOnlyWhy = "" })},
		{"--addr, --namespace, --vault-audit and PREFIX stay with the first Vault",
			[]string{"--addr", localhost, "--namespace", "team-a", "--vault-audit", auditA2, "auth/"},
			with(a, func(e *effective) { e.addr, e.ns, e.vaultAudit, e.prefix = localhost, "team-a", auditA2, "auth/" }),
			"b", b},
		{"--addr and the rest stay with the first Vault: a context without them",
			[]string{"--addr", localhost, "--namespace", "team-a", "--vault-audit", auditA2, "auth/"},
			with(a, func(e *effective) { e.addr, e.ns, e.vaultAudit, e.prefix = localhost, "team-a", auditA2, "auth/" }),
			"c", c},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var first, switched effective
			var ran bool
			app := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &strings.Builder{}}
			app.program = func(_ context.Context, tm tea.Model) error {
				ran = true
				m := tm.(ui.Model)
				first = effectiveOf(m)
				for _, k := range append([]tea.KeyPressMsg{{Code: ':', Text: ":"}}, typed("ctx "+tc.to)...) {
					tm, _ = tm.Update(k)
				}
				tm, _ = tm.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
				m = tm.(ui.Model)
				if got := m.Options().ContextName; got != tc.to {
					t.Fatalf(":ctx %s shows the context %q", tc.to, got)
				}
				switched = effectiveOf(m)
				return nil
			}
			root := app.newRoot()
			root.SetArgs(append([]string{"--config", path}, tc.args...))
			if err := root.Execute(); err != nil || !ran {
				t.Fatalf("leasetop %s: %v (the UI ran: %v) %s", strings.Join(tc.args, " "), err, ran, app.stderr)
			}
			if first != tc.first {
				t.Errorf("the first context:\n got %+v\nwant %+v", first, tc.first)
			}
			if switched != tc.switched {
				t.Errorf("after :ctx %s:\n got %+v\nwant %+v", tc.to, switched, tc.switched)
			}
		})
	}
}

func typed(s string) []tea.KeyPressMsg {
	var out []tea.KeyPressMsg
	for _, r := range s {
		out = append(out, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return out
}
