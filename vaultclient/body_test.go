package vaultclient

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"
)

// The body written by hand says what encoding/json's would: the same
// lease_id, for plain ids and for ids that need escapes.
func TestLeaseIDBodyAgreesWithEncodingJSON(t *testing.T) {
	for _, tc := range []struct {
		id    string
		plain bool // written directly, not through encoding/json
	}{
		{"secret/big/p001/AbC123xyz", true},
		{"auth/approle/login/h0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b", true},
		{"pki/issue/web/1a:2b:3c", true},
		{"", true},
		{"odd <prefix> & co/x", true},
		{`quote"in/id`, false},
		{`back\slash/id`, false},
		{"tab\tin/id", false},
		{"ünïcode/id", false},
		{"nul\x00/id", false},
	} {
		body := leaseIDBody(tc.id)
		_, plain := body.(rawBody)
		if plain != tc.plain {
			t.Errorf("%q: written directly %v, want %v", tc.id, plain, tc.plain)
		}
		var b []byte
		if raw, ok := body.(rawBody); ok {
			b = raw
		} else {
			var err error
			if b, err = json.Marshal(body); err != nil {
				t.Fatal(err)
			}
		}
		var got map[string]string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("%q: body %s is not JSON: %v", tc.id, b, err)
			continue
		}
		if len(got) != 1 || got["lease_id"] != tc.id {
			t.Errorf("%q: body %s decodes to %q", tc.id, b, got)
		}
	}
}

// referenceDecode is how decode read an answer before the reused buffer:
// a json.Decoder on the body.
func referenceDecode(resp *api.Response, v any) error {
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	return dec.Decode(v)
}

// A lookup answer decoded from the reused buffer is the one a json.Decoder
// reads, answer after answer (a buffer left dirty by a longer answer would
// show).
func TestDecodeAgreesWithADecoder(t *testing.T) {
	answers := []string{
		`{"request_id":"r1","lease_id":"","renewable":false,"lease_duration":0,"data":{"expire_time":"2026-11-29T10:00:00.123456789Z","id":"secret/big/p001/AbC","issue_time":"2026-11-27T10:00:00.5Z","last_renewal":null,"renewable":true,"ttl":172799},"wrap_info":null,"warnings":null,"auth":null,"mount_type":"system"}` + "\n",
		`{"data":{"id":"auth/token/create/x","issue_time":"2026-11-27T10:00:00Z","expire_time":null,"ttl":0}}`,
		`{"data":{"id":"a/b","issue_time":"2026-11-27T10:00:00Z","ttl":-12,"last_renewal":"2026-11-27T11:00:00Z"}}`,
	}
	for range 2 {
		for _, a := range answers {
			resp := func() *api.Response {
				return &api.Response{Response: &http.Response{Body: io.NopCloser(strings.NewReader(a))}}
			}
			type answer struct {
				Data lookupData `json:"data"`
			}
			var want, got answer
			if err := referenceDecode(resp(), &want); err != nil {
				t.Fatal(err)
			}
			if err := decode(resp(), &got); err != nil {
				t.Fatalf("%s: %v", a, err)
			}
			wl, werr := want.Data.lease()
			gl, gerr := got.Data.lease()
			if werr != nil || gerr != nil || wl != gl {
				t.Errorf("%s:\ndecode    %+v (%v)\na Decoder %+v (%v)", a, gl, gerr, wl, werr)
			}
		}
	}
	// A body that is not one JSON value is an error, not a zero lease.
	for _, bad := range []string{`{"data":`, `<html>`, ``} {
		var got struct{ Data lookupData }
		err := decode(&api.Response{Response: &http.Response{Body: io.NopCloser(bytes.NewReader([]byte(bad)))}}, &got)
		if err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
