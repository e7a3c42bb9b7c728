// Package promserver runs a real Prometheus (Debian's prometheus package)
// for end-to-end tests: it scrapes targets on loopback with rule files
// loaded, and answers queries and the alerts list through its HTTP API,
// read with plain net/http and encoding/json.
package promserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BinEnv names a prometheus binary to use instead of the one on PATH.
const BinEnv = "LEASETOP_PROMETHEUS_BIN"

// ErrNoBinary: no prometheus binary was found.
var ErrNoBinary = errors.New("no prometheus binary: install Debian's prometheus package (apt-get install prometheus) or set " + BinEnv)

// Binary finds prometheus: $LEASETOP_PROMETHEUS_BIN, else on PATH, else
// where Debian installs it.
func Binary() (string, error) {
	if p := os.Getenv(BinEnv); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/prometheus"); err == nil {
		return "/usr/bin/prometheus", nil
	}
	return "", ErrNoBinary
}

// Options configure a Prometheus.
type Options struct {
	Bin string
	// Job is the scrape job's name; Targets its host:port addresses.
	Job     string
	Targets []string
	// ScrapeInterval and EvalInterval default to 1 s.
	ScrapeInterval, EvalInterval time.Duration
	// RuleFiles are loaded as they are.
	RuleFiles []string
}

// Server is a running Prometheus.
type Server struct {
	URL string // http://127.0.0.1:port

	cmd    *exec.Cmd
	dir    string
	log    *os.File
	exited chan struct{}
	once   sync.Once
}

// Start writes a configuration into a folder of its own and runs
// Prometheus on a free loopback port until it is ready.
func Start(ctx context.Context, opt Options) (*Server, error) {
	if opt.Bin == "" {
		bin, err := Binary()
		if err != nil {
			return nil, err
		}
		opt.Bin = bin
	}
	scrape, eval := opt.ScrapeInterval, opt.EvalInterval
	if scrape == 0 {
		scrape = time.Second
	}
	if eval == 0 {
		eval = time.Second
	}
	dir, err := os.MkdirTemp("", "promserver")
	if err != nil {
		return nil, err
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n", scrape, eval)
	if len(opt.RuleFiles) > 0 {
		cfg.WriteString("rule_files:\n")
		for _, f := range opt.RuleFiles {
			fmt.Fprintf(&cfg, "  - %q\n", f)
		}
	}
	fmt.Fprintf(&cfg, "scrape_configs:\n  - job_name: %q\n    static_configs:\n      - targets: [", opt.Job)
	for i, t := range opt.Targets {
		if i > 0 {
			cfg.WriteString(", ")
		}
		fmt.Fprintf(&cfg, "%q", t)
	}
	cfg.WriteString("]\n")
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(opt.Bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", opt.Bin, err)
	}
	s := &Server{URL: "http://" + addr, cmd: cmd, dir: dir, log: log, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(ctx); err != nil {
		tail := s.LogTail()
		s.Stop()
		return nil, fmt.Errorf("%w\n%s", err, tail)
	}
	return s, nil
}

// StartForTest runs a Prometheus for t and stops it at cleanup. Without a
// prometheus binary the test is skipped, unless LEASETOP_CI=1, where it
// fails.
func StartForTest(t testing.TB, opt Options) *Server {
	t.Helper()
	if opt.Bin == "" {
		bin, err := Binary()
		if err != nil {
			if os.Getenv("LEASETOP_CI") == "1" {
				t.Fatal(err)
			}
			t.Skip(err)
		}
		opt.Bin = bin
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, opt)
	if err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("prometheus log:\n%s", s.LogTail())
		}
		s.Stop()
	})
	return s
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) waitReady(ctx context.Context) error {
	for {
		resp, err := http.Get(s.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return errors.New("prometheus exited before it was ready")
		case <-ctx.Done():
			return fmt.Errorf("prometheus not ready: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// LogTail is the end of Prometheus' own log.
func (s *Server) LogTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "prometheus.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Stop ends Prometheus and removes its folder.
func (s *Server) Stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		s.log.Close()
		os.RemoveAll(s.dir)
	})
}

// Sample is one series of a query's answer.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Query evaluates expr now (GET /api/v1/query) and returns the samples of
// its instant vector, or the one value of a scalar.
func (s *Server) Query(ctx context.Context, expr string) ([]Sample, error) {
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := s.get(ctx, "/api/v1/query?query="+url.QueryEscape(expr), &body); err != nil {
		return nil, err
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", expr, body.Error)
	}
	switch body.Data.ResultType {
	case "vector":
		var rs []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(body.Data.Result, &rs); err != nil {
			return nil, err
		}
		out := make([]Sample, 0, len(rs))
		for _, r := range rs {
			v, err := value(r.Value[1])
			if err != nil {
				return nil, err
			}
			out = append(out, Sample{Labels: r.Metric, Value: v})
		}
		return out, nil
	case "scalar":
		var r [2]any
		if err := json.Unmarshal(body.Data.Result, &r); err != nil {
			return nil, err
		}
		v, err := value(r[1])
		return []Sample{{Value: v}}, err
	}
	return nil, fmt.Errorf("query %s: a %s, not a vector", expr, body.Data.ResultType)
}

func value(v any) (float64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("a sample value %v that is not a string", v)
	}
	return strconv.ParseFloat(s, 64)
}

// Alert is one alert of GET /api/v1/alerts.
type Alert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"` // "pending" or "firing"
	Value  string            `json:"value"`
}

// Alerts are the alerts pending or firing now.
func (s *Server) Alerts(ctx context.Context) ([]Alert, error) {
	var body struct {
		Status string `json:"status"`
		Data   struct {
			Alerts []Alert `json:"alerts"`
		} `json:"data"`
	}
	if err := s.get(ctx, "/api/v1/alerts", &body); err != nil {
		return nil, err
	}
	return body.Data.Alerts, nil
}

// TargetsUp is how many scrape targets the last scrape found up, of all.
func (s *Server) TargetsUp(ctx context.Context) (up, all int, err error) {
	var body struct {
		Data struct {
			ActiveTargets []struct {
				Health string `json:"health"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := s.get(ctx, "/api/v1/targets", &body); err != nil {
		return 0, 0, err
	}
	for _, t := range body.Data.ActiveTargets {
		if t.Health == "up" {
			up++
		}
	}
	return up, len(body.Data.ActiveTargets), nil
}

func (s *Server) get(ctx context.Context, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return fmt.Errorf("GET %s: %s: %w", path, resp.Status, err)
	}
	return nil
}
