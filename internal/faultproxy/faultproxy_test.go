package faultproxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/goroutines"
)

// The log keeps the method, path, query, body and answer status of every
// request, and the body still reaches the server whole.
func TestLogKeepsBodyAndStatus(t *testing.T) {
	var got string
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer backend.Close()
	p, err := New(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Add(Rule{Method: http.MethodGet, PathPrefix: "sys/health", Count: -1, Fault: Fault{Status: 503, Body: `{}`}})

	body := `{"lease_id":"secret/a/b","sync":true}`
	req, _ := http.NewRequest(http.MethodPut, p.URL+"/v1/sys/leases/revoke?x=1", strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Get(p.URL + "/v1/sys/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	if got != body {
		t.Errorf("the server got %q, want %q", got, body)
	}
	reqs := p.Requests()
	if len(reqs) != 2 {
		t.Fatalf("log %+v", reqs)
	}
	r := reqs[0]
	if r.Method != "PUT" || r.Path != "sys/leases/revoke" || r.Query != "x=1" || string(r.Body) != body || r.Status != 204 || r.Fault {
		t.Errorf("forwarded request logged as %+v", r)
	}
	if r := reqs[1]; r.Status != 503 || !r.Fault {
		t.Errorf("injected answer logged as %+v", r)
	}
	if n := p.Count(func(r Request) bool { return r.Method == "PUT" }); n != 1 {
		t.Errorf("Count(PUT) = %d", n)
	}
	if p.InFlight() != 0 {
		t.Errorf("in flight after every answer: %d", p.InFlight())
	}
}

// Hold keeps requests waiting (counted in flight) until it is closed.
func TestHoldWaitsUntilReleased(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer backend.Close()
	p, err := New(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	hold := make(chan struct{})
	p.Add(Rule{Count: -1, Fault: Fault{Hold: hold}})
	done := make(chan int)
	go func() {
		resp, err := http.Get(p.URL + "/v1/sys/health")
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	deadline := time.Now().Add(time.Minute)
	for p.InFlight() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the request never arrived")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The handler asleep on the hold, not after some span of time in
	// which a loaded machine might not have run it at all.
	held := func(g goroutines.G) bool {
		return g.Parked() && g.In("internal/faultproxy.New.func") && !g.In("httputil.(*ReverseProxy)")
	}
	for goroutines.Count(held) == 0 {
		select {
		case <-done:
			t.Fatal("answered while held")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the request never waited on the hold")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case <-done:
		t.Fatal("answered while held")
	default:
	}
	close(hold)
	if code := <-done; code != 200 {
		t.Errorf("status after release: %d", code)
	}
}

// A Queue lets K requests reach the server at a time and keeps the rest
// waiting, in flight at the proxy, until a turn is free; every request is
// answered by the server in the end.
func TestQueueServesKAtATime(t *testing.T) {
	const k, n = 2, 5
	release := make(chan struct{})
	var mu sync.Mutex
	serving, most := 0, 0
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		serving++
		most = max(most, serving)
		mu.Unlock()
		<-release
		mu.Lock()
		serving--
		mu.Unlock()
	}))
	defer backend.Close()
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	p, err := New(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	defer free() // before the servers close, or a failed test hangs in Close
	q := NewQueue(k, time.Millisecond)
	p.Add(Rule{Count: -1, Fault: Fault{Queue: q}})
	codes := make(chan int, n)
	for range n {
		go func() {
			resp, err := http.Get(p.URL + "/v1/sys/health")
			if err != nil {
				codes <- -1
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	// K at the server, the rest queued: a state, waited for, that a proxy
	// letting more through (or queueing none) never reaches.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		at := serving
		mu.Unlock()
		if at == k && q.Waiting() == n-k && q.Serving() == k && p.InFlight() == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("at the server %d, waiting %d, serving %d, in flight %d; want %d, %d, %d, %d", at, q.Waiting(), q.Serving(), p.InFlight(), k, n-k, k, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	free()
	for range n {
		if code := <-codes; code != http.StatusOK {
			t.Errorf("status %d, want every request answered 200", code)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if most != k {
		t.Errorf("the server had up to %d requests at once, want %d", most, k)
	}
	if q.Waiting() != 0 || q.Serving() != 0 {
		t.Errorf("after every answer: %d waiting, %d serving", q.Waiting(), q.Serving())
	}
}
