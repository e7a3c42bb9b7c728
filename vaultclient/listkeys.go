package vaultclient

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"unicode/utf8"
)

// decodeKeys reads a LIST answer's body (size bytes, or -1 when unknown)
// and returns its data.keys.
//
// A million lease ids come as LIST bodies of tens of megabytes, while the
// counts are what the operator waits for. Decoded by encoding/json into a
// []string, every key is an allocation of its own and the slice grows by
// reflection, a large share of the CPU a start spends on the counts
// (bench/RESULTS.md). Here encoding/json still checks the body and finds
// the keys (as raw JSON), and keys with no escapes (every lease key Vault
// makes) are cut from one copy of the array. An array with an escape, invalid UTF-8 or anything but strings
// goes through encoding/json as before, so the keys are always the ones
// encoding/json returns (FuzzParseKeysAgreesWithEncodingJSON).
func decodeKeys(r io.Reader, size int64) ([]string, error) {
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(min(size, 64<<20)) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return parseKeys(buf.Bytes())
}

// parseKeys is data.keys of a LIST answer's body.
func parseKeys(body []byte) ([]string, error) {
	var doc struct {
		Data struct {
			Keys json.RawMessage `json:"keys"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	raw := doc.Data.Keys
	if len(raw) == 0 {
		return nil, nil
	}
	if keys, ok := plainKeys(raw); ok {
		return keys, nil
	}
	var keys []string
	if err := json.Unmarshal(raw, &keys); err != nil {
		return nil, err
	}
	return keys, nil
}

// plainKeys reads a JSON array of strings without escapes, the keys cut
// from one string; ok is false for anything else, which encoding/json is
// left to read. raw is valid JSON (parseKeys had encoding/json check it),
// so a string holds no control character and needs no check here.
func plainKeys(raw []byte) (keys []string, ok bool) {
	if len(raw) < 2 || raw[0] != '[' || bytes.IndexByte(raw, '\\') >= 0 || !utf8.Valid(raw) {
		return nil, false
	}
	s := string(raw)
	keys = make([]string, 0, strings.Count(s, ",")+1)
	i := skipSpace(s, 1)
	if i < len(s) && s[i] == ']' {
		return keys, i == len(s)-1
	}
	for i < len(s) && s[i] == '"' {
		end := strings.IndexByte(s[i+1:], '"')
		if end < 0 {
			return nil, false
		}
		keys = append(keys, s[i+1:i+1+end])
		i = skipSpace(s, i+end+2)
		switch {
		case i < len(s) && s[i] == ',':
			i = skipSpace(s, i+1)
		case i == len(s)-1 && s[i] == ']':
			return keys, true
		default:
			return nil, false
		}
	}
	return nil, false
}

// skipSpace skips JSON's white space from i.
func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}
