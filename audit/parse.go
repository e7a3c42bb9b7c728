package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Owner is who made a lease, as the audit log tells it. No field holds an
// HMAC'd value.
type Owner struct {
	EntityID    string            // "" when none
	DisplayName string            // approle, userpass-alice, token, jwt-…
	Metadata    map[string]string // auth.metadata (no HMAC'd values); nil when empty
	Policies    []string          // auth.policies
	RemoteAddr  string            // request.remote_address
	UserAgent   string            // request.headers["user-agent"], joined by ", "; "" when not audited
	Mount       string            // request.mount_point of the request that made the lease
	MountType   string            // request.mount_type (kv, database, pki, …)
	Path        string            // request.path
	ClientID    string            // request.client_id
}

// Entry is one lease creation read from the log.
type Entry struct {
	LeaseID string
	Time    time.Time
	Owner   *Owner
}

// HMACPrefix starts every value Vault's audit device HMACs. Such a value is
// never a name.
const HMACPrefix = "hmac-sha256:"

// MaxLine is the longest line read; a longer one is counted as garbage.
const MaxLine = 16 << 20

// ErrLineTooLong is the garbage error for a line longer than MaxLine.
var ErrLineTooLong = errors.New("audit: line longer than 16 MiB")

var (
	errTruncated = errors.New("audit: truncated line (not a whole JSON object)")
	errNotObject = errors.New("audit: not a JSON object")
	keyLeaseID   = []byte(`"lease_id"`)
	keyResponse  = []byte(`"type":"response"`)
)

// ParseLine parses one line (with or without its newline). ok is false for
// lines that created no lease (requests, other responses); err is set for
// garbage (not JSON, truncated). Lines that cannot hold a lease are only
// checked to be {…}-shaped, not decoded: that is what makes reading fast.
// Text before the first '{' (the file device's prefix option) is skipped.
func ParseLine(line []byte) (e Entry, ok bool, err error) {
	line = trimLine(line)
	if len(line) == 0 {
		return Entry{}, false, errTruncated
	}
	if line[0] != '{' {
		return Entry{}, false, errNotObject
	}
	if line[len(line)-1] != '}' {
		return Entry{}, false, errTruncated
	}
	if !bytes.Contains(line, keyLeaseID) || !bytes.Contains(line, keyResponse) {
		return Entry{}, false, nil
	}
	var r raw
	if err := r.decode(line); err != nil {
		return Entry{}, false, err
	}
	return r.entry()
}

// trimLine drops white space around line and any prefix before its JSON
// object (the file device's "prefix" option writes one).
func trimLine(line []byte) []byte {
	line = bytes.TrimSpace(line)
	if len(line) > 0 && line[0] != '{' {
		if i := bytes.IndexByte(line, '{'); i > 0 {
			line = line[i:]
		}
	}
	return line
}

// raw holds the few fields of an audit entry that matter here, as written.
type raw struct {
	Type, Time                                   string
	EntityID, DisplayName                        string
	Metadata                                     map[string]string
	Policies                                     []string
	RemoteAddr, MountPoint, MountType, Path, CID string
	UserAgent                                    []string
	LeaseID                                      string
}

// entry turns a decoded line into an Entry, or ok=false when it made no
// lease.
func (r *raw) entry() (Entry, bool, error) {
	if r.Type != "response" || r.LeaseID == "" || isHMAC(r.LeaseID) {
		return Entry{}, false, nil
	}
	// Vault names a new lease <request path>/<random>: anything else (a
	// renewal, a lookup) repeats a lease made elsewhere.
	if !strings.HasPrefix(r.LeaseID, strings.TrimSuffix(r.Path, "/")+"/") {
		return Entry{}, false, nil
	}
	var t time.Time
	if r.Time != "" {
		var err error
		if t, err = time.Parse(time.RFC3339Nano, r.Time); err != nil {
			return Entry{}, false, fmt.Errorf("audit: bad time %q", r.Time)
		}
	}
	o := &Owner{
		EntityID:    clean(r.EntityID),
		DisplayName: clean(r.DisplayName),
		RemoteAddr:  clean(r.RemoteAddr),
		Mount:       clean(r.MountPoint),
		MountType:   clean(r.MountType),
		Path:        clean(r.Path),
		ClientID:    clean(r.CID),
	}
	for k, v := range r.Metadata {
		if isHMAC(k) || isHMAC(v) {
			continue
		}
		if o.Metadata == nil {
			o.Metadata = make(map[string]string, len(r.Metadata))
		}
		o.Metadata[k] = v
	}
	for _, p := range r.Policies {
		if p != "" && !isHMAC(p) {
			o.Policies = append(o.Policies, p)
		}
	}
	var ua []string
	for _, v := range r.UserAgent {
		if v != "" && !isHMAC(v) {
			ua = append(ua, v)
		}
	}
	o.UserAgent = strings.Join(ua, ", ")
	return Entry{LeaseID: r.LeaseID, Time: t, Owner: o}, true, nil
}

