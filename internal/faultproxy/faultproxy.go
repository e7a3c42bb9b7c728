// Package faultproxy is a reverse proxy in front of a real Vault server
// that injects faults (error answers, latency, dropped connections) and
// counts what passes, for tests and benchmarks. It imitates nothing of
// Vault's API: every answer that is not an injected fault is the real
// server's.
package faultproxy

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is what to do to a request that a rule matches.
type Fault struct {
	Status int               // answer with this status instead of forwarding (0: forward)
	Header map[string]string // added to an injected answer
	Body   string            // body of an injected answer
	Delay  time.Duration     // wait before handling
	// Hold, when not nil, keeps the request waiting until it is closed
	// (after Delay): a Vault that hangs until the test lets it go.
	Hold <-chan struct{}
	Drop bool // close the connection without answering
	// Queue, when not nil, makes the request wait its turn in the queue
	// first, and hold its place there until it is answered (after Delay,
	// Hold, and the real server's answer): see Queue.
	Queue *Queue
	// Pauses, when not nil, hold the request and its answer while a pause
	// lasts: see Pauses.
	Pauses *Pauses
}

// Pauses is a server that stops answering for Length at the start of
// every Period, as a Vault does in a garbage collection of a heap of
// gigabytes or while a request holds a lock that every lookup waits for:
// a request that comes during a pause waits for its end, and so does an
// answer that falls due during one. Unlike a queue, a pause delays the
// requests in flight when it falls however few they are.
type Pauses struct {
	period, length time.Duration
	start          time.Time
	held           atomic.Int64
}

// NewPauses pauses for length every period, the first starting now.
func NewPauses(period, length time.Duration) *Pauses {
	return &Pauses{period: period, length: min(length, period), start: time.Now()}
}

// Held is how many requests and answers a pause has held so far.
func (p *Pauses) Held() int { return int(p.held.Load()) }

// wait returns at once outside a pause, and at its end inside one; false
// when the client hung up first.
func (p *Pauses) wait(r *http.Request) bool {
	if p.period <= 0 {
		return true
	}
	in := time.Since(p.start) % p.period
	if in >= p.length {
		return true
	}
	p.held.Add(1)
	select {
	case <-time.After(p.length - in):
		return true
	case <-r.Context().Done():
		return false
	}
}

// pausedWriter holds an answer's header (and so the answer) while a
// pause lasts.
type pausedWriter struct {
	http.ResponseWriter
	r      *http.Request
	p      *Pauses
	waited bool
}

