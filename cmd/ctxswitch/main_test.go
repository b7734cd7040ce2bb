package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain doubles as the memory child when the program re-executes this
// test binary for a memory measurement.
func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		if err := memoryChild(spec, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

func TestQuickRun(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-quick", "-json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
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

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-tasks", "3"}, {"-iters", "0"}, {"extra"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 || errb.Len() == 0 {
			t.Errorf("run(%q) = %d, %q; want 2 and a message", args, code, errb.String())
		}
	}
}

func TestLimitsSayWhatToRaise(t *testing.T) {
	_, err := checkLimits(10_000_000)
	if err == nil || !strings.Contains(err.Error(), "raise") {
		t.Fatalf("checkLimits(10M) = %v, want an error saying what to raise", err)
	}
}
