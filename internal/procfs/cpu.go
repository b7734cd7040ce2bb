package procfs

import (
	"os"
	"strings"
)

// CPUModel is the processor's model name, as the first "model name" line
// of /proc/cpuinfo gives it, or "" where there is no such line (another
// system, or an architecture whose cpuinfo names no model).
func CPUModel() string {
	return cpuModel("/proc/cpuinfo")
}

func cpuModel(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(b)) {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return ""
}
