package main

import (
	"bytes"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

// testdata/benchstat.csv is what the pinned benchstat printed for two
// made-up result files,
//
//	benchstat -format csv old=testdata/old.txt new=testdata/new.txt
//
// six samples a side: H2O 19% slower (p=0.002), its CPU time unchanged,
// echo's lines/s 10.6% lower (p=0.002) with its CPU per line 3% higher
// (p=0.002, under the threshold), a benchmark 30% faster, and one whose
// change is not significant.
func TestDecideOnBenchstatCSV(t *testing.T) {
	f, err := os.Open("testdata/benchstat.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := parseBenchstatCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rows {
		names = append(names, r.Name+" "+r.Unit)
	}
	want := []string{
		"Echo/mode=goroutine/conns=50 lines/s",
		"Echo/mode=goroutine/conns=50 server-cpu-sec/line",
		"H2O/runtime=goroutines/n=100000 sec/molecule",
		"H2O/runtime=goroutines/n=100000 cpu-sec/molecule",
		"Mutex/contended/impl=csp-2 sec/op",
		"Semaphore/contended/impl=csp-2 sec/op",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	if h2o := rows[2]; math.Abs(h2o.Old-8e-06) > 1e-12 || h2o.New != 9.5e-06 || h2o.P != 0.002 {
		t.Errorf("H2O row %+v, want old 8e-06, new 9.5e-06, p 0.002", h2o)
	}
	if sem := rows[5]; sem.P != 1 {
		t.Errorf("Semaphore row %+v, want p 1", sem)
	}

	slow := slower(rows, 0.05, 0.05)
	var got []string
	for _, r := range slow {
		got = append(got, r.Name+" "+r.Unit)
	}
	want = []string{"Echo/mode=goroutine/conns=50 lines/s", "H2O/runtime=goroutines/n=100000 sec/molecule"}
	if !slices.Equal(got, want) {
		t.Errorf("slower: %q, want %q", got, want)
	}
	// A higher threshold keeps only the 19%; a stricter alpha keeps none.
	if got := slower(rows, 0.15, 0.05); len(got) != 1 || got[0].Unit != "sec/molecule" {
		t.Errorf("slower at 15%%: %+v, want the H2O row alone", got)
	}
	if got := slower(rows, 0.05, 0.001); len(got) != 0 {
		t.Errorf("slower at p < 0.001: %+v, want none", got)
	}
	// The 3% CPU growth counts once the threshold is under it.
	if got := slower(rows, 0.02, 0.05); len(got) != 3 {
		t.Errorf("slower at 2%%: %d rows, want 3 (H2O, echo's lines/s, echo's CPU per line)", len(got))
	}

	v := verdict(slow, nil, 5, 0.05)
	for _, s := range []string{
		"2 got more than 5% slower with p < 0.05",
		"SLOWER H2O/runtime=goroutines/n=100000: 8000 -> 9500 ns/molecule (+18.",
		"SLOWER Echo/mode=goroutine/conns=50: 100700 -> 90000 lines/s (+11.9% cost, p=0.002)",
	} {
		if !strings.Contains(v, s) {
			t.Errorf("verdict lacks %q:\n%s", s, v)
		}
	}
	if v := verdict(nil, nil, 5, 0.05); v != "no workload got more than 5% slower with p < 0.05\n" {
		t.Errorf("verdict with none slower: %q", v)
	}
}

func TestCost(t *testing.T) {
	for _, tc := range []struct {
		r    row
		want float64
	}{
		{row{Unit: "sec/op", Old: 100, New: 110}, 1.1},
		{row{Unit: "server-cpu-sec/line", Old: 10, New: 5}, 0.5},
		{row{Unit: "lines/s", Old: 110, New: 100}, 1.1},
		{row{Unit: "lines/s", Old: 100, New: 200}, 0.5},
	} {
		if got := tc.r.cost(); got != tc.want {
			t.Errorf("%+v: cost %v, want %v", tc.r, got, tc.want)
		}
	}
}

func TestParseBenchstatCSVRejects(t *testing.T) {
	for _, in := range []string{
		"Mutex,1,∞,2,∞,+100%,p=0.002 n=6\n", // a row before any unit
		",old,,new,,,\n,sec/op,CI,sec/op,CI,vs base,P\nMutex,x,∞,2,∞,~,p=0.5 n=6\n",
		",old,,new,,,\n,sec/op,CI,sec/op,CI,vs base,P\nMutex,1,∞,2,∞,~,n=6\n",
	} {
		if rows, err := parseBenchstatCSV(strings.NewReader(in)); err == nil {
			t.Errorf("parseBenchstatCSV(%q) = %+v, want an error", in, rows)
		}
	}
}

func TestParseH2O(t *testing.T) {
	ns, err := parseH2O("100000 molecules in 812ms: 123153 molecules/s, 8120 ns/molecule\n")
	if err != nil || ns != 8120 {
		t.Errorf("parseH2O = %v, %v; want 8120", ns, err)
	}
	for _, out := range []string{"", "floor for 10 molecules", "ns/molecule", "x ns/molecule"} {
		if _, err := parseH2O(out); err == nil {
			t.Errorf("parseH2O(%q): no error", out)
		}
	}
}

func TestParseEchoload(t *testing.T) {
	r, err := parseEchoload([]byte(`{"conns":50,"lines":300000,"lines_per_sec":100000.5,"errors":{},"server_pid":42,"server_cpu_seconds":4.5,"server_cpu_us_per_line":15}`))
	if err != nil || r.Lines != 300000 || r.LinesPerSec != 100000.5 || r.ServerCPUPerLine != 15 {
		t.Errorf("parseEchoload = %+v, %v", r, err)
	}
	for _, bad := range []string{
		`{"lines":0,"lines_per_sec":0,"server_cpu_us_per_line":15}`,
		`{"lines":10,"lines_per_sec":10}`, // no server CPU time
		`not json`,
	} {
		if _, err := parseEchoload([]byte(bad)); err == nil {
			t.Errorf("parseEchoload(%q): no error", bad)
		}
	}
}

func TestBenchLines(t *testing.T) {
	out := "goos: linux\ngoarch: amd64\npkg: github.com/chansync/chansync/internal/async\ncpu: X\n" +
		"BenchmarkSpawnJoin/impl=executor-2   \t 100\t 812.5 ns/op\nPASS\nBenchmarkNoTab\n"
	want := "pkg: async\nBenchmarkSpawnJoin/impl=executor-2   \t 100\t 812.5 ns/op\n"
	if got := benchLines(out, "async"); got != want {
		t.Errorf("benchLines:\n%q\nwant\n%q", got, want)
	}
}

func TestHeaderAndCPUInfo(t *testing.T) {
	cpu := parseCPUInfo(strings.NewReader("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n"))
	if cpu != "AMD EPYC" {
		t.Errorf("parseCPUInfo = %q", cpu)
	}
	want := "goos: linux\ngoarch: amd64\ncpu: AMD EPYC\nUnit lines/s Better=higher\n"
	if got := header("linux", "amd64", cpu); got != want {
		t.Errorf("header = %q, want %q", got, want)
	}
}

func TestParseWorkloads(t *testing.T) {
	ws, err := parseWorkloads("csp, h2o,h2o")
	if err != nil || !slices.Equal(ws, []string{"h2o", "csp"}) {
		t.Errorf("parseWorkloads = %q, %v; want [h2o csp] in a round's order", ws, err)
	}
	if ws, _ := parseWorkloads("all"); !slices.Equal(ws, allWorkloads) {
		t.Errorf("all = %q", ws)
	}
	if _, err := parseWorkloads("h2o,echo"); err == nil {
		t.Error("unknown workload echo: no error")
	}
}

func TestOptions(t *testing.T) {
	var stdout, stderr bytes.Buffer
	o, _, ok := parseOptions([]string{"-count", "4", "98d125e", "-w", "h2o", "-fail", "-measure-cmd", "flock -x /tmp/l"}, &stdout, &stderr)
	if !ok || o.rev != "98d125e" || o.count != 4 || !o.fail || !slices.Equal(o.workloads, []string{"h2o"}) ||
		!slices.Equal(o.measureCmd, []string{"flock", "-x", "/tmp/l"}) || o.benchstat[0] != "go" {
		t.Errorf("options %+v, ok %v, stderr %q", o, ok, stderr.String())
	}
	for _, args := range [][]string{{}, {"a", "b"}, {"-count", "0", "HEAD"}, {"-w", "nope", "HEAD"}, {"-alpha", "2", "HEAD"}, {"-nope", "HEAD"}} {
		stderr.Reset()
		if _, code, ok := parseOptions(args, &stdout, &stderr); ok || code != 2 || !strings.HasPrefix(stderr.String(), "benchcmp: ") {
			t.Errorf("parseOptions(%q): ok %v, code %d, stderr %q; want 2 and one line", args, ok, code, stderr.String())
		}
	}
	stdout.Reset()
	if _, code, ok := parseOptions([]string{"-h"}, &stdout, &stderr); ok || code != 0 || !strings.Contains(stdout.String(), "-measure-cmd") {
		t.Errorf("-h: ok %v, code %d, stdout %q", ok, code, stdout.String())
	}
}

// The two sides alternate: in each round every workload runs on both,
// back to back, the revision first in odd rounds and the working tree
// first in even ones; batches cut the rounds without reordering them.
func TestSchedule(t *testing.T) {
	rev, wt := &side{label: "rev"}, &side{label: "worktree"}
	show := func(batches [][]step) []string {
		var out []string
		for _, b := range batches {
			var s []string
			for _, st := range b {
				s = append(s, st.workload+"@"+st.side.label)
			}
			out = append(out, strings.Join(s, " "))
		}
		return out
	}
	got := show(schedule(3, 2, []string{"h2o", "csp"}, [2]*side{rev, wt}))
	want := []string{
		"h2o@rev h2o@worktree csp@rev csp@worktree h2o@worktree h2o@rev csp@worktree csp@rev",
		"h2o@rev h2o@worktree csp@rev csp@worktree",
	}
	if !slices.Equal(got, want) {
		t.Errorf("schedule(3 rounds, batches of 2):\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := schedule(4, 1, []string{"h2o"}, [2]*side{rev, wt}); len(got) != 4 {
		t.Errorf("schedule(4 rounds, batches of 1): %d batches, want 4", len(got))
	}
}
