// Package vaultclient does every lease operation leasetop needs against
// Vault (or OpenBao), over github.com/hashicorp/vault/api. It answers in
// typed values (Lease, RenewResult, Mount, ...) and typed errors (*Error
// with a Kind), retries what is safe to retry, and never lets the token
// into an error.
package vaultclient

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/hashicorp/vault/api"
)

// Config holds what leasetop's flags may override; everything else comes
// from the environment exactly as the vault CLI reads it (VAULT_ADDR,
// VAULT_TOKEN or ~/.vault-token, VAULT_NAMESPACE, VAULT_CACERT,
// VAULT_SKIP_VERIFY, ...).
type Config struct {
	Address   string        // overrides VAULT_ADDR when set
	Namespace string        // overrides VAULT_NAMESPACE when set
	Token     string        // overrides VAULT_TOKEN / ~/.vault-token when set
	Timeout   time.Duration // per request; 0 means 30s

	// Concurrency bounds parallel requests in Walk; 0 means DefaultConcurrency.
	Concurrency int
	// MaxRetries is how often a retryable failure (429, 5xx, reset) is retried.
	// 0 means 4; negative means never.
	MaxRetries int
	// RateLimit caps requests per second to Vault, over every call of the
	// client; 0 leaves VAULT_RATE_LIMIT (or no limit).
	RateLimit float64
	// FixedConcurrency turns the adaptive limit off: Walk keeps Concurrency
	// requests in flight whatever Vault's latency.
	FixedConcurrency bool

	// TLS, over VAULT_CACERT and friends when set (a context's settings).
	CACert, CAPath, ClientCert, ClientKey, TLSServerName string
	SkipVerify                                           bool
}

// DefaultConcurrency is where lookups saturate a 2-core server (VAULT-FACTS:
// ~8,000-8,800 lookups/s at 8-32) without queueing too deep.
const DefaultConcurrency = 16

// Client is safe for concurrent use.
type Client struct {
	api         *api.Client
	concurrency int
	maxRetries  int
	// limiter bounds requests in flight adaptively; nil when fixed.
	limiter *Limiter
	// sleep is replaced in tests of the retry logic.
	sleep func(context.Context, time.Duration) error
}

// New builds a client from the environment and cfg. It reads the token the
// way the vault CLI does, including ~/.vault-token.
func New(cfg Config) (*Client, error) {
	ac := api.DefaultConfig()
	if ac.Error != nil {
		return nil, &Error{Kind: KindTLS, Op: "configure", Err: ac.Error,
			Hint: "check VAULT_CACERT, VAULT_CAPATH and VAULT_CLIENT_CERT"}
	}
	if cfg.Address != "" {
		ac.Address = cfg.Address
	}
	if cfg.CACert != "" || cfg.CAPath != "" || cfg.ClientCert != "" || cfg.TLSServerName != "" || cfg.SkipVerify {
		if err := ac.ConfigureTLS(&api.TLSConfig{CACert: cfg.CACert, CAPath: cfg.CAPath, ClientCert: cfg.ClientCert,
			ClientKey: cfg.ClientKey, TLSServerName: cfg.TLSServerName, Insecure: cfg.SkipVerify}); err != nil {
			return nil, &Error{Kind: KindTLS, Op: "configure", Err: err, Hint: "check the context's ca-cert, ca-path, client-cert and client-key"}
		}
	}
	if cfg.Timeout > 0 {
		ac.Timeout = cfg.Timeout
	}
	conc := cfg.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	KeepConnections(ac, conc)
	c, err := api.NewClient(ac)
	if err != nil {
		return nil, &Error{Kind: KindOther, Op: "configure", Err: err,
			Hint: "check VAULT_ADDR (for example http://127.0.0.1:8200)"}
	}
	if cfg.Namespace != "" {
		c.SetNamespace(cfg.Namespace)
	}
	switch {
	case cfg.Token != "":
		c.SetToken(cfg.Token)
	case c.Token() == "":
		if tok, err := tokenFromHelper(); err == nil && tok != "" {
			c.SetToken(tok)
		}
	}
	return NewFromAPI(c, cfg), nil
}

// KeepConnections lets the client keep n connections to Vault open. The
// api package's default keeps GOMAXPROCS+1, so on a small machine a crawl
// at concurrency 16 would open (and leave in TIME_WAIT) a new TCP
// connection for most requests.
func KeepConnections(cfg *api.Config, n int) {
	if t, ok := cfg.HttpClient.Transport.(*http.Transport); ok {
		t.MaxIdleConnsPerHost = n + 4
		t.MaxIdleConns = max(t.MaxIdleConns, n+4)
	}
}

