package tests

import (
	"strings"
	"testing"
)

func TestCtxswitchProgram(t *testing.T) {
	bin := build(t, "ctxswitch")
	out, stderr, code := runProgram(t, bin, "-quick")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	for _, row := range []string{
		"| creation, per task", "| creation, spawn to first instruction",
		"| context switch, channel", "| context switch, socketpair",
		"| memory per task, resident", "OS threads (counted in /proc/self/task)", "Jim Blandy",
	} {
		if !strings.Contains(out, row) {
			t.Errorf("output lacks %q", row)
		}
	}
}
