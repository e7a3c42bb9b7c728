package metrics

import (
	"fmt"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/leasetop/leasetop/churn"
	"github.com/leasetop/leasetop/model"
)

// benchIndex holds n leases over 500 roles of 5 mounts, with churn under
// every role.
func benchIndex(n int) (*model.Index, *churn.Tracker) {
	idx, tr := model.NewIndex(), churn.New(time.Minute, 15)
	for i := range n {
		role := fmt.Sprintf("mount%d/creds/role%03d/", i%5, i%500)
		idx.ApplyLease(model.LeaseInfo{ID: fmt.Sprintf("%s%08d", role, i), ExpireTime: now.Add(time.Duration(i%100000) * time.Second)})
		if i < 500 {
			tr.Record(role, 3, 1, now)
		}
	}
	return idx, tr
}

// BenchmarkBuild is the engine's cost per refresh: a pass over the leases.
func BenchmarkBuild(b *testing.B) {
	idx, tr := benchIndex(100_000)
	bl := &Builder{Context: "bench"}
	b.ReportAllocs()
	for b.Loop() {
		bl.Build(Inputs{Index: idx, Churn: tr, Now: now})
	}
}

// BenchmarkScrape is one GET /metrics: its cost follows the series (the
// top 50 prefixes and other), not the leases.
func BenchmarkScrape(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			idx, tr := benchIndex(n)
			c := NewCollector()
			c.Publish((&Builder{Context: "bench"}).Build(Inputs{Index: idx, Churn: tr, Now: now}))
			h := Handler(NewRegistry(c))
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
				io.Copy(io.Discard, w.Body)
			}
		})
	}
}