// NewFromAPI wraps an api.Client that the caller configured.
func NewFromAPI(c *api.Client, cfg Config) *Client {
	cl := &Client{api: c, concurrency: cfg.Concurrency, maxRetries: cfg.MaxRetries, sleep: sleepCtx}
	if cfg.RateLimit > 0 {
		c.SetLimiter(cfg.RateLimit, max(int(cfg.RateLimit/10), 1))
	}
	if cl.concurrency <= 0 {
		cl.concurrency = DefaultConcurrency
	}
	if !cfg.FixedConcurrency {
		cl.limiter = NewLimiter(cl.concurrency)
	}
	switch {
	case cl.maxRetries == 0:
		cl.maxRetries = 4
	case cl.maxRetries < 0:
		cl.maxRetries = 0
	}
	// Retries are ours: the api package's policy neither honours Retry-After
	// nor knows which of our calls are safe to repeat.
	c.SetMaxRetries(0)
	return cl
}

// Concurrency is the adaptive limit on requests in flight now, and its
// ceiling (both the ceiling when the limit is fixed).
func (c *Client) Concurrency() (current, ceiling int) {
	if c.limiter == nil {
		return c.concurrency, c.concurrency
	}
	return c.limiter.Limit()
}

// Overloads is how many answers so far said Vault was overloaded (429,
// 502-504, no answer at all), each a reason for the adaptive limit to
// halve; 0 when the limit is fixed.
func (c *Client) Overloads() int {
	if c.limiter == nil {
		return 0
	}
	return c.limiter.Overloads()
}

// LimitedByOverload reports whether the adaptive limit last fell because
// Vault said it was overloaded (429, 502-504, no answer), not because its
// answers slowed down.
func (c *Client) LimitedByOverload() bool {
	return c.limiter != nil && c.limiter.ByOverload()
}

// WithNamespace is a client like c that sends X-Vault-Namespace: ns (""
// for the root namespace), with a limit of its own.
func (c *Client) WithNamespace(ns string) *Client {
	c2 := *c
	c2.api = c.api.WithNamespace(ns)
	if c.limiter != nil {
		c2.limiter = NewLimiter(c.concurrency)
	}
	return &c2
}

// Address is the Vault address in use.
func (c *Client) Address() string { return c.api.Address() }

// Namespace is the namespace in use ("" for root).
func (c *Client) Namespace() string { return c.api.Namespace() }

// HasToken reports whether a token is configured at all.
func (c *Client) HasToken() bool { return c.api.Token() != "" }

// API gives the underlying client, for callers (tests, seeders) that need
// calls this package does not wrap.
func (c *Client) API() *api.Client { return c.api }

func (c *Client) token() string { return c.api.Token() }

// request is one Vault call.
type request struct {
	op     string // for errors: "list", "lookup", ...
	method string
	path   string // without /v1/
	body   any
	query  map[string]string
	// mutating requests are retried only when Vault said it did not act
	// (429), never after a dropped connection, so nothing happens twice.
	mutating bool
	// gauge: the round trip says how busy Vault is, because every request
	// of its kind costs Vault alike (a lookup), so the adaptive limit
	// learns from it. A LIST's round trip grows with the keys it returns
	// and a revoke-prefix's with its leases: judged as queueing, the
	// LISTs of a million-lease tree (0.2 to 0.9 s each) brought the limit
	// from 16 to 1 within 1.5 s and the tree's counts came in one LIST at
	// a time. Any request's answer of overload (see overloaded) still
	// lowers the limit.
	gauge bool
	// held, if set, says the caller already holds room under the limit
	// for the first attempt (see room), and gives it back unused.
	held func()
}

// room waits for room under the adaptive limit for one request, for a
// caller that decides what to send only once it may go (the walk picks
// the lease to look up then). The request takes it as held; release gives
// it back unused.
func (c *Client) room(ctx context.Context) (release func(), err error) {
	if c.limiter == nil {
		return func() {}, nil
	}
	if err := c.limiter.Acquire(ctx); err != nil {
		return nil, err
	}
	return func() { c.limiter.Release(0, false) }, nil
}

