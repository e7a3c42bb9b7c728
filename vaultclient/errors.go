package vaultclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/vault/api"
)

// Kind says what went wrong, in terms an operator can act on.
type Kind int

const (
	KindOther            Kind = iota
	KindPermissionDenied      // 403: the token lacks a capability
	KindInvalidLease          // the lease id is unknown, revoked or expired
	KindTokenLease            // token leases renew through auth/token/renew*, not sys/leases/renew
	KindNotRenewable          // the engine (e.g. PKI) issued the lease as not renewable
	KindIrrevocable           // the lease failed revocation and Vault gave up on it
	KindSealed                // Vault is sealed
	KindStandby               // the node is a standby that cannot answer
	KindRateLimited           // 429: a rate-limit quota was hit
	KindServer                // 5xx
	KindUnreachable           // no TCP/HTTP conversation with the address
	KindTLS                   // certificate or handshake problem
	KindBadRequest            // any other 4xx
	KindNotFound              // 404 where something was expected
	KindBadToken              // the token is missing or malformed
)

var kindNames = map[Kind]string{
	KindOther:            "error",
	KindPermissionDenied: "permission denied",
	KindInvalidLease:     "invalid lease",
	KindTokenLease:       "token lease",
	KindNotRenewable:     "not renewable",
	KindIrrevocable:      "irrevocable",
	KindSealed:           "vault is sealed",
	KindStandby:          "standby node",
	KindRateLimited:      "rate limited",
	KindServer:           "server error",
	KindUnreachable:      "unreachable",
	KindTLS:              "TLS error",
	KindBadRequest:       "bad request",
	KindNotFound:         "not found",
	KindBadToken:         "bad token",
}

func (k Kind) String() string { return kindNames[k] }

// Sentinels for errors.Is: errors.Is(err, vaultclient.ErrPermissionDenied).
var (
	ErrPermissionDenied = &Error{Kind: KindPermissionDenied}
	ErrInvalidLease     = &Error{Kind: KindInvalidLease}
	ErrTokenLease       = &Error{Kind: KindTokenLease}
	ErrNotRenewable     = &Error{Kind: KindNotRenewable}
	ErrIrrevocable      = &Error{Kind: KindIrrevocable}
	ErrSealed           = &Error{Kind: KindSealed}
	ErrStandby          = &Error{Kind: KindStandby}
	ErrRateLimited      = &Error{Kind: KindRateLimited}
	ErrServer           = &Error{Kind: KindServer}
	ErrUnreachable      = &Error{Kind: KindUnreachable}
	ErrTLS              = &Error{Kind: KindTLS}
	ErrBadRequest       = &Error{Kind: KindBadRequest}
	ErrNotFound         = &Error{Kind: KindNotFound}
	ErrBadToken         = &Error{Kind: KindBadToken}
)

