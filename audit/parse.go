package audit

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
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

var (
	errTruncated = errors.New("audit: truncated line (not a whole JSON object)")
	errNotObject = errors.New("audit: not a JSON object")
	keyLeaseID   = []byte(`"lease_id"`)
	keyResponse  = []byte(`"type":"response"`)
)

// ParseLine parses one line (with or without its newline). It is safe for
// concurrent use; entries for equal owners may share one *Owner, which
// must not be modified. ok is false for
// lines that created no lease (requests, other responses); err is set for
// garbage (not JSON, truncated). Lines that cannot hold a lease are only
// checked to be {…}-shaped, not decoded: that is what makes reading fast.
// Text before the first '{' (the file device's prefix option) is skipped.
func ParseLine(line []byte) (e Entry, ok bool, err error) {
	p := parsers.Get().(*parser)
	defer parsers.Put(p)
	return p.parse(line)
}

// parsers lets ParseLine reuse buffers and owners; owners are never
// modified once made, so sharing them is safe.
var parsers = sync.Pool{New: func() any { return new(parser) }}

var (
	suffixRequest  = []byte(`"type":"request"}`)
	suffixResponse = []byte(`"type":"response"}`)
)

// parser parses lines for one reader. It remembers the owners it made, so
// that the many leases one actor makes share one *Owner and cost no
// allocation beyond their id. Not safe for concurrent use.
type parser struct {
	b      rawb
	key    []byte
	owners map[string]*Owner
}

// maxCachedOwners bounds a parser's memory of owners.
const maxCachedOwners = 4096

func (p *parser) parse(line []byte) (Entry, bool, error) {
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
	// Vault writes "type" last: most lines are told apart by their end.
	switch {
	case bytes.HasSuffix(line, suffixRequest):
		return Entry{}, false, nil
	case bytes.HasSuffix(line, suffixResponse):
		if !bytes.Contains(line, keyLeaseID) {
			return Entry{}, false, nil
		}
	default:
		if !bytes.Contains(line, keyLeaseID) || !bytes.Contains(line, keyResponse) {
			return Entry{}, false, nil
		}
	}
	r := &p.b
	if err := r.decode(line); err != nil {
		return Entry{}, false, err
	}
	if string(r.Type) != "response" || len(r.LeaseID) == 0 || bytes.HasPrefix(r.LeaseID, []byte(HMACPrefix)) {
		return Entry{}, false, nil
	}
	path := bytes.TrimSuffix(r.Path, []byte("/"))
	if len(r.LeaseID) <= len(path) || !bytes.HasPrefix(r.LeaseID, path) || r.LeaseID[len(path)] != '/' {
		return Entry{}, false, nil
	}
	var t time.Time
	if len(r.Time) > 0 {
		var err error
		if t, err = time.Parse(time.RFC3339Nano, string(r.Time)); err != nil {
			return Entry{}, false, fmt.Errorf("audit: bad time %q", r.Time)
		}
	}
	p.key = r.appendKey(p.key[:0])
	o := p.owners[string(p.key)]
	if o == nil {
		e, ok, err := r.strings().entry()
		if err != nil || !ok {
			return e, ok, err // cannot be: the checks above are entry's
		}
		o = e.Owner
		if p.owners == nil || len(p.owners) >= maxCachedOwners {
			p.owners = map[string]*Owner{}
		}
		p.owners[string(p.key)] = o
	}
	return Entry{LeaseID: string(r.LeaseID), Time: t, Owner: o}, true, nil
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

// rawb is raw as slices of the line (or decoded copies where a string
// has escapes), reused from line to line.
type rawb struct {
	Type, Time                                   []byte
	EntityID, DisplayName                        []byte
	Metadata                                     []kv // in order; a nil v deletes
	Policies                                     [][]byte
	RemoteAddr, MountPoint, MountType, Path, CID []byte
	UserAgent                                    [][]byte
	LeaseID                                      []byte
}

type kv struct{ k, v []byte }

// strings is r as a raw.
func (r *rawb) strings() *raw {
	out := &raw{
		Type: string(r.Type), Time: string(r.Time), EntityID: string(r.EntityID), DisplayName: string(r.DisplayName),
		RemoteAddr: string(r.RemoteAddr), MountPoint: string(r.MountPoint), MountType: string(r.MountType),
		Path: string(r.Path), CID: string(r.CID), LeaseID: string(r.LeaseID),
	}
	for _, m := range r.Metadata {
		if m.v == nil {
			delete(out.Metadata, string(m.k))
			continue
		}
		if out.Metadata == nil {
			out.Metadata = map[string]string{}
		}
		out.Metadata[string(m.k)] = string(m.v)
	}
	for _, p := range r.Policies {
		out.Policies = append(out.Policies, string(p))
	}
	for _, u := range r.UserAgent {
		out.UserAgent = append(out.UserAgent, string(u))
	}
	return out
}

// appendKey appends what makes the owner, so that equal keys mean equal
// owners.
func (r *rawb) appendKey(b []byte) []byte {
	for _, f := range [][]byte{r.EntityID, r.DisplayName, r.RemoteAddr, r.MountPoint, r.MountType, r.Path, r.CID} {
		b = appendField(b, f)
	}
	b = append(b, 1)
	for _, m := range r.Metadata {
		b = appendField(b, m.k)
		if m.v == nil {
			b = append(b, 2)
		} else {
			b = appendField(b, m.v)
		}
	}
	b = append(b, 1)
	for _, p := range r.Policies {
		b = appendField(b, p)
	}
	b = append(b, 1)
	for _, u := range r.UserAgent {
		b = appendField(b, u)
	}
	return b
}

// appendField appends f with its length, so no f can fake a separator.
func appendField(b, f []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(f)))
	return append(b, f...)
}