// do sends r, retrying rate limits and transient failures with backoff. It
// returns the response for any status below 400, and an *Error otherwise.
// A 404 is returned as an *Error of KindNotFound with the response attached
// to the error's Status, for callers that treat it as "empty".
func (c *Client) do(ctx context.Context, r request) (*api.Response, error) {
	var last *Error
	for attempt := 0; ; attempt++ {
		held := attempt == 0 && r.held != nil
		req := c.api.NewRequest(r.method, "/v1/"+r.path)
		for k, v := range r.query {
			req.Params.Set(k, v)
		}
		if b, ok := r.body.(rawBody); ok {
			// Obj too: the api package re-encodes Obj for a redirect
			// (a standby sends the client to the active node).
			req.Obj, req.BodyBytes = json.RawMessage(b), b
		} else if r.body != nil {
			if err := req.SetJSONBody(r.body); err != nil {
				if held {
					r.held()
				}
				return nil, &Error{Kind: KindOther, Op: r.op, Path: r.path, Err: err}
			}
		}
		if c.limiter != nil && !held {
			if err := c.limiter.Acquire(ctx); err != nil {
				return nil, &Error{Kind: KindUnreachable, Op: r.op, Path: r.path, Err: err, Hint: "cancelled"}
			}
		}
		start := time.Now()
		// The api package gives every request a context with its timeout
		// and never cancels it (it would cut off the body being read), so
		// each request stays registered with ctx, timer and all, until the
		// timeout fires a minute later: at 3,000 lookups a second that was
		// most of the crawl's heap (94 MB of 145 at 300k leases). A context
		// of our own, cancelled when the body is closed, lets go at once.
		reqCtx, release := context.WithCancel(ctx)
		//nolint:staticcheck // the raw call is the one that exposes status codes and headers.
		resp, err := c.api.RawRequestWithContext(reqCtx, req)
		if c.limiter != nil {
			rtt := time.Since(start)
			if !r.gauge {
				rtt = 0
			}
			c.limiter.Release(rtt, overloaded(ctx, resp, err))
		}
		if err == nil && resp != nil && resp.StatusCode < 400 {
			if resp.Body != nil {
				resp.Body = releasingBody{resp.Body, release}
			} else {
				release()
			}
			return resp, nil
		}
		if ctx.Err() != nil {
			closeBody(resp)
			release()
			return nil, &Error{Kind: KindUnreachable, Op: r.op, Path: r.path, Err: ctx.Err(), Hint: "cancelled"}
		}
		last = c.classify(r.op, r.path, resp, err)
		closeBody(resp)
		release()
		if attempt >= c.maxRetries || !c.retryable(r, last) {
			return nil, last
		}
		if err := c.sleep(ctx, backoff(attempt, last.RetryAfter)); err != nil {
			return nil, last
		}
	}
}

func (c *Client) retryable(r request, e *Error) bool {
	if e.Kind == KindRateLimited {
		return true // Vault did not act on a 429
	}
	if r.mutating {
		return false
	}
	switch e.Kind {
	case KindServer, KindUnreachable:
		return e.Status != http.StatusNotImplemented
	}
	return false
}

// overloaded reports whether an answer says Vault is overloaded, which
// is what may halve the adaptive limit: 429 (a rate-limit quota), 503
// (sealed, standby or shedding load), 502 and 504 (a load balancer that
// found Vault slow or gone), and a request that met no answer at all
// (timed out, refused, reset or closed before the answer). Any other
// answer is Vault at work: the api package returns an error for every
// status of 400 and above, but a lease that vanished between a LIST and
// its lookup (400), an empty prefix (404) or a denied branch (403) come
// by the thousand in a churn storm, and each one halving the limit held a
// healthy Vault's crawl near 2 of 16. A request the caller gave up on
// says nothing either.
func overloaded(ctx context.Context, resp *api.Response, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	var re *api.ResponseError
	if errors.As(err, &re) {
		status = re.StatusCode
	}
	if status != 0 {
		switch status {
		case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	return err != nil && transportOverload(err)
}

// transportOverload: a failure before any answer that a busy or
// restarting server causes. A certificate, a name that does not resolve
// or a malformed address fail the same way however idle Vault is.
func transportOverload(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// backoff waits Retry-After when the server gave one, else exponential
// with jitter from 100 ms, capped at 5 s.
func backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, 30*time.Second)
	}
	d := 100 * time.Millisecond << attempt
	d = min(d, 5*time.Second)
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// releasingBody is a response body that releases its request's context
// when closed. Every caller of do closes the body it gets.
type releasingBody struct {
	io.ReadCloser
	release context.CancelFunc
}

func (b releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

func closeBody(resp *api.Response) {
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
}
