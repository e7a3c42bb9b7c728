package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"

	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/metrics"
)

// listenLine is the start log line's listen address.
var listenLine = regexp.MustCompile(`msg="leasetop serve started" listen=(\S+)`)

// serving is a `leasetop serve` running in this process, as the real
// command (Run with its arguments) on a free loopback port.
type serving struct {
	URL    string
	Stderr *syncBuffer
	cancel context.CancelFunc
	done   chan int
	code   int
	ended  bool
}

// startServe runs `leasetop serve --listen 127.0.0.1:0 args...` until the
// test ends (or Stop), and waits for it to listen.
func startServe(t *testing.T, args ...string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{Stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() {
		s.done <- Run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...), strings.NewReader(""), io.Discard, s.Stderr)
	}()
	t.Cleanup(func() { s.Stop(t) })
	waitFor(t, "serve to listen", func() bool {
		select {
		case code := <-s.done:
			s.ended, s.code = true, code
			t.Fatalf("serve ended at once: exit %d\n%s", code, s.Stderr.String())
		default:
		}
		if m := listenLine.FindStringSubmatch(s.Stderr.String()); m != nil {
			s.URL = "http://" + m[1]
			return true
		}
		return false
	})
	return s
}

// Stop ends the command as a signal would (its context) and returns its
// exit code.
func (s *serving) Stop(t *testing.T) int {
	t.Helper()
	if s.ended {
		return s.code
	}
	s.cancel()
	select {
	case s.code = <-s.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("serve did not stop\n%s", s.Stderr.String())
	}
	s.ended = true
	return s.code
}

// get fetches path from a server and returns the status and the body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// sample is one series of a scrape: its labels and its value (a
// histogram's sample count).
type sample struct {
	labels map[string]string
	value  float64
}

// scrapeFamily GETs /metrics as Prometheus would, fails the test on any
// status but 200, and returns the series of the family name.
func scrapeFamily(t *testing.T, base, name string) []sample {
	t.Helper()
	code, body := get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d\n%s", code, body)
	}
	parser := expfmt.NewTextParser(pmodel.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	var out []sample
	for _, m := range mfs[name].GetMetric() {
		s := sample{labels: map[string]string{},
			value: m.GetGauge().GetValue() + m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())}
		for _, l := range m.GetLabel() {
			s.labels[l.GetName()] = l.GetValue()
		}
		out = append(out, s)
	}
	return out
}

// byLabel is the series of family name in context ctx, by the value of
// label.
func byLabel(t *testing.T, base, name, ctx, label string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, s := range scrapeFamily(t, base, name) {
		if s.labels["context"] == ctx {
			out[s.labels[label]] += s.value
		}
	}
	return out
}

// prefixOf is the prefix label a lease id adds up in: the first depth
// segments of its path, written here apart from the metrics package's cut.
func prefixOf(id string, depth int) string {
	segs := strings.Split(id, "/")
	segs = segs[:len(segs)-1]
	if len(segs) > depth {
		segs = segs[:depth]
	}
	return strings.Join(segs, "/") + "/"
}

// vaultPerPrefix is Vault's own listing (vaulttest.AllLeaseIDs, code that
// is not leasetop's), added up per prefix label.
func vaultPerPrefix(t *testing.T, addr, token string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for id := range vaulttest.AllLeaseIDs(t, addr, token) {
		out[prefixOf(id, metrics.DefaultDepth)]++
	}
	return out
}

