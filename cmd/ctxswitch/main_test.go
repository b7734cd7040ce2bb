package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"gonum.org/v1/plot/vg"

	"github.com/chansync/chansync/cmd/internal/figure/figuretest"
	"github.com/chansync/chansync/cmd/internal/progress"
	"github.com/chansync/chansync/cmd/internal/testutil"
)

// TestMain doubles as the memory child when the program re-executes this
// test binary for a memory measurement.
func TestMain(m *testing.M) {
	memoryChild.Become()
	goleak.VerifyTestMain(m)
}

func TestQuickRun(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-quick", "-json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if errb.Len() != 0 {
		t.Errorf("a -json run wrote on stderr: %q", errb.String())
	}
	var res results
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	want := []string{
		"memory per task, resident (RSS slope)",
		"memory per thread, kernel stack (system-wide)",
		"creation, per task (spawn until all running)",
		"creation, spawn to first instruction",
		"context switch, channel",
		"context switch, socketpair",
	}
	if len(res.Rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(res.Rows), len(want), res.Rows)
	}
	for i, r := range res.Rows {
		if r.Metric != want[i] {
			t.Errorf("row %d is %q, want %q", i, r.Metric, want[i])
		}
		// Time rows must be positive on both sides; memory per goroutine
		// is positive too, since each holds a stack. The kernel stack row
		// is system-wide and may be disturbed by other processes, so only
		// the resident row is held to a sign.
		if r.Metric == want[1] {
			continue
		}
		if r.Threads.Mean <= 0 || r.Goroutines == nil || r.Goroutines.Mean <= 0 {
			t.Errorf("%s: threads %v, goroutines %v; want both positive", r.Metric, r.Threads, r.Goroutines)
		}
	}
	if res.ThreadsAlive <= res.Tasks {
		t.Errorf("thread side ran %d tasks on %d OS threads, want more threads than tasks", res.Tasks, res.ThreadsAlive)
	}
}

func TestTableOutput(t *testing.T) {
	var out bytes.Buffer
	res := &results{Date: "2026-01-01", GoVersion: "go1.26", CPUs: 2, GOMAXPROCS: 2, Tasks: 10, Iters: 1,
		Rows:         []row{{Metric: "context switch, channel", Unit: "µs", Threads: stat{2, 0.1}, Goroutines: &stat{0.2, 0.01}, Improvement: 10}},
		ThreadsAlive: 12}
	printTable(&out, res)
	for _, s := range []string{"| context switch, channel | 2.00 ± 0.10 µs | 0.20 ± 0.01 µs | 10.0x", "Jim Blandy", "not this machine"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, out.String())
		}
	}
}

// The progress bar counts every run measure makes, and ends full.
func TestProgressCountsEveryRun(t *testing.T) {
	opt := options{tasks: 10, iters: 1}
	errb := testutil.NewBuffer()
	meter := progress.Start(errb, int64(measureRuns(opt)), "runs", 0)
	_, err := measure(opt, meter)
	meter.Finish()
	if err != nil {
		t.Fatal(err)
	}
	total := measureRuns(opt)
	if want := fmt.Sprintf("(%d/%d, ", total, total); !strings.Contains(errb.String(), want) || !strings.Contains(errb.String(), "100%") {
		t.Errorf("the bar never reached %s:\n%q", want, errb.String())
	}
	if !strings.Contains(errb.String(), "context switch, socketpair, goroutines") {
		t.Errorf("the bar does not say what runs:\n%q", errb.String())
	}
}

func TestHelp(t *testing.T) {
	for _, h := range []string{"-h", "-help", "--help"} {
		var out, errb bytes.Buffer
		code := run([]string{h}, &out, &errb)
		first, _, _ := strings.Cut(out.String(), "\n")
		if code != 0 || errb.Len() != 0 || !strings.HasPrefix(first, "ctxswitch measures ") {
			t.Errorf("%s: exit %d, stderr %q, first line %q; want 0, nothing, what the program does", h, code, errb.String(), first)
		}
		for _, flag := range []string{"-tasks", "-iters", "-quick", "-json", "-quiet", "-plot", "-plot-format", "-report"} {
			if !strings.Contains(out.String(), "\n  "+flag+" ") && !strings.Contains(out.String(), "\n  "+flag+"\n") {
				t.Errorf("%s does not list %s:\n%s", h, flag, out.String())
			}
		}
	}
}

// Bad values, and flags that would do nothing, fail at once in one line,
// before anything is measured.
func TestBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-tasks", "3"}, "need -tasks of at least 10"},
		{[]string{"-iters", "0"}, "need -tasks of at least 10 and -iters of at least 1"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"-quick", "-tasks", "50"}, "-quick and -tasks do not go together"},
		{[]string{"-quick", "-iters", "5"}, "-quick and -iters do not go together"},
		{[]string{"-json", "-report", filepath.Join(dir, "r.md")}, "-json and -report do not go together"},
		{[]string{"-json", "-quiet"}, "-json and -quiet do not go together"},
		{[]string{"-plot-format", "svg"}, "-plot-format needs -plot: it sets the format of -plot's figure"},
		{[]string{"-plot", dir, "-plot-format", "gif"}, `-plot-format "gif": want png or svg`},
		{[]string{"-report", dir}, "is a directory"},
		{[]string{"-report", filepath.Join(dir, "missing", "r.md")}, "-report: cannot write in"},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		msg := errb.String()
		if code != 2 || out.Len() != 0 || !strings.HasPrefix(msg, "ctxswitch: ") || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, tc.want) {
			t.Errorf("run(%q) = %d, stdout %q, stderr %q; want 2, nothing, one line saying %q", tc.args, code, out.String(), msg, tc.want)
		}
	}
}

// -plot draws ctxswitch.png (or .svg) in its directory, -report writes the
// table under its header, and each says where it wrote.
func TestRunWritesPlotAndReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	rep := filepath.Join(t.TempDir(), "ctxswitch.md")
	var out, errb bytes.Buffer
	args := []string{"-tasks", "10", "-iters", "1", "-plot", dir, "-plot-format", "svg", "-report", rep}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	chart := filepath.Join(dir, "ctxswitch.svg")
	if err := figuretest.Check(chart, 10.2*vg.Inch, 4.6*vg.Inch, 2); err != nil {
		t.Error(err)
	}
	if want := "ctxswitch: wrote " + rep + "\nctxswitch: wrote " + chart + "\n"; errb.String() != want {
		t.Errorf("stderr %q, want %q", errb.String(), want)
	}
	b, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	header, body, _ := strings.Cut(string(b), "\n\nThreads versus goroutines")
	if !strings.HasSuffix(out.String(), body) || !strings.Contains(header, "- Command: `ctxswitch "+strings.Join(args, " ")+"`") {
		t.Errorf("report:\n%s\nwant the header and then the table printed:\n%s", b, out.String())
	}
}

func TestLimitsSayWhatToRaise(t *testing.T) {
	_, err := checkLimits(10_000_000)
	if err == nil || !strings.Contains(err.Error(), "raise") {
		t.Fatalf("checkLimits(10M) = %v, want an error saying what to raise", err)
	}
}
