//go:build unix

package ulimit

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestLimitsMatchTheShell lowers both soft limits to values of its own and
// checks that OpenFiles and Processes read what `ulimit -n` and `ulimit -u`
// show in a shell started afterwards (which inherits the lowered limits).
func TestLimitsMatchTheShell(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("needs bash for ulimit -u")
	}
	nproc, ok := rlimitNproc()
	if !ok {
		t.Skip("RLIMIT_NPROC is not known on this system")
	}
	lower(t, syscall.RLIMIT_NOFILE)
	lower(t, nproc)
	out, err := exec.Command(bash, "-c", "ulimit -n; ulimit -u").Output()
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	shell := strings.Fields(string(out))
	if len(shell) != 2 {
		t.Fatalf("bash printed %q, want two limits", out)
	}
	for i, read := range []func() (uint64, error){OpenFiles, Processes} {
		got, err := read()
		if err != nil {
			t.Fatal(err)
		}
		if want := shell[i]; fmt.Sprint(got) != want {
			t.Errorf("%s: read %d, ulimit says %s", []string{"OpenFiles", "Processes"}[i], got, want)
		}
	}
}

// lower sets resource's soft limit one below the smaller of its current
// value and 1<<20 (still far above what the test uses), so that the value
// read back is one this test chose, and restores it when the test ends.
func lower(t *testing.T, resource int) {
	t.Helper()
	var l syscall.Rlimit
	if err := syscall.Getrlimit(resource, &l); err != nil {
		t.Fatal(err)
	}
	orig := l
	l.Cur = min(l.Cur, 1<<20) - 1 // in Cur's own type: int64 on FreeBSD
	if err := syscall.Setrlimit(resource, &l); err != nil {
		t.Fatalf("lowering limit %d to %d: %v", resource, l.Cur, err)
	}
	t.Cleanup(func() { syscall.Setrlimit(resource, &orig) })
}
