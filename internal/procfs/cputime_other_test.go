//go:build !linux

package procfs

import (
	"errors"
	"testing"
)

func becomeBurner() {}

func TestCPUTimeNeedsLinux(t *testing.T) {
	if _, err := CPUTime(Self); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("CPUTime = %v; want errors.ErrUnsupported", err)
	}
}
