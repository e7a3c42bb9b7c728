package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	dto "github.com/prometheus/client_model/go"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/owners"
	"github.com/leasetop/leasetop/vaultclient"
)

const deployDir = "../deploy"

// emitted is every series name the collector writes for a snapshot with
// everything in it (a histogram's as _bucket, _sum and _count).
func emitted(t *testing.T) map[string]bool {
	t.Helper()
	idx, tr := estate()
	in := inputs(idx, tr)
	in.Irrevocable = &vaultclient.IrrevocableCounts{ByMountAccessor: map[string]int{"acc": 1}}
	in.Owners = &owners.Source{Log: audit.NewAttribution()}
	idx.ApplyListing("secret/", []string{"secret/a/"}, nil, now)
	in.Budgets = []config.Budget{{Scope: config.ScopePrefix, Name: "secret/", Max: 10, Warn: 0.8}}
	c := NewCollector()
	c.Publish((&Builder{Context: "prod"}).Build(in))
	mfs, err := NewRegistry(c).Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[mf.GetName()+s] = true
			}
			continue
		}
		names[mf.GetName()] = true
	}
	return names
}

// metricName finds the names in a PromQL expression that are leasetop's
// (its namespace) or Prometheus' own up.
var metricName = regexp.MustCompile(`\b(leasetop_[a-zA-Z0-9_]+|up)\b\s*[{\[)]?`)

func namesIn(expr string) []string {
	var out []string
	for _, m := range metricName.FindAllStringSubmatch(expr, -1) {
		out = append(out, m[1])
	}
	return out
}

// dashboardQueries are the PromQL strings of a Grafana dashboard: every
// target's expr and every query variable's query.
func dashboardQueries(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Type  string          `json:"type"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []string
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			out = append(out, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			t.Fatal(err)
		}
		out = append(out, q.Query)
	}
	return out
}

// ruleExprs are the expressions of a Prometheus rule file, by alert.
func ruleExprs(t *testing.T, path string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]string{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			out[r.Alert] = r.Expr
		}
	}
	return out
}

// Every query of the dashboard and every alert uses only series the
// collector writes (or Prometheus' own up), and each uses at least one.
func TestDeployQueriesUseEmittedMetrics(t *testing.T) {
	have := emitted(t)
	check := func(where, expr string) {
		t.Helper()
		names := namesIn(expr)
		if len(names) == 0 {
			t.Errorf("%s: no leasetop metric in %q", where, expr)
		}
		for _, n := range names {
			if n != "up" && !have[n] {
				t.Errorf("%s uses %s, which the collector does not write", where, n)
			}
		}
	}
	queries := dashboardQueries(t, filepath.Join(deployDir, "grafana/leasetop-dashboard.json"))
	if len(queries) < 10 {
		t.Fatalf("%d dashboard queries, want at least 10", len(queries))
	}
	for i, q := range queries {
		check(fmt.Sprintf("dashboard query %d", i), q)
	}
	rules := ruleExprs(t, filepath.Join(deployDir, "prometheus/leasetop-rules.yml"))
	want := []string{"LeasetopPrefixGrowingFast", "LeasetopOwnerGrowingFast", "LeasetopMassExpiryWithinHour",
		"LeasetopIrrevocableLeases", "LeasetopDown", "LeasetopVaultUnreachable", "LeasetopDataStale", "LeasetopOverBudget"}
	for _, a := range want {
		if rules[a] == "" {
			t.Errorf("no alert %s in the rules", a)
		}
	}
	for a, expr := range rules {
		check("alert "+a, expr)
	}

	// The check itself: a name the collector does not write is caught.
	if n := namesIn(`rate(leasetop_leases_created[5m])`); len(n) != 1 || have[n[0]] {
		t.Errorf("a misspelt name should be found and missing: %v", n)
	}
}

// The Kubernetes manifest and the systemd unit run `leasetop serve` on the
// default port.
func TestDeployRunsServeOnTheDefaultPort(t *testing.T) {
	port := strings.TrimPrefix(DefaultListenAddress, ":")
	raw, err := os.ReadFile(filepath.Join(deployDir, "kubernetes/leasetop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for doc := range strings.SplitSeq(string(raw), "\n---\n") {
		var obj struct {
			Kind string `yaml:"kind"`
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Args  []string `yaml:"args"`
							Ports []struct {
								ContainerPort int `yaml:"containerPort"`
							} `yaml:"ports"`
						} `yaml:"containers"`
					} `yaml:"spec"`
				} `yaml:"template"`
				Ports []struct {
					Port int `yaml:"port"`
				} `yaml:"ports"`
			} `yaml:"spec"`
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, obj.Kind)
		switch obj.Kind {
		case "Deployment":
			c := obj.Spec.Template.Spec.Containers
			if len(c) != 1 || !slices.Equal(c[0].Args, []string{"serve"}) || len(c[0].Ports) != 1 || fmt.Sprint(c[0].Ports[0].ContainerPort) != port {
				t.Errorf("the Deployment's container: %+v, want args [serve] and port %s", c, port)
			}
		case "Service":
			if len(obj.Spec.Ports) != 1 || fmt.Sprint(obj.Spec.Ports[0].Port) != port {
				t.Errorf("the Service's ports %+v, want %s", obj.Spec.Ports, port)
			}
		}
	}
	if !slices.Equal(kinds, []string{"Deployment", "Service", "ServiceMonitor"}) {
		t.Errorf("manifest kinds %v", kinds)
	}

	unit, err := os.ReadFile(filepath.Join(deployDir, "systemd/leasetop.service"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(unit, []byte("\nExecStart=/usr/local/bin/leasetop serve\n")) || !bytes.Contains(unit, []byte("port "+port)) {
		t.Errorf("the systemd unit should run leasetop serve and name port %s", port)
	}
}

// promtool checks the rules and runs their unit tests. Without promtool
// the test skips on a developer's machine, but fails in CI, where .ci/run
// installs it (and sets LEASETOP_CI).
func TestPromtoolChecksAndTestsTheRules(t *testing.T) {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" || os.Getenv("LEASETOP_CI") != "" {
			t.Fatalf("promtool is not installed (Debian's prometheus package has it; .ci/run installs it): %v", err)
		}
		t.Skip("promtool is not installed: apt-get install prometheus to run the rules' checks and unit tests")
	}
	dir := filepath.Join(deployDir, "prometheus")
	for _, args := range [][]string{
		{"check", "rules", "leasetop-rules.yml"},
		{"test", "rules", "leasetop-rules.test.yml"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
