package tests

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestCtxswitchProgram(t *testing.T) {
	bin := build(t, "ctxswitch")
	dir := filepath.Join(t.TempDir(), "figures")
	out, stderr, code := runProgram(t, bin, "-quick", "-plot", dir)
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
	// The chart, ctxswitch.png in -plot's directory, and a line saying so;
	// stderr is no terminal, so no progress bar.
	chart := filepath.Join(dir, "ctxswitch.png")
	checkPNG(t, chart)
	if stderr != "ctxswitch: wrote "+chart+"\n" {
		t.Errorf("stderr %q, want only the line naming the chart", stderr)
	}

	// A chart it could not write, and flags that would do nothing, are
	// refused before anything is measured.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-quick", "-plot", dir, "-plot-format", "bmp"}, `-plot-format "bmp": want png or svg`},
		{[]string{"-quick", "-tasks", "50"}, "-quick and -tasks do not go together"},
		{[]string{"-quick", "-iters", "5"}, "-quick and -iters do not go together"},
	} {
		out, stderr, code := runProgram(t, bin, tc.args...)
		if code != 2 || out != "" || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and one line saying %q", tc.args, code, out, stderr, tc.want)
		}
	}
}