func isHMAC(s string) bool { return strings.HasPrefix(s, HMACPrefix) }

func clean(s string) string {
	if isHMAC(s) {
		return ""
	}
	return s
}

// decode reads line, a JSON object, into r. It is a small scanner rather
// than encoding/json: it steps over the many fields it does not need
// (request and response data, headers, token details) without building
// them. Keys match exactly; a repeated key's last value wins; null is as
// good as absent; a wanted field of the wrong JSON type is an error.
func (r *raw) decode(line []byte) error {
	s := scanner{b: line}
	err := s.object(func(key []byte) error {
		switch string(key) {
		case "type":
			return s.str(&r.Type)
		case "time":
			return s.str(&r.Time)
		case "auth":
			r.EntityID, r.DisplayName, r.Metadata, r.Policies = "", "", nil, nil
			return s.objectOrNull(func(key []byte) error {
				switch string(key) {
				case "entity_id":
					return s.str(&r.EntityID)
				case "display_name":
					return s.str(&r.DisplayName)
				case "metadata":
					r.Metadata = nil
					return s.objectOrNull(func(key []byte) error {
						var v string
						null, err := s.strNull(&v)
						if err != nil {
							return err
						}
						if null {
							delete(r.Metadata, string(key))
							return nil
						}
						if r.Metadata == nil {
							r.Metadata = map[string]string{}
						}
						r.Metadata[string(key)] = v
						return nil
					})
				case "policies":
					r.Policies = nil
					return s.strings(&r.Policies)
				}
				return s.skip()
			})
		case "request":
			r.RemoteAddr, r.MountPoint, r.MountType, r.Path, r.CID, r.UserAgent = "", "", "", "", "", nil
			return s.objectOrNull(func(key []byte) error {
				switch string(key) {
				case "remote_address":
					return s.str(&r.RemoteAddr)
				case "mount_point":
					return s.str(&r.MountPoint)
				case "mount_type":
					return s.str(&r.MountType)
				case "path":
					return s.str(&r.Path)
				case "client_id":
					return s.str(&r.CID)
				case "headers":
					r.UserAgent = nil
					return s.objectOrNull(func(key []byte) error {
						if string(key) == "user-agent" {
							r.UserAgent = nil
							return s.strings(&r.UserAgent)
						}
						return s.skip()
					})
				}
				return s.skip()
			})
		case "response":
			r.LeaseID = ""
			return s.objectOrNull(func(key []byte) error {
				if string(key) != "secret" {
					return s.skip()
				}
				r.LeaseID = ""
				return s.objectOrNull(func(key []byte) error {
					if string(key) == "lease_id" {
						return s.str(&r.LeaseID)
					}
					return s.skip()
				})
			})
		}
		return s.skip()
	})
	if err != nil {
		return err
	}
	s.ws()
	if s.i != len(s.b) {
		return s.syntax("data after the object")
	}
	return nil
}

// scanner walks a JSON text. It checks what it decodes strictly and what
// it skips loosely (brackets balance, strings close).
type scanner struct {
	b []byte
	i int
}

