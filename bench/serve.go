package main

// Figure 20 (issue 25): `leasetop serve` attached to the million: a
// scrape's time and allocations, its resident memory, and Vault's CPU
// with it attached (the method of figure 15, with its control).

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"

	"github.com/hashicorp/vault/api"

	"github.com/leasetop/leasetop/internal/devvault"
)

const serveName = "20. leasetop serve at %s: GET /metrics (median of %d scrapes), the Go allocations per scrape per series; serve's peak RSS; Vault's CPU with it attached minus stopped"

// serveScrapes is how many scrapes the figure times.
const serveScrapes = 30

// serveFigure starts `leasetop serve` on the million, waits for its first
// crawl (/readyz), then times scrapes, reads the bytes the Go runtime
// allocated for them from serve's own go_memstats_alloc_bytes_total, its
// peak RSS, and Vault's CPU as figure 15 does.
func serveFigure(ctx context.Context, bin string, srv *devvault.Server, rootAPI *api.Client, o bigOpts) (figure, error) {
	name := fmt.Sprintf(serveName, o.size(), serveScrapes)
	cmd := exec.CommandContext(ctx, bin, "serve", "--listen", "127.0.0.1:0", "--refresh", o.refresh.String())
	cmd.Env = benchEnv(srv.Addr, srv.RootToken)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return figure{}, err
	}
	if err := cmd.Start(); err != nil {
		return figure{}, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	addr := make(chan string, 1)
	var logMu sync.Mutex
	var logTail []string
	go func() {
		re := regexp.MustCompile(`listen=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			logTail = append(logTail[max(0, len(logTail)-20):], sc.Text())
			logMu.Unlock()
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- "http://" + m[1]:
				default:
				}
			}
		}
	}()
	var base string
	select {
	case base = <-addr:
	case <-time.After(time.Minute):
		return figure{}, fmt.Errorf("serve did not start listening")
	}
	start := time.Now()
	for {
		if code, _, err := httpGet(base + "/readyz"); err == nil && code == http.StatusOK {
			break
		}
		if time.Since(start) > 40*time.Minute {
			logMu.Lock()
			defer logMu.Unlock()
			return figure{}, fmt.Errorf("not ready after 40 minutes: %s", strings.Join(logTail, "\n"))
		}
		time.Sleep(time.Second)
	}
	// The figures before this one add and revoke leases: Vault's own
	// listing now is what serve must publish.
	_, listings, err := rawListWalk(ctx, rootAPI, o.conc)
	if err != nil {
		return figure{}, err
	}
	total := 0
	for _, l := range listings {
		total += len(l.ids)
	}
	fmt.Printf("  serve: first crawl ended after %s; Vault lists %d leases\n", time.Since(start).Round(time.Second), total)

	// The scrape publishes what the index holds: every lease of the
	// million, under the --top cap.
	_, body, err := httpGet(base + "/metrics")
	if err != nil {
		return figure{}, err
	}
	leases, series, err := scrapeCounts(body)
	if err != nil {
		return figure{}, err
	}
	if int(leases) != total {
		return figure{}, fmt.Errorf("leasetop_leases adds up to %.0f, Vault's listing holds %d", leases, total)
	}
	allocBefore, err := allocBytes(base)
	if err != nil {
		return figure{}, err
	}
	var took []time.Duration
	for range serveScrapes {
		t0 := time.Now()
		if code, _, err := httpGet(base + "/metrics"); err != nil || code != http.StatusOK {
			return figure{}, fmt.Errorf("GET /metrics: %d %v", code, err)
		}
		took = append(took, time.Since(t0))
	}
	allocAfter, err := allocBytes(base)
	if err != nil {
		return figure{}, err
	}
	// Each allocBytes read is a scrape too: serveScrapes+1 between the two.
	perSeries := (allocAfter - allocBefore) / float64(serveScrapes+1) / float64(series)
	slices.Sort(took)
	p50 := took[len(took)/2]
	_, hwm := procMem(cmd.Process.Pid)
	idle := idleFigure(rootAPI, srv.Pid(), cmd.Process.Pid, o)
	value := fmt.Sprintf("scrape %s (max %s) for %d series; %.0f B allocated per series per scrape; peak RSS %d MB; Vault CPU: %s",
		p50.Round(100*time.Microsecond), took[len(took)-1].Round(100*time.Microsecond), series, perSeries, hwm>>20, idle.value)
	checks := []check{atMost("scrape", float64(p50.Milliseconds()), 100, " ms"), atMost("alloc", perSeries, 4096, " B/series"),
		atMost("peak RSS", float64(hwm>>20), 256, " MB")}
	checks = append(checks, idle.checks...)
	if len(idle.checks) > 0 {
		checks[len(checks)-1].what = "Vault CPU"
	}
	return figure{name, value, checks, idle.failed}, nil
}

func httpGet(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// scrapeCounts adds up leasetop_leases and counts the series of a scrape.
func scrapeCounts(body string) (leases float64, series int, err error) {
	p := expfmt.NewTextParser(pmodel.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	for name, mf := range mfs {
		series += len(mf.GetMetric())
		if name == "leasetop_leases" {
			for _, m := range mf.GetMetric() {
				leases += m.GetGauge().GetValue()
			}
		}
	}
	return leases, series, nil
}

// allocBytes is serve's go_memstats_alloc_bytes_total: what its Go
// runtime allocated since it started.
func allocBytes(base string) (float64, error) {
	_, body, err := httpGet(base + "/metrics")
	if err != nil {
		return 0, err
	}
	p := expfmt.NewTextParser(pmodel.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	mf := mfs["go_memstats_alloc_bytes_total"]
	if mf == nil || len(mf.GetMetric()) == 0 {
		return 0, fmt.Errorf("no go_memstats_alloc_bytes_total in serve's scrape")
	}
	return mf.GetMetric()[0].GetCounter().GetValue(), nil
}
