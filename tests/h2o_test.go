package tests

import (
	"strings"
	"testing"
)

func TestH2OProgram(t *testing.T) {
	bin := build(t, "h2o")

	out, stderr, code := runProgram(t, bin, "-n", "200")
	if code != 0 || !strings.Contains(out, "check: ok: 200 molecules") {
		t.Fatalf("correct variant: exit %d\n%s%s", code, out, stderr)
	}

	// With 1,000 molecules spawned in a shuffled order, a buggy factory
	// shows its bug; the deterministic proof is in package h2o's tests.
	for _, variant := range []string{"no-wait", "premature-release"} {
		out, stderr, code := runProgram(t, bin, "-n", "1000", "-variant", variant)
		if code != 1 || !strings.Contains(out, "check: FAILED: h2o: molecule ") {
			t.Errorf("%s: exit %d, want 1 with the checker's report\n%s%s", variant, code, lastLines(out, 3), stderr)
		}
	}

	out, _, code = runProgram(t, bin, "-n", "20000", "-quiet")
	if code != 0 || !strings.Contains(out, "20000 molecules in ") || strings.Contains(out, "bond") {
		t.Errorf("-quiet: exit %d, output %q", code, out)
	}

	// The factory as tasks: the same molecules, the same checker, the
	// same output.
	out, stderr, code = runProgram(t, bin, "-runtime", "tasks", "-n", "10")
	if code != 0 || strings.Count(out, "\nmolecule ") != 10 || !strings.Contains(out, "check: ok: 10 molecules") {
		t.Fatalf("-runtime tasks: exit %d\n%s%s", code, out, stderr)
	}
	for _, variant := range []string{"no-wait", "premature-release"} {
		out, stderr, code := runProgram(t, bin, "-runtime", "tasks", "-n", "1000", "-variant", variant)
		if code != 1 || !strings.Contains(out, "check: FAILED: h2o: molecule ") {
			t.Errorf("tasks, %s: exit %d, want 1 with the checker's report\n%s%s", variant, code, lastLines(out, 3), stderr)
		}
	}
	out, _, code = runProgram(t, bin, "-runtime", "tasks", "-n", "20000", "-quiet")
	if code != 0 || !strings.Contains(out, "20000 molecules in ") || strings.Contains(out, "bond") {
		t.Errorf("-runtime tasks -quiet: exit %d, output %q", code, out)
	}

	for _, args := range [][]string{{"-n", "-1"}, {"-variant", "heavy-water"}, {"-runtime", "fibers"}, {"-floor", "-runtime", "tasks"}, {"-floor", "-variant", "no-wait"}, {"-memory", "-runtime", "tasks", "-workers", "1"}} {
		_, stderr, code := runProgram(t, bin, args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "h2o: ") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and one line", args, code, stderr)
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