// decode reads line, a JSON object, into r. It is a small scanner rather
// than encoding/json: it steps over the many fields it does not need
// (request and response data, headers, token details) without building
// them. Keys match exactly; a repeated key's last value wins; null is as
// good as absent; a wanted field of the wrong JSON type is an error.
func (r *rawb) decode(line []byte) error {
	*r = rawb{Metadata: r.Metadata[:0], Policies: r.Policies[:0], UserAgent: r.UserAgent[:0]}
	s := scanner{b: line}
	err := s.object(func(key []byte) error {
		switch string(key) {
		case "type":
			return s.str(&r.Type)
		case "time":
			return s.str(&r.Time)
		case "auth":
			r.EntityID, r.DisplayName, r.Metadata, r.Policies = nil, nil, r.Metadata[:0], r.Policies[:0]
			return s.objectOrNull(func(key []byte) error {
				switch string(key) {
				case "entity_id":
					return s.str(&r.EntityID)
				case "display_name":
					return s.str(&r.DisplayName)
				case "metadata":
					r.Metadata = r.Metadata[:0]
					return s.objectOrNull(func(key []byte) error {
						var v []byte
						null, err := s.strNull(&v)
						if err != nil {
							return err
						}
						if null {
							v = nil
						} else if v == nil {
							v = []byte{}
						}
						r.Metadata = append(r.Metadata, kv{k: key, v: v})
						return nil
					})
				case "policies":
					r.Policies = r.Policies[:0]
					return s.strings(&r.Policies)
				}
				return s.skip()
			})
		case "request":
			r.RemoteAddr, r.MountPoint, r.MountType, r.Path, r.CID, r.UserAgent = nil, nil, nil, nil, nil, r.UserAgent[:0]
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
					r.UserAgent = r.UserAgent[:0]
					return s.objectOrNull(func(key []byte) error {
						if string(key) == "user-agent" {
							r.UserAgent = r.UserAgent[:0]
							return s.strings(&r.UserAgent)
						}
						return s.skip()
					})
				}
				return s.skip()
			})
		case "response":
			r.LeaseID = nil
			return s.objectOrNull(func(key []byte) error {
				if string(key) != "secret" {
					return s.skip()
				}
				r.LeaseID = nil
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
// at the key's value, which member must consume. Keys stay valid (slices
// of the line, or copies where decoded).
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
			key = []byte(k) // a copy: callers may keep keys
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

// strNull reads a string into *v (a slice of the line when it needs no
// decoding), or null, which sets *v to nil.
func (s *scanner) strNull(v *[]byte) (null bool, err error) {
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	if c != '"' {
		if s.null() {
			*v = nil
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
		*v = raw[:len(raw):len(raw)]
		return false, nil
	}
	// Escapes, control bytes or non-ASCII: let encoding/json decide, so
	// that invalid UTF-8 and escapes come out as it would make them.
	var str string
	if err := json.Unmarshal(s.b[start:s.i], &str); err != nil {
		return false, s.syntax("bad string")
	}
	*v = []byte(str)
	return false, nil
}

func (s *scanner) str(v *[]byte) error {
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
func (s *scanner) strings(v *[][]byte) error {
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
		var e []byte
		null, err := s.strNull(&e)
		if err != nil {
			return err
		}
		if !null {
			if e == nil {
				e = []byte{}
			}
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
