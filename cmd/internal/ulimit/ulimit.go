// Package ulimit reads the per-process limits that chansync's programs
// check before they open many sockets or start many threads: the soft
// limits shown by `ulimit -n` (open files) and `ulimit -u` (processes and
// threads).
//
// Each limit is a uint64 whatever the system's own type for it (int64 on
// FreeBSD, uint64 on Linux and macOS), and "unlimited" reads as a number
// larger than any need, so that a check is one comparison. Windows has no
// per-process limit of either kind: there both read as math.MaxUint64 and
// every check passes.
package ulimit