// Error is every error this package returns for a Vault call. It never holds
// the token: messages come from Vault's error list or from the transport,
// and both are scrubbed of it.
type Error struct {
	Kind   Kind
	Op     string // what leasetop was doing: "list", "lookup", "renew", ...
	Path   string // the API path, without /v1/
	Status int    // HTTP status, 0 when there was no response
	// Messages are Vault's own error strings.
	Messages []string
	// Hint says in plain words what to do about it, when there is something.
	Hint string
	// RetryAfter is the server's Retry-After on a 429, when it sent one.
	RetryAfter time.Duration
	// Err is the underlying transport error, if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		if e.Path != "" {
			b.WriteString(" ")
			b.WriteString(e.Path)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if msg := strings.Join(e.Messages, "; "); msg != "" && !strings.EqualFold(msg, e.Kind.String()) {
		b.WriteString(": ")
		b.WriteString(msg)
	} else if e.Err != nil && len(e.Messages) == 0 {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Hint != "" {
		b.WriteString(". ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches on Kind, so the sentinels above work with errors.Is.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Op == "" && t.Path == "" && t.Status == 0 && t.Kind == e.Kind
}

// KindOf returns the Kind of err, or KindOther when it is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindOther
}

// Temporary reports whether retrying the same call later may succeed.
func (e *Error) Temporary() bool {
	switch e.Kind {
	case KindRateLimited, KindServer, KindUnreachable, KindSealed, KindStandby:
		return true
	}
	return false
}

// classify turns what the api package returned into an *Error. resp may be
// nil (transport failure); err may be nil with resp holding a 4xx/5xx.
func (c *Client) classify(op, path string, resp *api.Response, err error) *Error {
	e := &Error{Op: op, Path: path}
	if resp != nil {
		e.Status = resp.StatusCode
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			e.RetryAfter = parseRetryAfter(ra)
		}
	}
	var re *api.ResponseError
	if errors.As(err, &re) {
		e.Status = re.StatusCode
		e.Messages = re.Errors
	} else if err != nil {
		e.Err = scrubErr(err, c.token())
	}
	e.Messages = flattenMessages(e.Messages, c.token())
	msg := strings.ToLower(strings.Join(e.Messages, " "))

	switch {
	case e.Status == 0:
		e.Kind, e.Hint = transportKind(err, c.api.Address())
	case e.Status == 403:
		e.Kind = KindPermissionDenied
		if strings.Contains(msg, "invalid token") || strings.Contains(msg, "bad token") || strings.Contains(msg, "token is expired") {
			e.Kind = KindBadToken
			e.Hint = "the token is not valid any more (expired or revoked); log in again and restart leasetop"
		} else {
			e.Hint = capabilityHint(op, path)
		}
	case e.Status == 429:
		e.Kind = KindRateLimited
		e.Hint = "Vault's rate-limit quota was hit; leasetop slows down and retries"
	case strings.Contains(msg, "vault is sealed"):
		e.Kind = KindSealed
		e.Hint = "unseal Vault (vault operator unseal) and leasetop carries on"
	case strings.Contains(msg, "tokens cannot be renewed through this endpoint"):
		e.Kind = KindTokenLease
		e.Hint = "token leases renew through auth/token/renew or auth/token/renew-accessor, not sys/leases/renew"
	case strings.Contains(msg, "failed previous revocation attempts"):
		e.Kind = KindIrrevocable
		e.Hint = "the lease is irrevocable; only a force revoke (sys/leases/revoke-force) removes it"
	case strings.Contains(msg, "lease is not renewable"):
		e.Kind = KindNotRenewable
		e.Hint = "the secrets engine issued this lease as not renewable"
	case strings.Contains(msg, "invalid lease") || strings.Contains(msg, "lease not found") ||
		strings.Contains(msg, "lease id not found") || strings.Contains(msg, "lease expired"):
		e.Kind = KindInvalidLease
		e.Hint = "the lease no longer exists (revoked or expired)"
	case e.Status == 503 && (strings.Contains(msg, "standby") || strings.Contains(msg, "performance standby")):
		e.Kind = KindStandby
		e.Hint = "this node is a standby; point leasetop at the active node or wait for a leader election"
	case strings.Contains(msg, "http request to an https server"):
		e.Kind = KindTLS
		e.Hint = "the server speaks HTTPS; use an https:// VAULT_ADDR"
	case e.Status == 404:
		e.Kind = KindNotFound
	case e.Status >= 500:
		e.Kind = KindServer
	case e.Status >= 400:
		e.Kind = KindBadRequest
	default:
		e.Kind = KindOther
	}
	return e
}

// transportKind explains a failure that happened before Vault answered.
func transportKind(err error, addr string) (Kind, string) {
	if err == nil {
		return KindOther, ""
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return KindUnreachable, "no answer from " + addr + " before the request timed out"
	}
	var (
		certErr    *tls.CertificateVerificationError
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		recordErr  tls.RecordHeaderError
		invalidErr x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &certErr), errors.As(err, &invalidErr):
		return KindTLS, "the server's certificate is not trusted; set VAULT_CACERT to the CA that signed it"
	case errors.As(err, &hostErr):
		return KindTLS, "the server's certificate does not match the address; check VAULT_ADDR or set VAULT_TLS_SERVER_NAME"
	case errors.As(err, &recordErr), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return KindTLS, "the server speaks plain HTTP; use an http:// VAULT_ADDR"
	case strings.Contains(err.Error(), "malformed HTTP response"):
		return KindTLS, "the server speaks HTTPS; use an https:// VAULT_ADDR"
	case strings.Contains(err.Error(), "non-printable characters"):
		return KindBadToken, "the token has non-printable characters; check VAULT_TOKEN or ~/.vault-token"
	}
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		hint := "the connection closed before Vault answered"
		if strings.HasPrefix(addr, "http://") {
			hint += "; if the server speaks HTTPS, use an https:// VAULT_ADDR"
		}
		return KindUnreachable, hint
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return KindUnreachable, "the host name in VAULT_ADDR does not resolve"
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		// A standby redirects to the active node: name the node that was
		// actually dialled when it is not the configured one.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			if u, perr := url.Parse(urlErr.URL); perr == nil {
				if cu, cerr := url.Parse(addr); cerr == nil && u.Host != cu.Host {
					return KindUnreachable, fmt.Sprintf("%s redirected to the active node at %s, which does not answer; a leader election may be under way", cu.Host, u.Host)
				}
			}
		}
		return KindUnreachable, "nothing listens at " + addr + "; check VAULT_ADDR and that Vault is running"
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return KindUnreachable, "the connection to " + addr + " failed"
	}
	return KindUnreachable, ""
}

// flattenMessages turns Vault's multierror text ("2 errors occurred:\n\t*
// permission denied\n\t* invalid token") into one message per error, so
// the UI can print them on one line.
func flattenMessages(msgs []string, token string) []string {
	var out []string
	for _, m := range msgs {
		m = strings.TrimSpace(m)
		if strings.Contains(m, "errors occurred:") || strings.Contains(m, "error occurred:") {
			for _, line := range strings.Split(m, "\n") {
				line = strings.TrimSpace(line)
				if rest, ok := strings.CutPrefix(line, "* "); ok {
					out = append(out, scrub(rest, token))
				}
			}
			continue
		}
		if m != "" {
			out = append(out, scrub(m, token))
		}
	}
	return out
}

func parseRetryAfter(v string) time.Duration {
	if secs, err := time.ParseDuration(strings.TrimSpace(v) + "s"); err == nil && secs >= 0 {
		return secs
	}
	if t, err := time.Parse(time.RFC1123, v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// scrub removes the token from s, in case a server or proxy echoed it.
func scrub(s, token string) string {
	if token == "" || len(token) < 4 {
		return s
	}
	return strings.ReplaceAll(s, token, "[token]")
}

// scrubbedError deliberately does not unwrap: the wrapped error's text holds
// the token.
type scrubbedError struct{ msg string }

func (s *scrubbedError) Error() string { return s.msg }

func scrubErr(err error, token string) error {
	if err == nil {
		return nil
	}
	msg := scrub(err.Error(), token)
	if msg == err.Error() {
		return err
	}
	return &scrubbedError{msg: msg}
}
