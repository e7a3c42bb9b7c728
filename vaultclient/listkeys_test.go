package vaultclient

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// referenceKeys is how listKeys read a LIST body before parseKeys:
// encoding/json into a []string.
func referenceKeys(body []byte) ([]string, error) {
	var doc struct {
		Data struct {
			Keys []string `json:"keys"`
		} `json:"data"`
	}
	err := json.Unmarshal(body, &doc)
	return doc.Data.Keys, err
}

var listBodies = []string{
	// as a dev Vault answers LIST sys/leases/lookup/secret/ (request_id shortened)
	`{"request_id":"5d1a","lease_id":"","renewable":false,"lease_duration":0,"data":{"keys":["big/","leased/"]},"wrap_info":null,"warnings":null,"auth":null,"mount_type":"system"}`,
	`{"data":{"keys":["Hk0sGUcXnNlC3DhYeVYQ8d8u","b4b5d6KL8LtdRPhVA3QaG2Wy"]}}`,
	`{"data":{"keys":[]}}`,
	`{"data":{"keys":null}}`,
	`{"data":null}`,
	`{}`,
	`{"data":{"keys":[ "a" , "b/" ]}}` + "\n",
	`{"data":{"keys":["a\/b","\u00e9t\u00e9"]}}`,
	`{"data":{"keys":["été","日本/"]}}`,
	`{"data":{"keys":["a",1]}}`,
	`{"data":{"keys":"a"}}`,
	`{"data":{"keys":["a"]},"data":{"keys":["b"]}}`,
	`{"data":{"KEYS":["a"]}}`,
	`{"data":{"keys":["a"]}`,
	`{"data":{"keys":["a"]}} x`,
	"{\"data\":{\"keys\":[\"a\xffb\"]}}",
	"{\"data\":{\"keys\":[\"a\tb\"]}}",
	`{"data":{"keys":["a",]}}`,
	`[]`,
	``,
}

func TestParseKeysAgreesWithEncodingJSON(t *testing.T) {
	for _, body := range listBodies {
		checkParseKeys(t, []byte(body))
	}
	// A listing's worth of plain keys, through the fast path.
	var b strings.Builder
	b.WriteString(`{"data":{"keys":[`)
	for i := range 1000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strings.Repeat("x", i%40) + `"`)
	}
	b.WriteString(`]}}`)
	checkParseKeys(t, []byte(b.String()))
}

func checkParseKeys(t *testing.T, body []byte) {
	t.Helper()
	got, err := parseKeys(body)
	want, wantErr := referenceKeys(body)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%q: error %v, encoding/json's %v", body, err, wantErr)
	}
	if err == nil && !slices.Equal(got, want) {
		t.Fatalf("%q: keys %q, encoding/json's %q", body, got, want)
	}
}

// go test -fuzz FuzzParseKeysAgreesWithEncodingJSON ./vaultclient
func FuzzParseKeysAgreesWithEncodingJSON(f *testing.F) {
	for _, body := range listBodies {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkParseKeys(t, body) })
}
