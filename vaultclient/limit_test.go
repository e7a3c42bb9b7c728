package vaultclient

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/leasetop/leasetop/internal/goroutines"
)

func TestLimiterBacksOffAndRecovers(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	l := NewLimiter(16)
	l.now = func() time.Time { return now }
	l.ownBusy = func() float64 { return 0.1 }
	// One answer a step, a sample's longest apart: each is a sample.
	step := func(rtt time.Duration, overloaded bool) {
		now = now.Add(sampleMax)
		if err := l.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		l.Release(rtt, overloaded)
	}
	limit := func() int { c, _ := l.Limit(); return c }

	for range 50 { // a healthy Vault: 1 ms answers
		step(time.Millisecond, false)
	}
	if limit() != 16 {
		t.Fatalf("healthy: limit %d, want the ceiling 16", limit())
	}
	for range 3 { // three 429s
		step(time.Millisecond, true)
	}
	if got := limit(); got != 2 {
		t.Errorf("after three 429s: limit %d, want 16 halved three times = 2", got)
	}
	if !l.ByOverload() || l.Overloads() != 3 {
		t.Errorf("after three 429s: ByOverload %v, Overloads %d; want true, 3", l.ByOverload(), l.Overloads())
	}
	for range 400 { // healthy again: one more per round trip
		step(time.Millisecond, false)
	}
	if limit() != 16 {
		t.Errorf("recovered: limit %d, want 16", limit())
	}
	for range 5 { // answers slow to 50 ms: Vault is queueing
		step(50*time.Millisecond, false)
	}
	if got := limit(); got >= 8 {
		t.Errorf("queueing: limit %d, want well below 16", got)
	}
	if l.ByOverload() || l.Overloads() != 3 {
		t.Errorf("queueing: ByOverload %v, Overloads %d; want false (slow answers lowered it), still 3", l.ByOverload(), l.Overloads())
	}
	// Slow for good (a slow Vault, not a queueing one): once the old
	// baseline has aged out of both windows, 50 ms is the baseline and
	// the limit climbs back.
	for range 600 {
		step(50*time.Millisecond, false)
	}
	if limit() != 16 {
		t.Errorf("a new baseline: limit %d, want 16", limit())
	}
}

func TestLimiterHoldsRequestsAtTheLimit(t *testing.T) {
	l := NewLimiter(2)
	ctx := context.Background()
	if l.Acquire(ctx) != nil || l.Acquire(ctx) != nil {
		t.Fatal("two requests fit under a limit of 2")
	}
	third := make(chan error, 1)
	go func() { third <- l.Acquire(ctx) }()
	// The third waits inside Acquire: seen asleep there, not after some
	// span of time in which a loaded machine might not have run it at all.
	waitAcquiring(t, 1, third)
	l.Release(time.Millisecond, false)
	select {
	case err := <-third:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the third request never got the room the first left")
	}
	cctx, cancel := context.WithCancel(ctx)
	fourth := make(chan error, 1)
	go func() { fourth <- l.Acquire(cctx) }()
	waitAcquiring(t, 1, fourth)
	cancel()
	select {
	case err := <-fourth:
		if err == nil {
			t.Error("a cancelled wait acquired")
		}
	case <-time.After(time.Minute):
		t.Fatal("a cancelled wait still waits a minute later")
	}
}