func sameCounts(a, b map[string]float64) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// One Vault behind a counting proxy for the whole lifecycle of a serve:
// its first crawl held, then released; its figures against Vault's own
// listing; a refresh; the requests it sent; Vault going away.
func TestServeAgainstARealVault(t *testing.T) {
	env := scriptEnv(t)
	p, _ := env.Proxied(t)
	useVault(t, p.URL, env.Server.RootToken)
	hold := make(chan struct{})
	p.Add(faultproxy.Rule{Method: "LIST", PathPrefix: "sys/leases/lookup/", Count: -1, Fault: faultproxy.Fault{Hold: hold}})
	s := startServe(t, "--refresh", "300ms")

	t.Run("healthz answers and readyz is 503 before the first crawl ends", func(t *testing.T) {
		waitFor(t, "the first LIST to be held", func() bool {
			return p.Count(func(r faultproxy.Request) bool { return r.Method == "LIST" && r.Status == 0 }) > 0
		})
		if code, body := get(t, s.URL+"/healthz"); code != http.StatusOK {
			t.Errorf("/healthz during the crawl: %d %q", code, body)
		}
		if code, body := get(t, s.URL+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "default") {
			t.Errorf("/readyz while the first LIST is held: %d %q, want 503 naming the context", code, body)
		}
		if code, _ := get(t, s.URL+"/metrics"); code != http.StatusOK {
			t.Errorf("/metrics during the crawl: %d", code)
		}
	})

	p.Clear()
	close(hold)
	t.Run("readyz flips to 200 after the first crawl", func(t *testing.T) {
		waitFor(t, "/readyz 200", func() bool { code, _ := get(t, s.URL+"/readyz"); return code == http.StatusOK })
		if !strings.Contains(s.Stderr.String(), `msg="first crawl ended"`) {
			t.Errorf("no log line for the first crawl's end:\n%s", s.Stderr.String())
		}
	})

	t.Run("leases per prefix equal Vault's own listing", func(t *testing.T) {
		want := vaultPerPrefix(t, env.Server.Addr, env.Server.RootToken)
		if got := byLabel(t, s.URL, "leasetop_leases", "default", "prefix"); !sameCounts(got, want) {
			t.Errorf("leasetop_leases{context=\"default\"}\n got %v\nwant %v (Vault's listing)", got, want)
		}
		if up := byLabel(t, s.URL, "leasetop_up", "default", "context"); up["default"] != 1 {
			t.Errorf("leasetop_up = %v, want 1", up)
		}
	})

	t.Run("a refresh counts the leases made since", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := env.Seed.LeasedKV(ctx, "app/hour", 50*time.Minute, 6); err != nil {
			t.Fatal(err)
		}
		want := vaultPerPrefix(t, env.Server.Addr, env.Server.RootToken)
		waitFor(t, "the refresh to list the new leases", func() bool {
			return sameCounts(byLabel(t, s.URL, "leasetop_leases", "default", "prefix"), want) &&
				byLabel(t, s.URL, "leasetop_leases_created_total", "default", "prefix")["secret/app/hour/"] == 6
		})
	})

	t.Run("the landing page names the context and links the endpoints", func(t *testing.T) {
		code, body := get(t, s.URL+"/")
		for _, want := range []string{`href="metrics"`, `href="healthz"`, `href="readyz"`, "<td>default</td>", "<td>up</td>"} {
			if code != http.StatusOK || !strings.Contains(body, want) {
				t.Errorf("GET /: %d, no %s in\n%s", code, want, body)
			}
		}
	})

	t.Run("it sends Vault no write", func(t *testing.T) {
		reqs := p.Requests()
		lists := p.Count(func(r faultproxy.Request) bool { return r.Method == "LIST" })
		lookups := p.Count(func(r faultproxy.Request) bool { return r.Path == "sys/leases/lookup" })
		if lists == 0 || lookups == 0 {
			t.Fatalf("the proxy saw %d LISTs and %d lookups of %d requests: not serve's traffic", lists, lookups, len(reqs))
		}
		for _, r := range reqs {
			if r.Mutating() {
				t.Errorf("serve sent %s %s", r.Method, r.Path)
			}
		}
	})

	t.Run("the read-only policy of docs/serve.md is enough", func(t *testing.T) {
		tok := env.TokenWithPolicy(t, "leasetop-serve", docPolicy(t, "../docs/serve.md", "## The policy it needs"))
		t.Setenv("VAULT_ADDR", env.Server.Addr)
		t.Setenv("VAULT_TOKEN", tok)
		ro := startServe(t)
		waitUntil(t, "/readyz 200 with the read-only policy", ro.Stderr, func() bool { code, _ := get(t, ro.URL+"/readyz"); return code == http.StatusOK })
		want := vaultPerPrefix(t, env.Server.Addr, env.Server.RootToken)
		if got := byLabel(t, ro.URL, "leasetop_leases", "default", "prefix"); !sameCounts(got, want) {
			t.Errorf("leases with the read-only policy %v, want %v", got, want)
		}
		if code := ro.Stop(t); code != 0 || strings.Contains(ro.Stderr.String(), "permission denied") || strings.Contains(ro.Stderr.String(), tok) {
			t.Errorf("exit %d; the log names a denied request or the token:\n%s", code, ro.Stderr.String())
		}
	})

	t.Run("a Vault that goes away makes up 0 and the last data stays", func(t *testing.T) {
		// The last data, once serve holds what Vault holds: the subtest
		// before made a token, and a refresh that finds it after this read
		// would change the counts before Vault goes away.
		want := vaultPerPrefix(t, env.Server.Addr, env.Server.RootToken)
		var before map[string]float64
		waitFor(t, "serve's leases per prefix equal to Vault's", func() bool {
			before = byLabel(t, s.URL, "leasetop_leases", "default", "prefix")
			return sameCounts(before, want)
		})
		last := byLabel(t, s.URL, "leasetop_last_refresh_timestamp_seconds", "default", "context")["default"]
		env.Server.Stop()
		waitFor(t, "leasetop_up 0", func() bool {
			return byLabel(t, s.URL, "leasetop_up", "default", "context")["default"] == 0
		})
		// scrapeFamily fails on any status but 200.
		if after := byLabel(t, s.URL, "leasetop_leases", "default", "prefix"); !sameCounts(after, before) {
			t.Errorf("leases after Vault went away %v, want the last data %v", after, before)
		}
		if now := byLabel(t, s.URL, "leasetop_last_refresh_timestamp_seconds", "default", "context")["default"]; now < last || now == 0 {
			t.Errorf("last refresh %v, before Vault went away %v", now, last)
		}
		if code, _ := get(t, s.URL+"/healthz"); code != http.StatusOK {
			t.Errorf("/healthz with Vault gone: %d", code)
		}
		if !strings.Contains(s.Stderr.String(), `msg="refresh failed"`) {
			t.Errorf("no log line for the failed refresh:\n%s", s.Stderr.String())
		}
	})

	if code := s.Stop(t); code != 0 {
		t.Errorf("serve stopped with exit %d", code)
	}
	if strings.Contains(s.Stderr.String(), env.Server.RootToken) {
		t.Errorf("the token is in serve's log:\n%s", s.Stderr.String())
	}
}

