package main

// Figures 8 and 9 (issue 10): leasetop reading a large Vault audit log. The
// log is made from a real dev Vault's file audit device: actors log in,
// look themselves up, read leased KV, renew and look up what they got, and
// the entries Vault wrote for that are replicated, with fresh lease ids,
// request ids and times, until the file is large enough.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/internal/seed"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

// auditOpts sizes the generated log.
type auditOpts struct {
	mb   int    // at least this many MiB
	live int    // lease creations whose leases are still live (the newest)
	gone int    // at least this many older creations, of leases long gone
	dir  string // where the temporary folder goes ("" = the system's)
}

// genLog is a generated audit log on disk.
type genLog struct {
	path      string
	size      int64
	lines     int64
	responses int64
	creations int64 // responses that made a lease
	renewals  int64 // responses to sys/leases/renew (they carry a lease id too)
	live      []liveLease
	real      int // lines Vault wrote, replicated
}

type liveLease struct {
	id      string
	created time.Time
}

// auditFigures measures figures 8 (ingest rate against jq and cat) and 9
// (heap after ingest and Retain against the index of the live leases).
func auditFigures(ctx context.Context, root *api.Client, o auditOpts) ([]figure, error) {
	dir, err := os.MkdirTemp(o.dir, "leasetop-audit-bench-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	realLog := filepath.Join(dir, "real.log")
	traffic, setup, err := realTraffic(ctx, root, realLog)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	g, err := writeLog(filepath.Join(dir, "vault_audit.log"), setup, traffic, o)
	if err != nil {
		return nil, err
	}
	fmt.Printf("audit log: %d real lines from Vault replicated to %s (%d lines, %d responses, %d lease creations of which %d live, %d renewals) in %s\n",
		g.real, mib(g.size), g.lines, g.responses, g.creations, len(g.live), g.renewals, time.Since(start).Round(time.Millisecond))

	var figs []figure
	if want(8) {
		f, err := ingestRates(g)
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	if want(9) {
		f, err := auditHeap(ctx, g)
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	return figs, nil
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

// services are the leased KV paths the actors read.
var services = []string{"billing", "checkout", "search", "reports", "ledger", "mailer", "images", "auth-proxy"}

// realTraffic turns on the file audit device, sets up two AppRole roles
// and two userpass users, and has each run cycles of six requests: log
// in, look its token up, read a leased secret (the one request in six that
// makes a lease), renew that lease, look it up, renew its token. It
// returns the lines Vault wrote for the traffic, and those it wrote for
// the setup before it.
func realTraffic(ctx context.Context, root *api.Client, path string) (traffic, setup [][]byte, err error) {
	s := &seed.Seeder{C: root, Concurrency: 4}
	if err := s.EnableFileAudit(ctx, path); err != nil {
		return nil, nil, err
	}
	defer root.Sys().DisableAuditWithContext(ctx, "file")
	for _, svc := range services {
		if _, err := root.Logical().WriteWithContext(ctx, "secret/app/"+svc, map[string]any{
			"ttl": "24h", "username": "svc-" + svc, "password": "not-a-real-password",
		}); err != nil {
			return nil, nil, fmt.Errorf("write secret/app/%s: %w", svc, err)
		}
	}
	type who struct {
		actor     *seed.Actor
		loginPath string
		body      map[string]any
	}
	var actors []who
	for _, role := range []string{"billing-api", "ci-deploy"} {
		a, err := s.AppRoleActor(ctx, "approle", role)
		if err != nil {
			return nil, nil, err
		}
		rid, err := root.Logical().ReadWithContext(ctx, "auth/approle/role/"+role+"/role-id")
		if err != nil || rid == nil {
			return nil, nil, fmt.Errorf("role-id of %s: %v", role, err)
		}
		sid, err := root.Logical().WriteWithContext(ctx, "auth/approle/role/"+role+"/secret-id", nil)
		if err != nil || sid == nil {
			return nil, nil, fmt.Errorf("secret-id of %s: %v", role, err)
		}
		actors = append(actors, who{a, "auth/approle/login", map[string]any{"role_id": rid.Data["role_id"], "secret_id": sid.Data["secret_id"]}})
	}
	for _, user := range []string{"alice", "bob"} {
		a, err := s.UserpassActor(ctx, "userpass", user)
		if err != nil {
			return nil, nil, err
		}
		actors = append(actors, who{a, "auth/userpass/login/" + user, map[string]any{"password": "seed-password"}})
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	setupEnd := fi.Size()

	// The traffic: every actor reads every service's secret a few times,
	// the four actors at once, as independent clients would.
	const cycles = 3
	var wg sync.WaitGroup
	errs := make([]error, len(actors))
	for i, a := range actors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range cycles {
				for _, svc := range services {
					if err := cycle(ctx, a.actor.Seeder.C, a.loginPath, a.body, "secret/app/"+svc); err != nil {
						errs[i] = fmt.Errorf("%s: %w", a.actor.Name, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, nil, err
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	split := func(b []byte) [][]byte {
		return bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	}
	setup, traffic = split(data[:setupEnd]), split(data[setupEnd:])
	if want := len(actors) * cycles * len(services) * 6 * 2; len(traffic) != want {
		return nil, nil, fmt.Errorf("the audit log holds %d lines of traffic, want %d", len(traffic), want)
	}
	return traffic, setup, nil
}

// cycle is one round of an actor's six requests.
func cycle(ctx context.Context, c *api.Client, loginPath string, body map[string]any, secret string) error {
	c, err := c.Clone()
	if err != nil {
		return err
	}
	c.ClearToken()
	login, err := c.Logical().WriteWithContext(ctx, loginPath, body)
	if err != nil || login == nil || login.Auth == nil {
		return fmt.Errorf("login: %v", err)
	}
	c.SetToken(login.Auth.ClientToken)
	if _, err := c.Auth().Token().LookupSelfWithContext(ctx); err != nil {
		return fmt.Errorf("lookup-self: %w", err)
	}
	sec, err := c.Logical().ReadWithContext(ctx, secret)
	if err != nil || sec == nil || sec.LeaseID == "" {
		return fmt.Errorf("read %s made no lease: %v", secret, err)
	}
	if _, err := c.Sys().RenewWithContext(ctx, sec.LeaseID, 3600); err != nil {
		return fmt.Errorf("renew: %w", err)
	}
	if _, err := c.Logical().WriteWithContext(ctx, "sys/leases/lookup", map[string]any{"lease_id": sec.LeaseID}); err != nil {
		return fmt.Errorf("lease lookup: %w", err)
	}
	if _, err := c.Auth().Token().RenewSelfWithContext(ctx, 0); err != nil {
		return fmt.Errorf("renew-self: %w", err)
	}
	return nil
}

// A template is one line Vault wrote, cut where a copy differs: its time,
// its request id, and the ids of leases made in the traffic.
type template struct {
	parts    [][]byte // literal text between the holes; len(holes)+1 of them
	holes    []hole
	response bool
	creates  int  // >= 0: the line made lease creates (its index in the traffic)
	renewal  bool // a response to sys/leases/renew
}

type hole struct {
	kind   byte // 't' time, 'r' request id, 'l' lease id
	i      int  // request or lease index within the traffic
	prefix string
}

// cut makes the templates of the traffic's lines.
func cut(lines [][]byte) ([]template, int, error) {
	type fields struct {
		Time    string `json:"time"`
		Type    string `json:"type"`
		Request struct {
			ID   string `json:"id"`
			Path string `json:"path"`
		} `json:"request"`
		Response struct {
			Secret struct {
				LeaseID string `json:"lease_id"`
			} `json:"secret"`
		} `json:"response"`
	}
	leases := map[string]int{} // lease id made in the traffic → index
	reqs := map[string]int{}
	for _, l := range lines {
		if e, ok, err := audit.ParseLine(l); err != nil {
			return nil, 0, err
		} else if ok {
			leases[e.LeaseID] = len(leases)
		}
	}
	var ts []template
	for _, l := range lines {
		var f fields
		if err := json.Unmarshal(l, &f); err != nil {
			return nil, 0, err
		}
		if _, ok := reqs[f.Request.ID]; !ok {
			reqs[f.Request.ID] = len(reqs)
		}
		t := template{response: f.Type == "response", creates: -1, renewal: f.Type == "response" && f.Request.Path == "sys/leases/renew"}
		if e, ok, _ := audit.ParseLine(l); ok {
			t.creates = leases[e.LeaseID]
		}
		type at struct {
			pos, n int
			h      hole
		}
		var ats []at
		find := func(s string, h hole) {
			if s == "" {
				return
			}
			for off := 0; ; {
				i := bytes.Index(l[off:], []byte(s))
				if i < 0 {
					return
				}
				ats = append(ats, at{off + i, len(s), h})
				off += i + len(s)
			}
		}
		find(`"time":"`+f.Time+`"`, hole{kind: 't'})
		find(f.Request.ID, hole{kind: 'r', i: reqs[f.Request.ID]})
		for id, i := range leases {
			find(id, hole{kind: 'l', i: i, prefix: id[:strings.LastIndexByte(id, '/')+1]})
		}
		sort.Slice(ats, func(i, j int) bool { return ats[i].pos < ats[j].pos })
		prev := 0
		for _, a := range ats {
			t.parts = append(t.parts, l[prev:a.pos])
			t.holes = append(t.holes, a.h)
			prev = a.pos + a.n
		}
		t.parts = append(t.parts, l[prev:])
		ts = append(ts, t)
	}
	return ts, len(reqs), nil
}

// writeLog writes the setup lines once and then the traffic over and over,
// each copy with fresh lease ids, request ids and times, until the file is
// o.mb MiB and holds o.live+o.gone lease creations; the newest o.live are
// the live ones. Times run evenly from two days ago to now.
func writeLog(path string, setup, traffic [][]byte, o auditOpts) (*genLog, error) {
	pre, npre, err := cut(setup)
	if err != nil {
		return nil, err
	}
	tpl, nreq, err := cut(traffic)
	if err != nil {
		return nil, err
	}
	var perCopy, perCopyBytes int64
	for i, t := range tpl {
		if t.creates >= 0 {
			perCopy++
		}
		perCopyBytes += int64(len(traffic[i]) + 1)
	}
	if perCopy == 0 {
		return nil, fmt.Errorf("the real traffic made no lease")
	}
	copies := max((int64(o.mb)<<20+perCopyBytes-1)/perCopyBytes, (int64(o.live+o.gone)+perCopy-1)/perCopy)
	totalLines := int64(len(pre)) + copies*int64(len(tpl))
	creations := copies * perCopy
	firstLive := creations - int64(o.live)

	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	g := &genLog{path: path, real: len(setup) + len(traffic)}
	rng := rand.New(rand.NewPCG(10, uint64(len(traffic))))
	now := time.Now().UTC()
	t0 := now.Add(-48 * time.Hour)
	step := 48 * time.Hour / time.Duration(totalLines)
	var tbuf []byte
	reqIDs := make([][]byte, max(nreq, npre))
	leaseIDs := make([]string, len(tpl))
	var line int64
	emit := func(ts []template) {
		for _, t := range ts {
			at := t0.Add(time.Duration(line) * step)
			line++
			for i, h := range t.holes {
				w.Write(t.parts[i])
				switch h.kind {
				case 't':
					tbuf = at.AppendFormat(append(tbuf[:0], `"time":"`...), time.RFC3339Nano)
					w.Write(append(tbuf, '"'))
				case 'r':
					w.Write(reqIDs[h.i])
				case 'l':
					w.WriteString(leaseIDs[h.i])
				}
			}
			w.Write(t.parts[len(t.parts)-1])
			w.WriteByte('\n')
			g.lines++
			if t.response {
				g.responses++
			}
			if t.renewal {
				g.renewals++
			}
			if t.creates >= 0 {
				if g.creations >= firstLive {
					g.live = append(g.live, liveLease{leaseIDs[t.creates], at})
				}
				g.creations++
			}
		}
	}
	fresh := func(ts []template) {
		for i := range reqIDs {
			reqIDs[i] = uuid(rng, reqIDs[i][:0])
		}
		for _, t := range ts {
			for _, h := range t.holes {
				if h.kind == 'l' && t.creates == h.i {
					leaseIDs[h.i] = h.prefix + leaseKey(rng)
				}
			}
		}
	}
	fresh(pre)
	emit(pre)
	for range copies {
		fresh(tpl)
		emit(tpl)
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	g.size = fi.Size()
	return g, f.Close()
}

func uuid(rng *rand.Rand, b []byte) []byte {
	const hexd = "0123456789abcdef"
	for i := range 32 {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b = append(b, '-')
		}
		b = append(b, hexd[rng.IntN(16)])
	}
	return b
}

// leaseKey is what Vault appends to a path to name a lease: 24 letters
// and digits.
func leaseKey(rng *rand.Rand) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b [24]byte
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b[:])
}

// ingestRates times three whole programs on the log, best of two, each
// run after the same warming pass of cat over it: this program reading it with audit.Read
// into an Attribution (-audit-read), jq picking lease ids and entity ids
// out of it, and cat copying it to /dev/null.
func ingestRates(g *genLog) (figure, error) {
	self, err := os.Executable()
	if err != nil {
		return figure{}, err
	}
	jqFilter := `select(.response.secret.lease_id) | [.response.secret.lease_id, .auth.entity_id]`
	// Best of two runs each, every run after the same warming pass: the
	// machine is shared, and one slow run says little.
	run := func(name string, args ...string) (best time.Duration, said string, err error) {
		for range 2 {
			if err := exec.Command("cat", g.path).Run(); err != nil { // warm the page cache
				return 0, "", fmt.Errorf("warm: %w", err)
			}
			var out, stderr bytes.Buffer
			cmd := exec.Command(name, args...)
			if name == self {
				cmd.Stdout = &out
			}
			cmd.Stderr = &stderr
			start := time.Now()
			err := cmd.Run()
			d := time.Since(start)
			if err != nil {
				return 0, "", fmt.Errorf("%s: %v: %s", filepath.Base(name), err, strings.TrimSpace(stderr.String()))
			}
			if best == 0 || d < best {
				best, said = d, strings.TrimSpace(out.String())
			}
		}
		return best, said, nil
	}
	if _, err := exec.LookPath("jq"); err != nil {
		return figure{}, fmt.Errorf("figure 8 needs jq on PATH (bench/run.sh installs it)")
	}
	catD, _, err := run("cat", g.path)
	if err != nil {
		return figure{}, err
	}
	ltD, said, err := run(self, "-audit-read", g.path)
	if err != nil {
		return figure{}, err
	}
	fmt.Println("leasetop:", said)
	jqD, _, err := run("jq", "-c", jqFilter, g.path)
	if err != nil {
		return figure{}, err
	}
	rate := func(d time.Duration) float64 { return float64(g.size) / 1e6 / d.Seconds() }
	fmt.Printf("ingest of %s, best of 2: cat %s, leasetop %s, jq %s\n", mib(g.size), catD.Round(time.Millisecond), ltD.Round(time.Millisecond), jqD.Round(time.Millisecond))
	return figure{fmt.Sprintf("8. audit log ingest (%s): leasetop Read+Attribution vs jq; cat = read limit", mib(g.size)),
		fmt.Sprintf("%.1fx jq (%.0f vs %.0f MB/s); %.0f%% of cat's %.0f MB/s", rate(ltD)/rate(jqD), rate(ltD), rate(jqD),
			100*rate(ltD)/rate(catD), rate(catD)), []check{atLeast("", rate(ltD)/rate(jqD), 10, "x jq")}, false}, nil
}

// auditRead is the whole program figure 8 times: read the log into an
// Attribution, as the owners screen does, and say what it found.
func auditRead(path string) error {
	a := audit.NewAttribution()
	start := time.Now()
	st, err := audit.Read(context.Background(), path, nil, a.AddAll)
	if err != nil {
		return err
	}
	a.SeenFrom(st.First)
	fmt.Printf("%d lines, %d lease creations, %d garbage; %d leases, %d owners, in %s", st.Lines, st.Leases, st.Garbage, a.Len(), a.Owners(), time.Since(start).Round(time.Millisecond))
	return nil
}

// auditHeap measures, in this process, the heap of the index of the live
// leases alone, then the heap once the log is read into an Attribution and
// Retain has kept only the live leases' owners.
func auditHeap(ctx context.Context, g *genLog) (figure, error) {
	// The listings a crawl of the live leases would return.
	byPrefix := map[string][]string{}
	for _, l := range g.live {
		p := l.id[:strings.LastIndexByte(l.id, '/')+1]
		byPrefix[p] = append(byPrefix[p], l.id)
	}
	children := map[string][]string{}
	for p := range byPrefix {
		for q := p; q != ""; {
			parent := q[:strings.LastIndexByte(strings.TrimSuffix(q, "/"), '/')+1]
			if !slices.Contains(children[parent], q) {
				children[parent] = append(children[parent], q)
			}
			q = parent
		}
	}
	var prefixes []string
	for p := range children {
		prefixes = append(prefixes, p)
	}
	for p := range byPrefix {
		if _, ok := children[p]; !ok {
			prefixes = append(prefixes, p)
		}
	}
	sort.Strings(prefixes) // parents before children
	for _, ids := range byPrefix {
		sort.Strings(ids)
	}
	now := time.Now()
	leases := make([]vaultclient.Lease, len(g.live))
	for i, l := range g.live {
		ttl := 24*time.Hour - now.Sub(l.created)
		leases[i] = vaultclient.Lease{ID: l.id, IssueTime: l.created, ExpireTime: now.Add(ttl), Renewable: true, TTL: ttl}
	}

	var m0, m1, m2, m3 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	idx := model.NewIndex()
	for _, p := range prefixes {
		idx.ApplyListing(p, children[p], byPrefix[p], now)
	}
	for _, l := range leases {
		idx.ApplyLease(crawl.Info(l))
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	if idx.Len() != len(g.live) {
		return figure{}, fmt.Errorf("index holds %d leases, want %d", idx.Len(), len(g.live))
	}

	a := audit.NewAttribution()
	start := time.Now()
	st, err := audit.Read(ctx, g.path, nil, a.AddAll)
	if err != nil {
		return figure{}, err
	}
	a.SeenFrom(st.First)
	read := time.Since(start)
	held := a.Len()
	runtime.GC()
	runtime.ReadMemStats(&m2)
	dropped := a.Retain(func(id string) bool { return idx.Lease(id) != nil })
	runtime.GC()
	runtime.ReadMemStats(&m3)
	if a.Len() != len(g.live) {
		return figure{}, fmt.Errorf("after Retain the attribution holds %d leases, want %d", a.Len(), len(g.live))
	}
	runtime.KeepAlive(byPrefix) // alive on every side: they cancel out
	runtime.KeepAlive(leases)
	runtime.KeepAlive(idx)
	runtime.KeepAlive(a)

	delta := func(m runtime.MemStats) float64 { return float64(int64(m.HeapAlloc) - int64(m0.HeapAlloc)) }
	index, before, after := delta(m1), delta(m2)-delta(m1), delta(m3)-delta(m1)
	fmt.Printf("heap: index of %d live leases %.1f MiB; attribution of %d leases %.1f MiB before Retain, %.1f MiB after (dropped %d, %d owners); read in-process in %s (%.0f MB/s)\n",
		idx.Len(), index/(1<<20), held, before/(1<<20), after/(1<<20), dropped, a.Owners(), read.Round(time.Millisecond), float64(g.size)/1e6/read.Seconds())
	return figure{fmt.Sprintf("9. heap: index + attribution after the log and Retain / index alone (%dk live)", len(g.live)/1000),
		fmt.Sprintf("%.2fx (index %.1f MiB, attribution %.1f MiB; %.1f MiB before Retain)", (index+after)/index, index/(1<<20), after/(1<<20), before/(1<<20)),
		[]check{atMost("", (index+after)/index, 2, "x")}, false}, nil
}
