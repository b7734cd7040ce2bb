//go:build windows

package ulimit

import "math"

// OpenFiles returns math.MaxUint64: Windows has no per-process limit on
// open handles to check (its limits are system-wide or per-resource), so a
// check against it always passes.
func OpenFiles() (uint64, error) { return math.MaxUint64, nil }

// Processes returns math.MaxUint64: Windows has no per-user limit on
// processes and threads like ulimit -u.
func Processes() (uint64, error) { return math.MaxUint64, nil }
