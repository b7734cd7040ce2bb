//go:build !linux

package procfs

import (
	"errors"
	"testing"
)

func TestMachineCPUTimeNeedsLinux(t *testing.T) {
	if m, err := MachineCPUTime(); !errors.Is(err, errors.ErrUnsupported) || m != (MachineCPU{}) {
		t.Fatalf("MachineCPUTime = %+v, %v; want errors.ErrUnsupported", m, err)
	}
}
