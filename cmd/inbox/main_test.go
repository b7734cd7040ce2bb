package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain doubles as the measuring child when the program re-executes
// this test binary.
func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		if err := child(spec, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

func skipWithoutReactor(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the state machine and the callbacks run on the reactor, which needs Linux")
	}
}

func TestTrace(t *testing.T) {
	skipWithoutReactor(t)
	var out, errb bytes.Buffer
	if code := run([]string{"-trace"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	// The lines that must appear, in this order.
	want := []string{
		"executor  spawn task 1",
		"executor  worker polls task 1 (state New)",
		"task 1    New → LoadingMsg",
		"task 1    load_message sent",
		"task 1    Poll returns Pending (waiting in LoadingMsg)",
		"reactor   timer expired: load_message done → wake task 1",
		"executor  worker polls task 1 (state LoadingMsg)",
		"task 1    LoadingMsg → GettingUser",
		"task 1    get_user: cache hit, ready at once (no Pending)",
		"task 1    GettingUser → AddingInbox",
		"task 1    Poll returns Pending (waiting in AddingInbox)",
		"reactor   timer expired: add_to_inbox done → wake task 1",
		"task 1    AddingInbox → Done",
		"task 1    Poll returns Ready(ok)",
		"main      Join(task 1) returns ok",
		"task 2    get_user sent",
		"reactor   timer expired: get_user done → wake task 2",
		"task 2    GettingUser → Done",
		"task 2    Poll returns Ready(error: inbox: inbox full: user 2)",
		"main      Join(task 2) returns error: inbox: inbox full",
	}
	sc := bufio.NewScanner(&out)
	i := 0
	for sc.Scan() && i < len(want) {
		if strings.Contains(sc.Text(), want[i]) {
			i++
		}
	}
	if i < len(want) {
		t.Fatalf("trace lacks %q (or has it out of order):\n%s", want[i], out.String())
	}
}

func TestSmallRunJSON(t *testing.T) {
	skipWithoutReactor(t)
	var out, errb bytes.Buffer
	if code := run([]string{"-n", "2000", "-latency", "1ms", "-json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	dec := json.NewDecoder(&out)
	var got []string
	for dec.More() {
		var r row
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Style)
		if r.Ops != 2000 || r.NsPerOp <= 0 || r.BytesPerOp <= 0 || r.PeakGoroutines < 1 || r.Failures != 0 {
			t.Errorf("implausible row %+v", r)
		}
		if r.Style == "statemachine" && (r.AllocsPerOp < 1 || r.AllocsPerOp > 1.1) {
			t.Errorf("state machine: %.3f allocations per operation, want about 1", r.AllocsPerOp)
		}
		if r.Style == "goroutine" && r.PeakGoroutines < 100 {
			t.Errorf("goroutine style peaked at %d goroutines for 2000 operations", r.PeakGoroutines)
		}
	}
	if strings.Join(got, ",") != "goroutine,statemachine,callback" {
		t.Fatalf("styles %v", got)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-n", "zero"}, {"-n", "3"}, {"-style", "threads"}, {"-latency", "-1s"}, {"-bogus"}, {"extra"},
	} {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
		if code != 2 || len(lines) != 1 || !strings.HasPrefix(lines[0], "inbox: ") || out.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line on stderr", args, code, out.String(), errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"-h"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "usage: inbox") {
		t.Errorf("-h: exit %d, %q", code, out.String())
	}
}
