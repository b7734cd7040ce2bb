package procfs

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// MachineCPUTime reads the CPU time of the whole machine since it booted,
// and how many processors are online, from /proc/stat. The kernel counts
// the time there in clock ticks of its USER_HZ, 100 a second on every
// architecture Go runs Linux on, whatever the kernel's own tick rate;
// the C library's sysconf(_SC_CLK_TCK) reports it, from the AT_CLKTCK
// entry of the auxiliary vector, which is read here too. The figures are
// the machine's, so a difference of two readings counts every process
// that ran in between, the reader's own included.
func MachineCPUTime() (MachineCPU, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return MachineCPU{}, err
	}
	m, err := parseStat(b, time.Second/time.Duration(userHZ()))
	if err != nil {
		return MachineCPU{}, fmt.Errorf("/proc/stat: %w", err)
	}
	return m, nil
}

// userHZ is how many clock ticks a second the kernel counts the CPU time
// of /proc/stat and /proc/PID/stat in: AT_CLKTCK, or 100 where the
// auxiliary vector lacks it.
func userHZ() uintptr {
	const atClkTck = 17
	if auxv, err := unix.Auxv(); err == nil {
		for _, kv := range auxv {
			if kv[0] == atClkTck && kv[1] > 0 {
				return kv[1]
			}
		}
	}
	return 100
}