func (w *pausedWriter) WriteHeader(code int) {
	if !w.waited {
		w.waited = true
		w.p.wait(w.r)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *pausedWriter) Write(b []byte) (int, error) {
	if !w.waited {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *pausedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Queue is a server of limited capacity in front of the real one: it
// serves K requests at a time, each for at least Service, and queues the
// rest in the order they came. Its latency grows with the load, as a
// saturated Vault's does (Little's law: n requests in flight wait about
// n/K·Service), while every answer is still the real server's. Rules may
// share one Queue; removing them (Clear) ends the queueing for requests
// not yet queued.
type Queue struct {
	slots   chan struct{}
	service time.Duration

	mu      sync.Mutex
	waiting int
}

// NewQueue serves k requests at a time (at least 1), each for at least
// service.
func NewQueue(k int, service time.Duration) *Queue {
	return &Queue{slots: make(chan struct{}, max(k, 1)), service: service}
}

// Waiting is how many requests wait for a turn now.
func (q *Queue) Waiting() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.waiting
}

// Serving is how many requests hold a turn now.
func (q *Queue) Serving() int { return len(q.slots) }

// enter waits for a turn (false: the client hung up first) and spends
// the least service time in it; leave ends the turn.
func (q *Queue) enter(r *http.Request) bool {
	q.mu.Lock()
	q.waiting++
	q.mu.Unlock()
	// Senders blocked on a channel are woken in the order they came.
	turn := false
	select {
	case q.slots <- struct{}{}:
		turn = true
	case <-r.Context().Done():
	}
	q.mu.Lock()
	q.waiting--
	q.mu.Unlock()
	if !turn {
		return false
	}
	if q.service > 0 {
		select {
		case <-time.After(q.service):
		case <-r.Context().Done():
		}
	}
	if r.Context().Err() != nil {
		q.leave()
		return false
	}
	return true
}

func (q *Queue) leave() { <-q.slots }

// Rule matches requests; Count is how many it handles (negative: all).
type Rule struct {
	Method     string // "" matches any
	PathPrefix string // matched against the path without /v1/; "" matches any
	Count      int
	Fault      Fault
}

// Request is one request the proxy saw.
type Request struct {
	Method string
	Path   string // without /v1/
	Query  string // the raw query, without '?'
	Body   []byte // the first MaxBody bytes of the request body
	Fault  bool   // answered by a fault rule, not by Vault
	// Namespace is the X-Vault-Namespace header the request carried.
	Namespace string
	// Status is the status of the answer: 0 while the request is in
	// flight, or when the connection was dropped before an answer.
	Status int
}

// Mutating reports whether the request could change something in Vault:
// anything but a read, a listing, or one of the lookups sent with a body
// (a lease's, a token's by accessor, the token's capabilities).
func (r Request) Mutating() bool {
	switch r.Method {
	case "LIST", http.MethodGet, http.MethodHead:
		return false
	case http.MethodPut, http.MethodPost:
		switch r.Path {
		case "sys/leases/lookup", "sys/capabilities-self", "auth/token/lookup-accessor":
			return false
		}
	}
	return true
}

// MaxBody is how much of a request body the log keeps.
const MaxBody = 64 << 10

// Proxy forwards to a Vault server.
type Proxy struct {
	URL string
	// OnAnswer, if set, hears every request once it is answered (from the
	// proxy's goroutines): a benchmark times what it waits for with it.
	OnAnswer func(Request)
	// NoLog keeps no requests (Requests is empty): a million of them
	// would weigh on the benchmark that sends them.
	NoLog bool

	srv      *httptest.Server
	mu       sync.Mutex
	rules    []*Rule
	log      []*Request
	inFlight int
}

// New starts a proxy on loopback in front of target (e.g. http://127.0.0.1:8200).
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	// A client that hangs up mid-request (a test's program quitting) is
	// no news.
	rp.ErrorLog = log.New(io.Discard, "", 0)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, "/v1/")
		method := r.Method
		if r.URL.Query().Get("list") == "true" && method == http.MethodGet {
			method = "LIST"
		}
		req := &Request{Method: method, Path: path, Query: r.URL.RawQuery, Namespace: r.Header.Get("X-Vault-Namespace")}
		if r.Body != nil {
			// Keep the start of the body for the log; forward all of it.
			head, _ := io.ReadAll(io.LimitReader(r.Body, MaxBody))
			req.Body = head
			r.Body = readCloser{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
		}
		f, faulty := p.match(method, path)
		req.Fault = faulty && (f.Status != 0 || f.Drop)
		p.mu.Lock()
		if !p.NoLog {
			p.log = append(p.log, req)
		}
		p.inFlight++
		p.mu.Unlock()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			p.mu.Lock()
			req.Status = sw.status
			p.inFlight--
			p.mu.Unlock()
			if p.OnAnswer != nil {
				p.OnAnswer(*req)
			}
		}()
		if faulty {
			if f.Queue != nil {
				if !f.Queue.enter(r) {
					return
				}
				defer f.Queue.leave()
			}
			if f.Pauses != nil && !f.Pauses.wait(r) {
				return
			}
			if f.Delay > 0 {
				select {
				case <-time.After(f.Delay):
				case <-r.Context().Done():
					return
				}
			}
			if f.Hold != nil {
				select {
				case <-f.Hold:
				case <-r.Context().Done():
					return
				}
			}
			if f.Drop {
				if hj, ok := w.(http.Hijacker); ok {
					if conn, _, err := hj.Hijack(); err == nil {
						conn.Close()
						return
					}
				}
				panic(http.ErrAbortHandler)
			}
			if f.Status != 0 {
				for k, v := range f.Header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json")
				sw.WriteHeader(f.Status)
				_, _ = sw.Write([]byte(f.Body))
				return
			}
		}
		var out http.ResponseWriter = sw
		if faulty && f.Pauses != nil {
			out = &pausedWriter{ResponseWriter: sw, r: r, p: f.Pauses}
		}
		rp.ServeHTTP(out, r)
	}))
	p.URL = p.srv.URL
	return p, nil
}

// Add installs a rule; rules are tried in the order added.
func (p *Proxy) Add(r Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rr := r
	p.rules = append(p.rules, &rr)
}

// Clear removes every rule.
func (p *Proxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
}

func (p *Proxy) match(method, path string) (Fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.rules {
		if r.Count == 0 {
			continue
		}
		if r.Method != "" && r.Method != method {
			continue
		}
		if !strings.HasPrefix(path, r.PathPrefix) {
			continue
		}
		if r.Count > 0 {
			r.Count--
		}
		return r.Fault, true
	}
	return Fault{}, false
}

// Requests returns a copy of every request seen so far.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Request, len(p.log))
	for i, r := range p.log {
		out[i] = *r
	}
	return out
}

// Count is how many of the requests seen so far match.
func (p *Proxy) Count(match func(Request) bool) int {
	n := 0
	for _, r := range p.Requests() {
		if match(r) {
			n++
		}
	}
	return n
}

// InFlight is how many requests the proxy is handling now (received, not
// yet answered).
func (p *Proxy) InFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inFlight
}

// Reset forgets the requests seen so far.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// statusWriter remembers the status of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer (flushes).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Close stops the proxy.
func (p *Proxy) Close() { p.srv.Close() }
