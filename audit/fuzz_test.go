package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// refParse is ParseLine written the slow, obvious way with encoding/json,
// to check the scanner against: exact keys, last duplicate wins, null is
// absent, a wanted field of the wrong type is garbage.
func refParse(line []byte) (Entry, bool, error) {
	var top map[string]any
	if err := json.Unmarshal(line, &top); err != nil {
		return Entry{}, false, err
	}
	if top == nil {
		return Entry{}, false, errors.New("null")
	}
	bad := errors.New("wrong type")
	str := func(m map[string]any, k string) (string, error) {
		switch v := m[k].(type) {
		case nil:
			return "", nil
		case string:
			return v, nil
		}
		return "", bad
	}
	obj := func(m map[string]any, k string) (map[string]any, error) {
		switch v := m[k].(type) {
		case nil:
			return map[string]any{}, nil
		case map[string]any:
			return v, nil
		}
		return nil, bad
	}
	strs := func(m map[string]any, k string) ([]string, error) {
		switch v := m[k].(type) {
		case nil:
			return nil, nil
		case []any:
			var out []string
			for _, e := range v {
				switch e := e.(type) {
				case nil:
				case string:
					out = append(out, e)
				default:
					return nil, bad
				}
			}
			return out, nil
		}
		return nil, bad
	}
	var r raw
	var err error
	errs := func(es ...error) error { return errors.Join(es...) }
	r.Type, err = str(top, "type")
	if err = errs(err); err != nil {
		return Entry{}, false, err
	}
	var e2, e3, e4, e5, e6, e7, e8, e9, e10, e11 error
	r.Time, e2 = str(top, "time")
	auth, e3 := obj(top, "auth")
	req, e4 := obj(top, "request")
	resp, e5 := obj(top, "response")
	if err = errs(e2, e3, e4, e5); err != nil {
		return Entry{}, false, err
	}
	r.EntityID, e2 = str(auth, "entity_id")
	r.DisplayName, e3 = str(auth, "display_name")
	md, e4 := obj(auth, "metadata")
	r.Policies, e5 = strs(auth, "policies")
	r.RemoteAddr, e6 = str(req, "remote_address")
	r.MountPoint, e7 = str(req, "mount_point")
	r.MountType, e8 = str(req, "mount_type")
	r.Path, e9 = str(req, "path")
	r.CID, e10 = str(req, "client_id")
	hdr, e11 := obj(req, "headers")
	if err = errs(e2, e3, e4, e5, e6, e7, e8, e9, e10, e11); err != nil {
		return Entry{}, false, err
	}
	if r.UserAgent, err = strs(hdr, "user-agent"); err != nil {
		return Entry{}, false, err
	}
	for k, v := range md {
		switch v := v.(type) {
		case nil:
		case string:
			if r.Metadata == nil {
				r.Metadata = map[string]string{}
			}
			r.Metadata[k] = v
		default:
			return Entry{}, false, bad
		}
	}
	sec, err := obj(resp, "secret")
	if err != nil {
		return Entry{}, false, err
	}
	if r.LeaseID, err = str(sec, "lease_id"); err != nil {
		return Entry{}, false, err
	}
	return r.entry()
}

func checkNoHMAC(t *testing.T, e Entry) {
	t.Helper()
	if e.Owner == nil {
		return
	}
	o := e.Owner
	all := []string{e.LeaseID, o.EntityID, o.DisplayName, o.RemoteAddr, o.UserAgent, o.Mount, o.MountType, o.Path, o.ClientID}
	all = append(all, o.Policies...)
	for k, v := range o.Metadata {
		all = append(all, k, v)
	}
	for _, s := range all {
		if strings.HasPrefix(s, HMACPrefix) {
			t.Fatalf("an HMAC'd value reached the entry: %q in %+v", s, *o)
		}
	}
}

func FuzzParseLine(f *testing.F) {
	for _, l := range fuzzSeeds() {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		e, ok, err := ParseLine(line)
		if err != nil && ok {
			t.Fatal("ok with an error")
		}
		if ok {
			if e.Owner == nil || e.LeaseID == "" {
				t.Fatalf("ok without an owner or lease id: %+v", e)
			}
			checkNoHMAC(t, e)
		}
		// Against the reference, where the line is JSON: the scanner must
		// agree with it (it may be laxer on what is not JSON).
		re, rok, rerr := refParse(trimLine(line))
		if rerr != nil {
			return
		}
		if err != nil {
			t.Fatalf("scanner says garbage (%v), encoding/json does not", err)
		}
		if !rok {
			if ok {
				t.Fatalf("scanner found a lease the reference did not: %+v", e)
			}
			return
		}
		if !ok {
			if bytes.Contains(line, keyLeaseID) && bytes.Contains(line, keyResponse) {
				t.Fatalf("scanner missed a lease: %+v %+v", re, *re.Owner)
			}
			return
		}
		if e.LeaseID != re.LeaseID || !e.Time.Equal(re.Time) || !reflect.DeepEqual(e.Owner, re.Owner) {
			t.Fatalf("scanner and reference differ:\n%+v %+v\n%+v %+v", e, *e.Owner, re, *re.Owner)
		}
	})
}

// fuzzSeeds are the table's lines plus odd ones.
func fuzzSeeds() []string {
	s := []string{
		``, `{}`, `{`, `}`, `null`, `[]`, `{"type":"response"}`,
		`{"type":"response","request":{"path":"a"},"response":{"secret":{"lease_id":"a/b"}}}`,
		`{"type":"response","request":{"path":"a"},"response":{"secret":{"lease_id":"a/b"}},"type":null}`,
		`{"type":"response","request":{"path":"a\u002fb"},"response":{"secret":{"lease_id":"a/b/c","lease_id":"hmac-sha256:00"}}}`,
		`{"type":"response","auth":{"metadata":{"role_name":"hmac-sha256:x","k":null,"u":"\u00e9"},"policies":["a",null,"hmac-sha256:p"]},"request":{"path":"a","headers":{"user-agent":["x","y"]}},"response":{"secret":{"lease_id":"a/b"}}}`,
		`{"type":"response","time":"not a time","request":{"path":"a"},"response":{"secret":{"lease_id":"a/b"}}}`,
		`{"type":"response","request":{"path":"a"},"response":{"secret":{"lease_id":"a/b"},"data":{"x":[1,2,{"y":"]}"}]}}}`,
	}
	for _, c := range parseCases() {
		s = append(s, c.line)
	}
	return s
}
