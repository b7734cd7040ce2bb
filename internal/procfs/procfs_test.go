package procfs

import (
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestKiB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status")
	os.WriteFile(path, []byte("Name:\tx\nVmPeak:\t  9000 kB\nVmRSS:\t  1234 kB\n"), 0o644)
	if v, err := KiB(path, "VmRSS:"); err != nil || v != 1234 {
		t.Fatalf("KiB(VmRSS) = %v, %v; want 1234", v, err)
	}
	if _, err := KiB(path, "VmSwap:"); err == nil {
		t.Fatal("a missing line gave no error")
	}
	if v, err := KiB("/proc/self/status", "VmRSS:"); err != nil || v <= 0 {
		t.Fatalf("own VmRSS = %v, %v", v, err)
	}
}
