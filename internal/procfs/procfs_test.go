package procfs

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	becomeBurner()
	becomeSpinner()
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
}

func TestRSSKiB(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the resident set is read from /proc")
	}
	own, err := RSSKiB(Self)
	if err != nil || own <= 0 {
		t.Fatalf("RSSKiB(Self) = %v, %v; want a positive size", own, err)
	}
	if byPID, err := RSSKiB(os.Getpid()); err != nil || byPID <= 0 {
		t.Fatalf("RSSKiB(own pid) = %v, %v; want a positive size", byPID, err)
	}
	if _, err := RSSKiB(-1); err == nil {
		t.Fatal("RSSKiB of a process that cannot exist gave no error")
	}
}

func TestSlope(t *testing.T) {
	x := []float64{0, 100, 200, 300}
	y := []float64{5000, 5000 + 2.5*100 + 40, 5000 + 2.5*200 - 40, 5000 + 2.5*300}
	if got := Slope(x, y); math.Abs(got-2.5) > 0.5 {
		t.Fatalf("Slope = %v, want about 2.5", got)
	}
	if got := Slope([]float64{0, 1, 2}, []float64{7, 7, 7}); got != 0 {
		t.Fatalf("Slope of a flat line = %v", got)
	}
	if got := Slope([]float64{3, 3}, []float64{1, 2}); !math.IsNaN(got) {
		t.Fatalf("Slope with one x = %v, want NaN", got)
	}
}

func TestCPUModel(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cpuinfo")
	cpuinfo := "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n"
	if err := os.WriteFile(path, []byte(cpuinfo), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := cpuModel(path); got != "AMD EPYC 7B13" {
		t.Errorf("cpuModel = %q, want the first model name line's value", got)
	}
	if err := os.WriteFile(path, []byte("processor\t: 0\nHardware\t: BCM2835\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := cpuModel(path); got != "" {
		t.Errorf("cpuModel of a cpuinfo without a model name = %q, want \"\"", got)
	}
	if got := cpuModel(filepath.Join(dir, "missing")); got != "" {
		t.Errorf("cpuModel of a missing file = %q, want \"\"", got)
	}
}