func (s *scanner) syntax(what string) error {
	return fmt.Errorf("audit: not JSON at byte %d: %s", s.i, what)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte, or an error at the end.
func (s *scanner) peek() (byte, error) {
	s.ws()
	if s.i >= len(s.b) {
		return 0, errTruncated
	}
	return s.b[s.i], nil
}

// null consumes a null literal if one is next.
func (s *scanner) null() bool {
	if bytes.HasPrefix(s.b[s.i:], []byte("null")) {
		s.i += 4
		return true
	}
	return false
}

// object reads an object, calling member with each key with the scanner
// at the key's value, which member must consume.
func (s *scanner) object(member func(key []byte) error) error {
	c, err := s.peek()
	if err != nil {
		return err
	}
	if c != '{' {
		return s.syntax("want an object")
	}
	s.i++
	if c, err = s.peek(); err != nil {
		return err
	}
	if c == '}' {
		s.i++
		return nil
	}
	var buf []byte
	for {
		if c, err = s.peek(); err != nil {
			return err
		}
		if c != '"' {
			return s.syntax("want a key")
		}
		rawKey, esc, err := s.rawString()
		if err != nil {
			return err
		}
		key := rawKey
		if esc {
			var k string
			if err := json.Unmarshal(s.b[s.i-len(rawKey)-2:s.i], &k); err != nil {
				return s.syntax("bad key")
			}
			buf = append(buf[:0], k...)
			key = buf
		}
		if c, err = s.peek(); err != nil {
			return err
		}
		if c != ':' {
			return s.syntax("want ':'")
		}
		s.i++
		if _, err = s.peek(); err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		if c, err = s.peek(); err != nil {
			return err
		}
		s.i++
		switch c {
		case ',':
		case '}':
			return nil
		default:
			s.i--
			return s.syntax("want ',' or '}'")
		}
	}
}

func (s *scanner) objectOrNull(member func(key []byte) error) error {
	if s.null() {
		return nil
	}
	return s.object(member)
}

// rawString reads the string at s.i (which is '"') and returns its bytes
// between the quotes, and whether it holds escapes.
func (s *scanner) rawString() (raw []byte, esc bool, err error) {
	start := s.i + 1
	i := start
	for {
		j := bytes.IndexByte(s.b[i:], '"')
		if j < 0 {
			return nil, false, errTruncated
		}
		k := bytes.IndexByte(s.b[i:i+j], '\\')
		if k < 0 {
			s.i = i + j + 1
			return s.b[start : i+j], esc, nil
		}
		esc = true
		i += k + 2 // the backslash and the byte it escapes
		if i > len(s.b) {
			return nil, false, errTruncated
		}
	}
}

// strNull reads a string into *v, or null, which sets *v to "".
func (s *scanner) strNull(v *string) (null bool, err error) {
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	if c != '"' {
		if s.null() {
			*v = ""
			return true, nil
		}
		return false, s.syntax("want a string")
	}
	start := s.i
	raw, esc, err := s.rawString()
	if err != nil {
		return false, err
	}
	if !esc && plain(raw) {
		*v = string(raw)
		return false, nil
	}
	// Escapes, control bytes or non-ASCII: let encoding/json decide, so
	// that invalid UTF-8 and escapes come out as it would make them.
	if err := json.Unmarshal(s.b[start:s.i], v); err != nil {
		return false, s.syntax("bad string")
	}
	return false, nil
}

func (s *scanner) str(v *string) error {
	_, err := s.strNull(v)
	return err
}

// plain reports whether b is printable ASCII, which needs no decoding.
func plain(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x80 {
			return false
		}
	}
	return true
}

// strings appends an array's strings to *v (null elements are skipped);
// null sets *v to nil.
func (s *scanner) strings(v *[]string) error {
	c, err := s.peek()
	if err != nil {
		return err
	}
	if c != '[' {
		if s.null() {
			*v = nil
			return nil
		}
		return s.syntax("want an array")
	}
	s.i++
	if c, err = s.peek(); err != nil {
		return err
	}
	if c == ']' {
		s.i++
		return nil
	}
	for {
		var e string
		null, err := s.strNull(&e)
		if err != nil {
			return err
		}
		if !null {
			*v = append(*v, e)
		}
		if c, err = s.peek(); err != nil {
			return err
		}
		s.i++
		switch c {
		case ',':
		case ']':
			return nil
		default:
			s.i--
			return s.syntax("want ',' or ']'")
		}
	}
}

// skip steps over one value. Objects and arrays are checked only for
// balanced brackets and closed strings.
func (s *scanner) skip() error {
	c, err := s.peek()
	if err != nil {
		return err
	}
	switch c {
	case '"':
		_, _, err := s.rawString()
		return err
	case '{', '[':
	default:
		// A number or a literal: up to the next delimiter.
		start := s.i
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if s.i == start {
					return s.syntax("want a value")
				}
				return nil
			case '"', '{', '[', ':':
				return s.syntax("bad literal")
			}
			s.i++
		}
		return errTruncated
	}
	var arr [64]byte
	stack := arr[:0]
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case '"':
			if _, _, err := s.rawString(); err != nil {
				return err
			}
			continue
		case '{':
			stack = append(stack, '}')
		case '[':
			stack = append(stack, ']')
		case '}', ']':
			if stack[len(stack)-1] != c {
				return s.syntax("brackets do not match")
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				s.i++
				return nil
			}
		}
		s.i++
	}
	return errTruncated
}