// waitAcquiring waits until n goroutines are asleep in Acquire, failing
// at once if one of them answered on got instead.
func waitAcquiring(t *testing.T, n int, got <-chan error) {
	t.Helper()
	waiting := func(g goroutines.G) bool { return g.Parked() && g.In("vaultclient.(*Limiter).Acquire(") }
	for deadline := time.Now().Add(time.Minute); goroutines.Count(waiting) < n; time.Sleep(time.Millisecond) {
		select {
		case err := <-got:
			t.Fatalf("a request went past the limit (%v)", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %d requests to wait in Acquire", n)
		}
	}
}

// The answers of one sample are judged by their median: a pause in Vault,
// which delays the answers in flight (at most the limit's worth), is not
// queueing however long it lasts, and the limit grows by one a sample,
// not one an answer. A sample holds more than twice the limit's answers,
// or lasts sampleMax.
func TestLimiterJudgesASampleByItsMedian(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	l := NewLimiter(16)
	l.now = func() time.Time { return now }
	l.ownBusy = func() float64 { return 0.1 }
	release := func(rtts ...time.Duration) {
		for _, rtt := range rtts {
			if err := l.Acquire(context.Background()); err != nil {
				t.Fatal(err)
			}
			l.Release(rtt, false)
		}
	}
	limit := func() int { c, _ := l.Limit(); return c }
	ms := time.Millisecond
	answers := func(n int, rtt time.Duration) []time.Duration { return slices.Repeat([]time.Duration{rtt}, n) }

	release(ms) // the baseline
	now = now.Add(sampleMax)
	// Three samples queueing, every answer slow: 16 → 12.8 → 10.2 → 8.2
	// (a sample is judged at the first answer after it).
	for range 3 {
		release(answers(40, 20*ms)...)
		now = now.Add(sampleSpan)
	}
	release(ms)
	if got := limit(); got != 8 {
		t.Fatalf("after three slow samples: limit %d, want 8", got)
	}
	// A pause of 100 ms that held the limit's worth of answers, among 40
	// quick ones: a mean of 17.5 ms, well past the threshold of 8.5 ms,
	// and a median of 1 ms.
	release(append(answers(40, ms), answers(8, 100*ms)...)...)
	now = now.Add(sampleSpan)
	release(ms) // closes the sample
	if got := limit(); got != 9 {
		t.Errorf("after a quick sample with a pause in it: limit %d, want 9 (one more, not one an answer, and not lowered)", got)
	}
	// Too few answers to tell a pause from a queue: the sample goes on
	// past sampleSpan, and is judged at sampleMax.
	release(answers(6, 50*ms)...)
	now = now.Add(sampleSpan)
	release(50 * ms)
	if got := limit(); got != 9 {
		t.Errorf("after seven answers at a limit of 9: limit %d, want 9 (not judged yet)", got)
	}
	now = now.Add(sampleMax)
	release(ms)
	if got := limit(); got != 7 {
		t.Errorf("after a sample of seven slow answers that lasted sampleMax: limit %d, want 9 less a fifth = 7", got)
	}
}

// A slow sample whose slowness is this process's own (its processor busy:
// the UI at work on its one core) leaves the limit where it is; the same
// sample from a process at rest is Vault queueing.
func TestLimiterLeavesSlownessOfItsOwnToItself(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		busy float64 // the share of our processors we kept busy
		want int
	}{
		{"Vault queueing", 0.2, 12},
		{"not known", -1, 12},
		{"ours: our processor busy", 1, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
			l := NewLimiter(16)
			l.now = func() time.Time { return now }
			l.ownBusy = func() float64 { return tc.busy }
			release := func(rtts ...time.Duration) {
				for _, rtt := range rtts {
					if err := l.Acquire(context.Background()); err != nil {
						t.Fatal(err)
					}
					l.Release(rtt, false)
				}
			}
			release(ms) // the baseline
			now = now.Add(sampleMax)
			release(80*ms, 80*ms) // judged at the next answer
			now = now.Add(sampleMax)
			release(ms)
			if got, _ := l.Limit(); got != tc.want {
				t.Errorf("limit %d, want %d", got, tc.want)
			}
		})
	}
}

