package tests

import (
	"os/exec"
	"strings"
	"testing"
)

func TestMutexguardProgram(t *testing.T) {
	bin := build(t, "mutexguard")
	out, stderr, code := runProgram(t, bin, "-timeout", "300ms")
	if code != 0 {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	if n := strings.Count(out, "Verdict: as expected"); n != 3 {
		t.Errorf("%d of 3 steps behaved as expected:\n%s", n, out)
	}
	for _, want := range []string{
		"Step 1", "future cannot be sent", "deadlock", "syncAuditor", "[sync.Mutex.Lock",
		"Step 2", "context deadline exceeded",
		"Step 3", "balance 500 -> 400",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestMutexguardBadFlags(t *testing.T) {
	bin := build(t, "mutexguard")
	_, stderr, code := runProgram(t, bin, "-step", "9")
	if code != 2 || !strings.Contains(stderr, "-step must be") || strings.Contains(stderr, "goroutine") {
		t.Fatalf("-step 9: exit %d, stderr %q; want 2 and a one-line error", code, stderr)
	}
}

// The program tells its reader that go vet accepts step 1's code; hold it to
// that.
func TestMutexguardPassesVet(t *testing.T) {
	cmd := exec.Command("go", "vet", "./cmd/mutexguard")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet ./cmd/mutexguard: %v\n%s", err, out)
	}
}
