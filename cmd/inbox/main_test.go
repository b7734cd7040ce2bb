package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/chansync/chansync/cmd/internal/exectrace"
)

// TestMain doubles as the measuring child when the program re-executes
// this test binary.
func TestMain(m *testing.M) {
	measuringChild.Become()
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
	// The lines that must appear, in this order. A poll's "Poll returns
	// Pending" is not among them: on a loaded machine the timer the poll
	// armed may fire, and the reactor report it, before the poll returns.
	want := []string{
		"executor  spawn task 1",
		"executor  worker polls task 1 (state New)",
		"task 1    New → LoadingMsg",
		"task 1    load_message sent",
		"reactor   timer expired: load_message done → wake task 1",
		"executor  worker polls task 1 (state LoadingMsg)",
		"task 1    LoadingMsg → GettingUser",
		"task 1    get_user: cache hit, ready at once (no Pending)",
		"task 1    GettingUser → AddingInbox",
		"reactor   timer expired: add_to_inbox done → wake task 1",
		"task 1    AddingInbox → Done",
		"task 1    Poll returns Ready(ok)",
		"main      Join(task 1) returns ok",
		"task 2    get_user sent",
		"reactor   timer expired: get_user done → wake task 2",
		"task 2    GettingUser → Done",
		"task 2    Poll returns Ready(error: inbox: inbox full: user 2)",
		"main      Join(task 2) returns error: inbox: inbox full",
		"id  state  polls  wakes  self  wakers",
		`1   done   3      2      `,
		`2   done   3      2      `,
		"lints: none of 2 tasks",
	}
	sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
	i := 0
	for sc.Scan() && i < len(want) {
		if strings.Contains(sc.Text(), want[i]) {
			i++
		}
	}
	if i < len(want) {
		t.Fatalf("trace lacks %q (or has it out of order):\n%s", want[i], out.String())
	}
	for _, pending := range []string{
		"task 1    Poll returns Pending (waiting in LoadingMsg)",
		"task 1    Poll returns Pending (waiting in AddingInbox)",
		"task 2    Poll returns Pending (waiting in LoadingMsg)",
		"task 2    Poll returns Pending (waiting in GettingUser)",
	} {
		if strings.Count(out.String(), pending) != 1 {
			t.Errorf("trace has %d lines %q, want 1:\n%s", strings.Count(out.String(), pending), pending, out.String())
		}
	}
}

// TestExecTrace: -exectrace writes a trace that go tool trace parses, in
// which each operation is a task, each poll a region, each wake a log
// message.
func TestExecTrace(t *testing.T) {
	skipWithoutReactor(t)
	path := filepath.Join(t.TempDir(), "inbox.trace")
	var out, errb bytes.Buffer
	if code := run([]string{"-trace", "-exectrace", path}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if err := exectrace.Check(path, `AddToInbox("msg-1", user 1)`, `AddToInbox("msg-2", user 2)`); err != nil {
		t.Fatal(err)
	}
	parsed, err := exectrace.Parsed(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`TaskBegin`, `Type="AddToInbox(\"msg-1\", user 1)"`, `TaskEnd`,
		`RegionBegin`, `Type="poll"`, `Category="wake" Message="by another goroutine"`,
	} {
		if !strings.Contains(parsed, want) {
			t.Errorf("go tool trace -d=parsed shows no %s", want)
		}
	}
	if regions := strings.Count(parsed, "RegionBegin"); regions < 6 {
		t.Errorf("%d poll regions, want the 6 polls of the two operations", regions)
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

// Bad values, and flags that do nothing in their company, fail at once in
// one line naming the problem.
func TestBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "zero"}, `invalid value "zero" for flag -n`},
		{[]string{"-n", "3"}, "-n must be at least 8"},
		{[]string{"-style", "threads"}, `unknown style "threads"`},
		{[]string{"-latency", "-1s"}, "-latency must not be negative"},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-trace", "-json"}, "-trace and -json do not go together: -trace follows two operations and measures nothing"},
		{[]string{"-trace", "-n", "5"}, "-trace and -n do not go together"},
		{[]string{"-trace", "-style", "goroutine"}, "-trace and -style do not go together"},
		{[]string{"-trace", "-latency", "1ms"}, "-trace and -latency do not go together"},
		{[]string{"-trace", "-report", filepath.Join(dir, "r.md")}, "-trace and -report do not go together"},
		{[]string{"-json", "-report", filepath.Join(dir, "r.md")}, "-json and -report do not go together"},
		{[]string{"-report", dir}, "-report: " + dir + " is a directory"},
		{[]string{"-exectrace", filepath.Join(dir, "t.trace")}, "-exectrace needs -trace"},
		{[]string{"-trace", "-exectrace", filepath.Join(dir, "no", "t.trace")}, "-exectrace: open"},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		msg := errb.String()
		if code != 2 || out.Len() != 0 || !strings.HasPrefix(msg, "inbox: ") || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, tc.want) {
			t.Errorf("run(%q) = %d, stdout %q, stderr %q; want 2, nothing, one line saying %q", tc.args, code, out.String(), msg, tc.want)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, h := range []string{"-h", "-help"} {
		var out, errb bytes.Buffer
		code := run([]string{h}, &out, &errb)
		first, _, _ := strings.Cut(out.String(), "\n")
		if code != 0 || errb.Len() != 0 || !strings.HasPrefix(first, "inbox runs the tutorial's AddToInbox three ways") {
			t.Errorf("%s: exit %d, stderr %q, first line %q", h, code, errb.String(), first)
		}
		// Every flag has its line of help: the flag package prints a flag
		// as "  -name [type]" and its usage string on the next line.
		help := map[string]string{}
		lines := strings.Split(out.String(), "\n")
		for i, line := range lines[:len(lines)-1] {
			if name, ok := strings.CutPrefix(line, "  -"); ok {
				name, _, _ = strings.Cut(name, " ")
				help[name] = strings.TrimSpace(lines[i+1])
			}
		}
		for _, flag := range []string{"trace", "n", "latency", "style", "json", "report"} {
			if len(help[flag]) < 10 {
				t.Errorf("%s: -%s has no help (%q):\n%s", h, flag, help[flag], out.String())
			}
		}
	}
}

// -report writes the table under its header, and says where it wrote.
func TestReport(t *testing.T) {
	skipWithoutReactor(t)
	rep := filepath.Join(t.TempDir(), "inbox.md")
	var out, errb bytes.Buffer
	args := []string{"-n", "400", "-latency", "1ms", "-style", "statemachine", "-report", rep}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if errb.String() != "inbox: wrote "+rep+"\n" {
		t.Errorf("stderr %q, want the path written", errb.String())
	}
	b, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# inbox: ", "- Machine: ", "- Go: go1.", "- Command: `inbox " + strings.Join(args, " ") + "`", "| statemachine | "} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %q:\n%s", want, b)
		}
	}
	if !strings.HasSuffix(string(b), out.String()) {
		t.Errorf("report:\n%s\ndoes not end with the table printed:\n%s", b, out.String())
	}
}
