// Package faultproxy is a reverse proxy in front of a real Vault server
// that injects faults (error answers, latency, dropped connections) and
// counts what passes, for tests and benchmarks. It imitates nothing of
// Vault's API: every answer that is not an injected fault is the real
// server's.
package faultproxy

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Fault is what to do to a request that a rule matches.
type Fault struct {
	Status int               // answer with this status instead of forwarding (0: forward)
	Header map[string]string // added to an injected answer
	Body   string            // body of an injected answer
	Delay  time.Duration     // wait before handling
	Drop   bool              // close the connection without answering
}

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
	Fault  bool   // answered by a fault rule, not by Vault
}

// Proxy forwards to a Vault server.
type Proxy struct {
	URL string

	srv   *httptest.Server
	mu    sync.Mutex
	rules []*Rule
	log   []Request
}

// New starts a proxy on loopback in front of target (e.g. http://127.0.0.1:8200).
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, "/v1/")
		method := r.Method
		if r.URL.Query().Get("list") == "true" && method == http.MethodGet {
			method = "LIST"
		}
		f, faulty := p.match(method, path)
		p.mu.Lock()
		p.log = append(p.log, Request{Method: method, Path: path, Fault: faulty && (f.Status != 0 || f.Drop)})
		p.mu.Unlock()
		if faulty {
			if f.Delay > 0 {
				select {
				case <-time.After(f.Delay):
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
				w.WriteHeader(f.Status)
				_, _ = w.Write([]byte(f.Body))
				return
			}
		}
		rp.ServeHTTP(w, r)
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
	return append([]Request(nil), p.log...)
}

// Reset forgets the requests seen so far.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = nil
}

// Close stops the proxy.
func (p *Proxy) Close() { p.srv.Close() }
