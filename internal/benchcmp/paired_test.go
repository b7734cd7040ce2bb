package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Six rounds in which the machine's speed drifts threefold while the
// working tree costs 10% more than the revision in every round: benchstat's
// unpaired test cannot tell the sides apart, the rounds can.
func TestPairsSeeThroughDrift(t *testing.T) {
	drift := []float64{1, 3, 1.5, 2.5, 1.2, 2}
	var old, cur strings.Builder
	for _, d := range drift {
		fmt.Fprintf(&old, "pkg: cmd/h2o\nBenchmarkH2O/runtime=goroutines/n=100000 1 %g ns/molecule %g cpu-ns/molecule\n", 7000*d, 13000*d)
		fmt.Fprintf(&cur, "pkg: cmd/h2o\nBenchmarkH2O/runtime=goroutines/n=100000 1 %g ns/molecule %g cpu-ns/molecule\n", 7700*d, 13000*d)
		fmt.Fprintf(&old, "pkg: cmd/echo\nBenchmarkEcho/mode=goroutine/conns=50 300000 %g lines/s %g server-cpu-ns/line\n", 100000/d, 10000*d)
		fmt.Fprintf(&cur, "pkg: cmd/echo\nBenchmarkEcho/mode=goroutine/conns=50 300000 %g lines/s %g server-cpu-ns/line\n", 120000/d, 10000*d)
		fmt.Fprintf(&old, "pkg: csp\nBenchmarkMutex/contended/impl=csp-2   \t 9164880\t %g ns/op\n", 200*d)
		fmt.Fprintf(&cur, "pkg: csp\nBenchmarkMutex/contended/impl=csp-2   \t 9164880\t %g ns/op\n", 190*d)
	}
	ps := pairs(samples(old.String()), samples(cur.String()))
	got := map[string]pair{}
	for _, p := range ps {
		got[p.Name+" "+p.Unit] = p
	}
	want := map[string]struct {
		ratio     float64
		slower, n int
	}{
		"H2O/runtime=goroutines/n=100000 ns/molecule":     {1.1, 6, 6},
		"H2O/runtime=goroutines/n=100000 cpu-ns/molecule": {1, 0, 0}, // equal in every round: no round counts
		"Echo/mode=goroutine/conns=50 lines/s":            {100000.0 / 120000, 0, 6},
		"Echo/mode=goroutine/conns=50 server-cpu-ns/line": {1, 0, 0},
		"Mutex/contended/impl=csp-2 ns/op":                {0.95, 0, 6},
	}
	if len(got) != len(want) {
		t.Fatalf("pairs: %+v, want %d of them", ps, len(want))
	}
	for k, w := range want {
		p, ok := got[k]
		if !ok || math.Abs(p.Ratio-w.ratio) > 1e-9 || p.Slower != w.slower || p.N != w.n {
			t.Errorf("%s: %+v, want ratio %v, slower in %d of %d", k, p, w.ratio, w.slower, w.n)
		}
	}
	slow := slowerPairs(ps, 0.05, 0.05)
	if len(slow) != 1 || slow[0].Name != "H2O/runtime=goroutines/n=100000" || slow[0].Unit != "ns/molecule" {
		t.Errorf("slowerPairs: %+v, want the H2O time alone", slow)
	}
	if got := slowerPairs(ps, 0.15, 0.05); len(got) != 0 {
		t.Errorf("slowerPairs at 15%%: %+v, want none", got)
	}
	v := verdict(nil, slow, 5, 0.05)
	if !strings.Contains(v, "SLOWER H2O/runtime=goroutines/n=100000 (ns/molecule): 1.100x in the median round, slower in 6 of 6 rounds (sign test p=0.031)") {
		t.Errorf("verdict:\n%s", v)
	}
	if table := pairTable(ps); !strings.Contains(table, "6 of 6") || strings.Count(table, "\n") != len(ps)+2 {
		t.Errorf("pairTable:\n%s", table)
	}
}

func TestSignTest(t *testing.T) {
	for _, tc := range []struct {
		k, n int
		want float64
	}{
		{6, 6, 2.0 / 64},
		{0, 6, 2.0 / 64},
		{5, 6, 14.0 / 64},
		{3, 6, 1},
		{9, 10, 22.0 / 1024},
		{4, 4, 0.125},
		{0, 0, 1},
	} {
		if got := signTest(tc.k, tc.n); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("signTest(%d, %d) = %v, want %v", tc.k, tc.n, got, tc.want)
		}
	}
}

func TestSamplesKeepsRoundOrder(t *testing.T) {
	s := samples("goos: linux\nBenchmarkX-2 \t 10\t 5 ns/op\t 64 B/op\nnot a result\nBenchmarkX-2 \t 10\t 7 ns/op\t 64 B/op\nBenchmarkBad 1 x ns/op\n")
	if got := s["X-2 ns/op"]; len(got) != 2 || got[0] != 5 || got[1] != 7 {
		t.Errorf("X-2 ns/op: %v, want [5 7]", got)
	}
	if got := s["X-2 B/op"]; len(got) != 2 {
		t.Errorf("X-2 B/op: %v, want two samples", got)
	}
	if len(s) != 2 {
		t.Errorf("samples: %v, want X's two units only", s)
	}
}

// report, with benchstat replaced by a command that prints the CSV of
// testdata/benchstat.csv: it keeps the raw results, prints both tests'
// verdicts, and with -fail returns errSlower.
func TestReportFailsWhenSlower(t *testing.T) {
	csv, err := filepath.Abs("testdata/benchstat.csv")
	if err != nil {
		t.Fatal(err)
	}
	var old, cur strings.Builder
	for _, d := range []float64{1, 3, 1.5, 2.5, 1.2, 2} {
		fmt.Fprintf(&old, "BenchmarkMutex/contended/impl=csp-2 \t 100\t %g ns/op\n", 200*d)
		fmt.Fprintf(&cur, "BenchmarkMutex/contended/impl=csp-2 \t 100\t %g ns/op\n", 240*d)
	}
	dir := t.TempDir()
	sides := [2]*side{{label: "abc1234"}, {label: "worktree"}}
	for _, fail := range []bool{false, true} {
		o := options{count: 6, threshold: 5, alpha: 0.05, fail: fail, out: dir,
			benchstat: []string{"sh", "-c", "cat " + csv, "benchstat"}}
		var stdout bytes.Buffer
		err := report(context.Background(), o, t.TempDir(), sides, [2]string{old.String(), cur.String()}, "the working tree (def5678)", &stdout)
		var slow errSlower
		if fail != errors.As(err, &slow) || (!fail && err != nil) {
			t.Errorf("-fail=%v: report returned %v", fail, err)
		}
		out := stdout.String()
		for _, s := range []string{
			"abc1234 against the working tree (def5678), 6 alternated rounds",
			"3 got more than 5% slower with p < 0.05:",
			"SLOWER Mutex/contended/impl=csp-2 (ns/op): 1.200x in the median round, slower in 6 of 6 rounds (sign test p=0.031)",
			"SLOWER H2O/runtime=goroutines/n=100000: 8000 -> 9500 ns/molecule",
		} {
			if !strings.Contains(out, s) {
				t.Errorf("-fail=%v: the report lacks %q:\n%s", fail, s, out)
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "worktree.txt")); err != nil || string(b) != cur.String() {
		t.Errorf("worktree.txt: %q, %v; want the working tree's results", b, err)
	}
}