// waitUntil is waitFor that shows serve's log when it times out.
func waitUntil(t *testing.T, what string, log *syncBuffer, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; serve's log:\n%s", what, log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Two Vaults named by two contexts of the config file are served by one
// process, each series labelled with its context, each equal to its
// Vault's own listing.
func TestServeTwoContextsInOneProcess(t *testing.T) {
	a, b := vaulttest.Start(t), vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, s := range []struct {
		env  *vaulttest.Env
		path string
		n    int
	}{{a, "alpha/x", 3}, {a, "alpha/y", 2}, {b, "beta/z", 4}} {
		if _, err := s.env.Seed.LeasedKV(ctx, s.path, time.Hour, s.n); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("LT_SERVE_TOKEN_A", a.Server.RootToken)
	t.Setenv("LT_SERVE_TOKEN_B", b.Server.RootToken)
	t.Setenv("VAULT_ADDR", "")
	t.Setenv("VAULT_TOKEN", "")
	writeConfig(t, fmt.Sprintf(`current-context: a
contexts:
  - name: a
    address: %s
    token: {env: LT_SERVE_TOKEN_A}
    budgets:
      prefix:
        secret/alpha/: 4
  - name: b
    address: %s
    token: {env: LT_SERVE_TOKEN_B}
`, a.Server.Addr, b.Server.Addr))
	// Context a's budget, counted against its own Vault's listing: code
	// that is not leasetop's.
	alpha := 0
	for id := range vaulttest.AllLeaseIDs(t, a.Server.Addr, a.Server.RootToken) {
		if strings.HasPrefix(id, "secret/alpha/") {
			alpha++
		}
	}

	for _, tt := range []struct {
		name    string
		args    []string
		served  []*vaulttest.Env
		ctxName []string
	}{
		{"every context of the config file", nil, []*vaulttest.Env{a, b}, []string{"a", "b"}},
		{"--context a,b", []string{"--context", "a,b"}, []*vaulttest.Env{a, b}, []string{"a", "b"}},
		{"--context b alone", []string{"--context", "b"}, []*vaulttest.Env{b}, []string{"b"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := startServe(t, tt.args...)
			waitFor(t, "/readyz 200", func() bool { code, _ := get(t, s.URL+"/readyz"); return code == http.StatusOK })
			contexts := map[string]bool{}
			for _, smp := range scrapeFamily(t, s.URL, "leasetop_up") {
				contexts[smp.labels["context"]] = true
			}
			if len(contexts) != len(tt.ctxName) {
				t.Errorf("leasetop_up for contexts %v, want %v", contexts, tt.ctxName)
			}
			for i, env := range tt.served {
				want := vaultPerPrefix(t, env.Server.Addr, env.Server.RootToken)
				if got := byLabel(t, s.URL, "leasetop_leases", tt.ctxName[i], "prefix"); !sameCounts(got, want) {
					t.Errorf("context %s: leases %v, want %v (its Vault's listing)", tt.ctxName[i], got, want)
				}
			}
			// The budget is a's alone: b has no budget series.
			wantUsed := map[string]float64{}
			if tt.ctxName[0] == "a" {
				wantUsed["secret/alpha/"] = float64(alpha)
			}
			if got := byLabel(t, s.URL, "leasetop_budget_used_leases", "a", "name"); !sameCounts(got, wantUsed) {
				t.Errorf("context a: budget used %v, want %v (a's Vault's listing)", got, wantUsed)
			}
			if got := byLabel(t, s.URL, "leasetop_budget_leases", "b", "name"); len(got) != 0 {
				t.Errorf("context b has budget series %v; its context has no budget", got)
			}
			if code := s.Stop(t); code != 0 {
				t.Errorf("exit %d", code)
			}
		})
	}
}

// serve's bad arguments end it at once with exit 2 and a clear message.
func TestServeRefusesBadArguments(t *testing.T) {
	useVault(t, "http://127.0.0.1:1", "a-token")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--depth", "0"}, "--depth must be at least 1"},
		{[]string{"--top", "0"}, "--top must be at least 1"},
		{[]string{"--refresh", "-1s"}, "--refresh must not be negative"},
		{[]string{"--vault-audit", "-"}, "serve cannot read stdin"},
		{[]string{"--vault-audit", "/nonexistent/audit.log"}, "--vault-audit"},
		{[]string{"--context", "nope"}, "no config file"},
		{[]string{"--listen", "127.0.0.1:99999"}, "--listen 127.0.0.1:99999"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, errs, code := runCmd(t, append([]string{"serve"}, tt.args...)...)
			if code == 0 || !strings.Contains(errs, tt.want) || strings.Contains(errs, "a-token") {
				t.Errorf("exit %d, stderr %q; want an error naming %q", code, errs, tt.want)
			}
		})
	}

	// With a config file: what names one Vault cannot go with several.
	t.Setenv("LT_SERVE_TOKEN", "a-token")
	writeConfig(t, `contexts:
  - name: a
    address: http://127.0.0.1:1
    token: {env: LT_SERVE_TOKEN}
  - name: b
    address: http://127.0.0.1:2
    token: {env: LT_SERVE_TOKEN}
`)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--addr", "http://127.0.0.1:3"}, "--addr names one Vault"},
		{[]string{"--context", "a,b", "--namespace", "ns"}, "--namespace names one Vault"},
		{[]string{"--context", "a,a"}, "--context names a twice"},
		{[]string{"--context", "a,zzz"}, `no context "zzz"`},
		{[]string{"--context", "a,b", "--depth", "0"}, "--depth must be at least 1"},
	} {
		t.Run("config "+strings.Join(tt.args, " "), func(t *testing.T) {
			_, errs, code := runCmd(t, append([]string{"serve"}, tt.args...)...)
			if code != 2 || !strings.Contains(errs, tt.want) || strings.Contains(errs, "a-token") {
				t.Errorf("exit %d, stderr %q; want exit 2 and an error naming %q", code, errs, tt.want)
			}
		})
	}
}

