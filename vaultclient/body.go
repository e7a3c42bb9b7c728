package vaultclient

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/hashicorp/vault/api"
)

// Request bodies and answers. A crawl makes one lookup per lease, so what
// each costs leasetop is paid a million times on a processor it may share
// with Vault. Encoding the lookup's body as a map goes through reflection,
// and a json.Decoder grows a new buffer for every answer; together they
// were a visible share of a crawl's CPU (bench/RESULTS.md). Here the
// lookup's body is written directly, and every answer is read into a
// reused buffer.

// rawBody is a request body already encoded as JSON; do sends it as is.
type rawBody []byte

// leaseIDBody is {"lease_id": id}. Lease ids are paths of printable
// ASCII, which JSON takes as they are; any other id is encoded by
// encoding/json.
func leaseIDBody(id string) any {
	for i := 0; i < len(id); i++ {
		if b := id[i]; b < 0x20 || b > 0x7e || b == '"' || b == '\\' {
			return map[string]any{"lease_id": id}
		}
	}
	b := make([]byte, 0, len(`{"lease_id":""}`)+len(id))
	b = append(b, `{"lease_id":"`...)
	b = append(b, id...)
	return rawBody(append(b, `"}`...))
}

// answerBufs are the buffers answers are read into.
var answerBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// decode decodes an answer into v from one read of its body into a reused
// buffer. v's numbers have types of their own (json.Number where the
// answer's integers may be large), since Unmarshal has no UseNumber; LIST
// answers, which run into megabytes, go through decodeKeys instead.
func decode(resp *api.Response, v any) error {
	buf := answerBufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 { // an odd big answer's buffer is not kept
			answerBufs.Put(buf)
		}
	}()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	return json.Unmarshal(buf.Bytes(), v)
}