// Only an answer that says Vault is overloaded halves the limit: a 429, a
// 503, a load balancer's 502 or 504, or no answer at all (a timeout, a
// refused, reset or dropped connection). A lease that vanished (400), an
// empty listing (404), a denied branch (403) or an internal error (500)
// are Vault at work, and a certificate it rejects or a request the
// caller gave up on say nothing of its load. Each case sends one lookup
// through the client's own request path (do) to a local server or socket
// that answers that way.
func TestOnlyOverloadLowersTheLimit(t *testing.T) {
	statuses := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(strings.TrimPrefix(r.Header.Get("X-Answer"), "status "))
		if err != nil {
			code = http.StatusOK
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"errors":["answer %d"]}`, code)
	}))
	defer statuses.Close()
	// Raw sockets for the failures that come before any answer.
	hold := make(chan struct{})
	defer close(hold)
	refused := closedAddr(t)
	reset := rawServer(t, func(c *net.TCPConn) { _ = c.SetLinger(0) })
	dropped := rawServer(t, func(*net.TCPConn) {})
	silent := rawServer(t, func(*net.TCPConn) { <-hold })

	tests := []struct {
		name     string
		addr     string
		answer   string        // X-Answer for the status server
		timeout  time.Duration // the client's per-request timeout
		callerGo time.Duration // the caller's own deadline
		want     bool          // halves the limit
	}{
		{name: "200", addr: statuses.URL, answer: "status 200"},
		{name: "400 a lease that vanished", addr: statuses.URL, answer: "status 400"},
		{name: "403 a denied branch", addr: statuses.URL, answer: "status 403"},
		{name: "404 an empty listing", addr: statuses.URL, answer: "status 404"},
		{name: "412 a standby behind", addr: statuses.URL, answer: "status 412"},
		{name: "500 an internal error", addr: statuses.URL, answer: "status 500"},
		{name: "501", addr: statuses.URL, answer: "status 501"},
		{name: "429 a rate-limit quota", addr: statuses.URL, answer: "status 429", want: true},
		{name: "502 a load balancer", addr: statuses.URL, answer: "status 502", want: true},
		{name: "503 sealed, standby or shedding", addr: statuses.URL, answer: "status 503", want: true},
		{name: "504 a load balancer's timeout", addr: statuses.URL, answer: "status 504", want: true},
		{name: "connection refused", addr: refused, want: true},
		{name: "connection reset", addr: reset, want: true},
		{name: "connection closed before an answer", addr: dropped, want: true},
		{name: "no answer within the timeout", addr: silent, timeout: 300 * time.Millisecond, want: true},
		{name: "the caller gave up", addr: silent, callerGo: 300 * time.Millisecond},
		{name: "HTTPS to a plain HTTP server", addr: strings.Replace(statuses.URL, "http://", "https://", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := api.DefaultConfig()
			cfg.Address = tt.addr
			cfg.Timeout = time.Minute
			if tt.timeout > 0 {
				cfg.Timeout = tt.timeout
			}
			a, err := api.NewClient(cfg)
			if err != nil {
				t.Fatal(err)
			}
			a.SetToken("test-token")
			a.AddHeader("X-Answer", tt.answer)
			c := NewFromAPI(a, Config{Concurrency: 16, MaxRetries: -1})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if tt.callerGo > 0 {
				ctx, cancel = context.WithTimeout(ctx, tt.callerGo)
				defer cancel()
			}
			resp, err := c.do(ctx, request{op: "lookup", method: http.MethodPut, path: "sys/leases/lookup",
				body: map[string]string{"lease_id": "secret/a/b"}, gauge: true})
			closeBody(resp)
			if tt.answer != "status 200" && err == nil {
				t.Fatalf("no error from %s", tt.name)
			}
			want := 16
			if tt.want {
				want = 8
			}
			if got, _ := c.Concurrency(); got != want {
				t.Errorf("after one lookup answered %s (%v): limit %d of 16, want %d", tt.name, err, got, want)
			}
		})
	}
}

// closedAddr is the address of a port nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + l.Addr().String()
	l.Close()
	return addr
}

// rawServer accepts connections on loopback, reads the start of each
// request, hands the connection to then, and closes it (unless then
// keeps it).
func rawServer(t *testing.T, then func(*net.TCPConn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = c.Read(make([]byte, 4096))
				then(c.(*net.TCPConn))
			}()
		}
	}()
	return "http://" + l.Addr().String()
}