// SIGTERM to a serve process stops it cleanly: exit 0, and its log says
// it stopped.
func TestServeExitsZeroOnSIGTERM(t *testing.T) {
	env := scriptEnv(t)
	bin := filepath.Join(t.TempDir(), "leasetop")
	if out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--refresh", "200ms")
	cmd.Env = append(os.Environ(), "VAULT_ADDR="+env.Server.Addr, "VAULT_TOKEN="+env.Server.RootToken)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	var url string
	waitFor(t, "serve to listen", func() bool {
		if m := listenLine.FindStringSubmatch(stderr.String()); m != nil {
			url = "http://" + m[1]
		}
		return url != ""
	})
	waitFor(t, "/readyz 200", func() bool { code, _ := get(t, url+"/readyz"); return code == http.StatusOK })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) || err != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("serve did not exit after SIGTERM\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "msg=stopped") {
		t.Errorf("no log line for the stop:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), env.Server.RootToken) {
		t.Errorf("the token is in serve's log:\n%s", stderr.String())
	}
}

// Vault's file audit device is rotated the usual way (the file moved
// aside, SIGHUP to Vault, which opens a new one): serve keeps the owners
// read from the old file and attributes the leases made after the
// rotation from the new one, counting none twice.
func TestServeFollowsARotatedAuditLog(t *testing.T) {
	o := startOwnersEnv(t)
	env := o.env
	s := startServe(t, "--refresh", "1s", "--vault-audit", o.audit)
	owners := func() map[string]float64 {
		out := map[string]float64{}
		for _, smp := range scrapeFamily(t, s.URL, "leasetop_owner_leases") {
			if smp.labels["context"] == "default" && smp.labels["by"] == "role" {
				out[smp.labels["owner"]] += smp.value
			}
		}
		return out
	}
	want := func() map[string]float64 {
		return map[string]float64{"billing": float64(len(o.made["billing"])), "alice": float64(len(o.made["alice"]))}
	}
	mine := func(m map[string]float64) map[string]float64 {
		return map[string]float64{"billing": m["billing"], "alice": m["alice"]}
	}
	var got map[string]float64
	defer func() {
		if t.Failed() {
			t.Logf("owners by role: %v, want %v", got, want())
		}
	}()
	waitFor(t, "the owners before the rotation", func() bool {
		got = mine(owners())
		return sameCounts(got, want())
	})

	rotated := o.audit + ".1"
	if err := os.Rename(o.audit, rotated); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(env.Server.Pid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Vault to open a new audit log", func() bool {
		_, err := os.Stat(o.audit)
		return err == nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ids, err := o.billing.Seeder.ReadLeasedKV(ctx, "billing/db", 6)
	if err != nil {
		t.Fatal(err)
	}
	o.made["billing"] = append(o.made["billing"], ids...)
	// The new leases are in the new file only: serve must have followed
	// the rotation to find them.
	fresh, err := os.ReadFile(o.audit)
	if err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(rotated)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if !strings.Contains(string(fresh), id) || strings.Contains(string(old), id) {
			t.Fatalf("lease %s: in the new log %v, in the rotated one %v; the rotation did not happen as the test means", id,
				strings.Contains(string(fresh), id), strings.Contains(string(old), id))
		}
	}
	waitFor(t, "the owners after the rotation", func() bool {
		got = mine(owners())
		return sameCounts(got, want())
	})
	if strings.Contains(s.Stderr.String(), env.Server.RootToken) {
		t.Error("the token is in serve's log")
	}
}

