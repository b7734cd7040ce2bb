package tests

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestCtxswitchProgram(t *testing.T) {
	bin := build(t, "ctxswitch")
	chart := filepath.Join(t.TempDir(), "ctxswitch.png")
	out, stderr, code := runProgram(t, bin, "-quick", "-plot", chart)
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
	// The chart: two series (threads, goroutines) in two panels.
	checkPNG(t, chart)

	// A chart it could not write is refused before anything is measured.
	out, stderr, code = runProgram(t, bin, "-quick", "-plot", filepath.Join(t.TempDir(), "chart.bmp"))
	if code != 2 || out != "" || !strings.Contains(stderr, "unknown image format") {
		t.Errorf("-plot chart.bmp: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}
