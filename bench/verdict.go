package main

// Each figure carries its target as data: one check or more, each a
// measured number, a comparison and a threshold. A figure is MET when it
// was measured and every check holds, MISSED otherwise (a figure that
// could not be measured misses too), and the program exits 2 when one
// misses, so a run judges itself and no one combines runs by hand.

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

type figure struct {
	name, value string
	checks      []check
	// failed says why the figure could not be measured (its value then
	// says the same): such a figure is MISSED whatever its checks.
	failed bool
}

// check is one part of a figure's target: got, compared with limit.
type check struct {
	what   string  // what is compared, e.g. "UI"; "" when the figure has one number
	got    float64 // the measured value, in unit
	atMost bool    // the target is got <= limit (else got >= limit)
	limit  float64
	unit   string // printed after the limit: "x", "%", " B", " s"
}

func atMost(what string, got, limit float64, unit string) check {
	return check{what: what, got: got, atMost: true, limit: limit, unit: unit}
}

func atLeast(what string, got, limit float64, unit string) check {
	return check{what: what, got: got, limit: limit, unit: unit}
}

func (c check) met() bool {
	if c.atMost {
		return c.got <= c.limit
	}
	return c.got >= c.limit
}

func (c check) String() string {
	op := ">="
	if c.atMost {
		op = "<="
	}
	s := fmt.Sprintf("%s %s%s", op, trimFloat(c.limit), c.unit)
	if c.what != "" {
		s = c.what + " " + s
	}
	return s
}

// trimFloat prints a threshold without trailing zeros: 0.9, 1.5, 1024.
func trimFloat(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}

func (f figure) target() string {
	var s []string
	for _, c := range f.checks {
		s = append(s, c.String())
	}
	return strings.Join(s, "; ")
}

func (f figure) met() bool {
	if f.failed || len(f.checks) == 0 {
		return false
	}
	for _, c := range f.checks {
		if !c.met() {
			return false
		}
	}
	return true
}

func (f figure) verdict() string {
	if f.met() {
		return "MET"
	}
	return "MISSED"
}

// failedFigure is a figure that could not be measured, with the target it
// would have been judged by.
func failedFigure(name string, err error, checks ...check) figure {
	return figure{name: name, value: "error: " + err.Error(), checks: checks, failed: true}
}

// machine describes where the figures were measured: enough to paste a
// run's table as it stands.
func machine() []string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	host, _ := os.Hostname()
	lines := []string{
		fmt.Sprintf("machine: %d cores (%s), %s/%s, %s, host %s", runtime.NumCPU(), cpu, runtime.GOOS, runtime.GOARCH, runtime.Version(), host),
	}
	if out, err := exec.Command("git", "describe", "--always", "--dirty", "--abbrev=12").Output(); err == nil {
		lines = append(lines, "leasetop: "+strings.TrimSpace(string(out)))
	}
	return lines
}

// commandLine is the command the run was started with: run.sh passes
// its own (LEASETOP_BENCH_CMD), else the program's arguments.
func commandLine() string {
	if c := os.Getenv("LEASETOP_BENCH_CMD"); c != "" {
		return c
	}
	return "go run ./bench " + strings.Join(os.Args[1:], " ")
}

// printHeader and printTable frame the run: the date, the machine and
// the command above, the table and the verdicts below.
func printHeader(start time.Time) {
	fmt.Printf("date: %s\n", start.UTC().Format("2006-01-02 15:04 MST"))
	for _, l := range machine() {
		fmt.Println(l)
	}
	fmt.Printf("command: %s\n", commandLine())
}

// printTable prints the figures as a Markdown table and says how many
// missed.
func printTable(figs []figure, start time.Time) (missed int) {
	fmt.Println()
	fmt.Println("| figure | measured | target | verdict |")
	fmt.Println("| --- | --- | --- | --- |")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, f := range figs {
		fmt.Printf("| %s | %s | %s | %s |\n", cell(f.name), cell(f.value), cell(f.target()), f.verdict())
		if !f.met() {
			missed++
		}
	}
	fmt.Println()
	fmt.Printf("date: %s to %s (%s)\n", start.UTC().Format("2006-01-02 15:04"), time.Now().UTC().Format("15:04 MST"), time.Since(start).Round(time.Second))
	for _, l := range machine() {
		fmt.Println(l)
	}
	fmt.Printf("command: %s\n", commandLine())
	if missed > 0 {
		fmt.Printf("%d of %d figures MISSED\n", missed, len(figs))
	} else {
		fmt.Printf("all %d figures MET\n", len(figs))
	}
	return missed
}

// plural is n and a noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
