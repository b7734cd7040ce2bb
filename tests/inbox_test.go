package tests

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

func TestInboxProgram(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("cmd/inbox runs the state machine and the callbacks on the epoll reactor, which needs Linux")
	}
	bin := build(t, "inbox")

	out, stderr, code := runProgram(t, bin, "-trace")
	if code != 0 {
		t.Fatalf("-trace: exit %d\n%s%s", code, out, stderr)
	}
	for _, line := range []string{
		"executor  spawn task 1",
		"task 1    New → LoadingMsg",
		"task 1    Poll returns Pending (waiting in LoadingMsg)",
		"reactor   timer expired: load_message done → wake task 1",
		"task 1    get_user: cache hit, ready at once (no Pending)",
		"task 1    Poll returns Ready(ok)",
		"task 2    Poll returns Ready(error: inbox: inbox full: user 2)",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("-trace output lacks %q", line)
		}
	}

	out, stderr, code = runProgram(t, bin, "-n", "1000", "-latency", "1ms", "-json")
	if code != 0 {
		t.Fatalf("-n 1000 -json: exit %d\n%s%s", code, out, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("-json printed %d lines, want one per style:\n%s", len(lines), out)
	}
	for i, style := range []string{"goroutine", "statemachine", "callback"} {
		var row map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &row); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, lines[i])
		}
		if row["style"] != style || row["ops"] != 1000.0 {
			t.Errorf("line %d: style %v, ops %v; want %s, 1000", i+1, row["style"], row["ops"], style)
		}
		for _, field := range []string{"bytes_per_op", "allocs_per_op", "ns_per_op", "peak_goroutines"} {
			if v, ok := row[field].(float64); !ok || v <= 0 {
				t.Errorf("%s: %s = %v, want a positive number", style, field, row[field])
			}
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-style", "fibers"}, `unknown style "fibers"`},
		{[]string{"-trace", "-json"}, "-trace and -json do not go together"},
		{[]string{"-trace", "-n", "5"}, "-trace and -n do not go together"},
	} {
		out, stderr, code := runProgram(t, bin, tc.args...)
		if code != 2 || out != "" || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "inbox: ") || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and one line saying %q", tc.args, code, out, stderr, tc.want)
		}
	}
}