// ownerSeries is leasetop_owner_leases of the default context under one
// grouping (by), by owner.
func ownerSeries(t *testing.T, base, by string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, s := range scrapeFamily(t, base, "leasetop_owner_leases") {
		if s.labels["context"] == "default" && s.labels["by"] == by {
			out[s.labels["owner"]] += s.value
		}
	}
	return out
}

// Token leases get their owners from the token store: approle and
// userpass logins counted per role and per auth mount, with a token that
// has exactly the policy docs/serve.md gives --token-store; every lease of
// Vault's own listing counted once. A token without those lines is told in
// the log which one it lacks, and the other series go on.
func TestServeNamesTheOwnersOfTokenLeasesFromTheTokenStore(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const billing, alice, kv = 4, 3, 2
	if _, err := env.Seed.AppRole(ctx, "approle", "billing", time.Hour, billing); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Seed.Userpass(ctx, "userpass", "alice", time.Hour, alice); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Seed.LeasedKV(ctx, "app/hour", time.Hour, kv); err != nil {
		t.Fatal(err)
	}
	base := docPolicy(t, "../docs/serve.md", "## The policy it needs")
	withStore := env.TokenWithPolicy(t, "leasetop-serve-tokens", base+docHCL(t, "../docs/serve.md", "With `--token-store`, these two lines"))
	without := env.TokenWithPolicy(t, "leasetop-serve", base)
	p, _ := env.Proxied(t)
	useVault(t, p.URL, withStore)
	storeReads := func() int {
		return p.Count(func(r faultproxy.Request) bool { return r.Method == "LIST" && r.Path == "auth/token/accessors" })
	}
	all := vaulttest.AllLeaseIDs(t, env.Server.Addr, env.Server.RootToken)
	tokenLeases := 0
	for id := range all {
		if strings.HasPrefix(id, "auth/") {
			tokenLeases++
		}
	}
	// The logins, the two tokens of this test's policies, and the dev
	// server's own.
	if len(all)-tokenLeases != kv || tokenLeases < billing+alice+2 {
		t.Fatalf("Vault lists %d leases, %d of them token leases, after %d logins, %d KV reads and 2 tokens", len(all), tokenLeases, billing+alice, kv)
	}

	s := startServe(t, "--refresh", "300ms", "--token-store", "1s")
	t.Run("the role and the auth mount of each login", func(t *testing.T) {
		var byRole, byMount map[string]float64
		waitUntil(t, "the owners of the logins by role and by mount", s.Stderr, func() bool {
			byRole, byMount = ownerSeries(t, s.URL, "role"), ownerSeries(t, s.URL, "mount")
			return byRole["billing"] == billing && byRole["alice"] == alice && byMount["approle"] == billing && byMount["userpass"] == alice
		})
		for _, series := range []map[string]float64{byRole, byMount} {
			sum := 0.0
			for _, n := range series {
				sum += n
			}
			if int(sum) != len(all) {
				t.Errorf("the owner series add up to %v, Vault lists %d leases: %v", sum, len(all), series)
			}
		}
		if !strings.Contains(s.Stderr.String(), `msg="token store read"`) {
			t.Errorf("no log line for the token store's read:\n%s", s.Stderr.String())
		}
		lookups := p.Count(func(r faultproxy.Request) bool { return r.Path == "auth/token/lookup-accessor" })
		if storeReads() == 0 || lookups < billing+alice+2 {
			t.Errorf("the proxy saw %d listings of the accessors and %d lookups of tokens", storeReads(), lookups)
		}
		for _, r := range p.Requests() {
			if r.Mutating() {
				t.Errorf("serve sent %s %s", r.Method, r.Path)
			}
		}
	})
	if code := s.Stop(t); code != 0 || strings.Contains(s.Stderr.String(), withStore) {
		t.Errorf("exit %d; or the token is in the log:\n%s", code, s.Stderr.String())
	}

	t.Run("a token without the token store's lines is told which it lacks", func(t *testing.T) {
		t.Setenv("VAULT_TOKEN", without)
		p.Clear()
		ro := startServe(t, "--refresh", "300ms", "--token-store", "1s")
		waitUntil(t, "the token store's failure in the log", ro.Stderr, func() bool {
			return strings.Contains(ro.Stderr.String(), "the token store was not read")
		})
		log := ro.Stderr.String()
		if !strings.Contains(log, `auth/token/accessors`) || !strings.Contains(log, "sudo") {
			t.Errorf("the log does not name the missing policy line:\n%s", log)
		}
		want := vaultPerPrefix(t, env.Server.Addr, env.Server.RootToken)
		waitUntil(t, "the leases per prefix equal to Vault's", ro.Stderr, func() bool {
			return sameCounts(byLabel(t, ro.URL, "leasetop_leases", "default", "prefix"), want)
		})
		if got := scrapeFamily(t, ro.URL, "leasetop_owner_leases"); len(got) != 0 {
			t.Errorf("owner series with no source of owners: %v", got)
		}
		// Read again at its interval, and said once.
		waitUntil(t, "three reads of the token store", ro.Stderr, func() bool { return storeReads() >= 3 })
		if n := strings.Count(ro.Stderr.String(), "the token store was not read"); n != 1 {
			t.Errorf("the failure was logged %d times in %d reads, want once:\n%s", n, storeReads(), ro.Stderr.String())
		}
		if code := ro.Stop(t); code != 0 || strings.Contains(ro.Stderr.String(), without) {
			t.Errorf("exit %d; or the token is in the log:\n%s", code, ro.Stderr.String())
		}
	})
}
