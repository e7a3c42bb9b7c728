package audit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

var leaseIDRe = regexp.MustCompile(`"lease_id":"secret/app/(shared|ci)/[A-Za-z0-9]+"`)

// genLog writes about size bytes of real-shaped log: the lines of
// testdata/vault-v1.21.4.log (a real server's: setup calls, logins, leased
// reads, a renewal, a lookup) over and over, with every lease id made
// unique. One line in six makes a lease; leasesOnly keeps just those.
func genLog(tb testing.TB, size int, leasesOnly bool) []byte {
	tb.Helper()
	data, err := os.ReadFile("testdata/vault-v1.21.4.log")
	if err != nil {
		tb.Fatal(err)
	}
	lines := bytes.SplitAfter(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	if leasesOnly {
		var keep [][]byte
		for _, l := range lines {
			if _, ok, _ := ParseLine(l); ok {
				keep = append(keep, l)
			}
		}
		lines = keep
	}
	out := make([]byte, 0, size+len(data))
	n := 0
	for len(out) < size {
		for _, l := range lines {
			l = leaseIDRe.ReplaceAllFunc(l, func(m []byte) []byte {
				n++
				id := bytes.Clone(bytes.TrimSuffix(m, []byte(`"`)))
				return append(id, strconv.Itoa(n)+`"`...)
			})
			out = append(out, bytes.TrimSuffix(l, []byte("\n"))...)
			out = append(out, '\n')
		}
	}
	return out
}

func BenchmarkParse(b *testing.B) {
	for _, c := range []struct {
		name       string
		leasesOnly bool
	}{{"mix", false}, {"leaselines", true}} {
		b.Run(c.name, func(b *testing.B) {
			lines := bytes.Split(bytes.TrimSuffix(genLog(b, 1<<20, c.leasesOnly), []byte("\n")), []byte("\n"))
			total := 0
			for _, l := range lines {
				total += len(l) + 1
			}
			b.SetBytes(int64(total))
			b.ReportAllocs()
			for b.Loop() {
				for _, l := range lines {
					if _, _, err := ParseLine(l); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func BenchmarkRead(b *testing.B) {
	for _, c := range []struct {
		name       string
		leasesOnly bool
	}{{"mix", false}, {"leaselines", true}} {
		b.Run(c.name, func(b *testing.B) {
			data := genLog(b, 64<<20, c.leasesOnly)
			p := filepath.Join(b.TempDir(), "vault_audit.log")
			if err := os.WriteFile(p, data, 0o644); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				a := NewAttribution()
				st, err := Read(context.Background(), p, nil, a.AddAll)
				if err != nil || st.Garbage != 0 || a.Len() == 0 {
					b.Fatalf("%+v %v", st, err)
				}
			}
		})
	}
}

// TestWriteBenchLog writes a generated log for comparisons with other
// tools: LEASETOP_AUDIT_GEN=<file> [LEASETOP_AUDIT_GEN_MB=256].
func TestWriteBenchLog(t *testing.T) {
	p := os.Getenv("LEASETOP_AUDIT_GEN")
	if p == "" {
		t.Skip("set LEASETOP_AUDIT_GEN=<file> to write a generated log")
	}
	mb := 256
	if v, err := strconv.Atoi(os.Getenv("LEASETOP_AUDIT_GEN_MB")); err == nil {
		mb = v
	}
	data := genLog(t, mb<<20, os.Getenv("LEASETOP_AUDIT_GEN_LEASES_ONLY") != "")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	a := NewAttribution()
	st, err := Read(context.Background(), p, nil, a.AddAll)
	d := time.Since(start)
	fmt.Printf("wrote %s: %d bytes, %+v %v\nRead+Attribution: %v, %.0f MB/s, %d leases, %d owners\n",
		p, len(data), st, err, d, float64(len(data))/d.Seconds()/1e6, a.Len(), a.Owners())
}

// BenchmarkAttributionHeap reports the heap an Attribution keeps per lease
// it holds (B/lease), for 100,000 leases of a few owners added directly,
// and for 150,000 added and then cut to 100,000 by Retain, as after
// reading a log whose older leases are gone (bench figure 9). Ids are
// shaped like leased KV ids: a path and 24 letters and digits.
func BenchmarkAttributionHeap(b *testing.B) {
	const live = 100000
	owners := []*Owner{
		{EntityID: "e-1", DisplayName: "approle", Metadata: map[string]string{"role_name": "billing-api"}, Mount: "secret/", MountType: "kv", Path: "secret/app/billing"},
		{EntityID: "e-2", DisplayName: "userpass-alice", Metadata: map[string]string{"username": "alice"}, Mount: "secret/", MountType: "kv", Path: "secret/app/ledger"},
	}
	for _, c := range []struct {
		name  string
		added int
	}{{"added=100k", live}, {"added=150k,retained=100k", live * 3 / 2}} {
		b.Run(c.name, func(b *testing.B) {
			es := make([]Entry, c.added)
			at := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
			for i := range es {
				o := owners[i%len(owners)]
				es[i] = Entry{LeaseID: fmt.Sprintf("%s/%024d", o.Path, i), Time: at.Add(time.Duration(i) * time.Millisecond), Owner: o}
			}
			for b.Loop() {
				b.StopTimer()
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				b.StartTimer()
				a := NewAttribution()
				for i := range es {
					// Read hands the id as a fresh string: copy it so
					// es keeps nothing the attribution holds.
					e := es[i]
					e.LeaseID = strings.Clone(e.LeaseID)
					a.Add(e)
				}
				a.Retain(func(id string) bool {
					n, _ := strconv.Atoi(id[strings.LastIndexByte(id, '/')+1:])
					return n >= c.added-live
				})
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&after)
				if a.Len() != live {
					b.Fatalf("holds %d", a.Len())
				}
				b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(a.Len()), "B/lease")
				runtime.KeepAlive(a)
				b.StartTimer()
			}
			runtime.KeepAlive(es)
		})
	}
}
