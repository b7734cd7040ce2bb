package main

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRunCorrect(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-n", "30", "-seed", "7"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	if got := strings.Count(out.String(), "bond "); got != 90 {
		t.Errorf("%d bonds printed, want 90", got)
	}
	if !strings.Contains(out.String(), "molecule 30: ") || !strings.Contains(out.String(), "check: ok") {
		t.Errorf("output lacks the last molecule or the verdict:\n%s", out.String())
	}
}

func TestRunQuiet(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-n", "1000", "-quiet"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if lines := strings.Count(out.String(), "\n"); lines != 1 || !strings.Contains(out.String(), "molecules/s") {
		t.Fatalf("quiet output %q, want one throughput line", out.String())
	}
}

func TestRunFloor(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-n", "1000", "-floor"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	got := out.String()
	if strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "floor for 1000 molecules (3000 goroutines waiting on a gate) in ") || !strings.HasSuffix(got, " ns/molecule\n") {
		t.Fatalf("floor output %q, want one line with the time per molecule", got)
	}
}

func TestRunBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-n", "-3"}, {"-n", "0"}, {"-variant", "ozone"}, {"-n", "x"}, {"stray"}, {"-floor", "-variant", "no-wait"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 || errb.Len() == 0 {
			t.Errorf("run(%q) = %d, stderr %q; want 2 and a message", args, code, errb.String())
		}
	}
}
