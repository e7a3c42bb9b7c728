package promserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A Prometheus started here scrapes a target, evaluates a rule file and
// answers both through its API: the target's sample, and the alert the
// rule raises on it.
func TestPrometheusScrapesAndAlerts(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write([]byte("# TYPE answer gauge\nanswer 42\n"))
	}))
	defer target.Close()
	rules := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(rules, []byte(`groups:
  - name: g
    rules:
      - alert: TheAnswer
        expr: answer == 42
`), 0o600); err != nil {
		t.Fatal(err)
	}
	p := StartForTest(t, Options{Job: "j", Targets: []string{strings.TrimPrefix(target.URL, "http://")}, RuleFiles: []string{rules}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		got, err := p.Query(ctx, `answer{job="j"}`)
		if err != nil {
			t.Fatal(err)
		}
		alerts, err := p.Alerts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 1 && got[0].Value == 42 && len(alerts) == 1 && alerts[0].Labels["alertname"] == "TheAnswer" && alerts[0].State == "firing" {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("answer = %v, alerts %v", got, alerts)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
