package main

import (
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
)

// pkgPrefix is this package's symbol prefix ("main." in the program),
// found at run time so the trimming also works in a test binary.
var pkgPrefix = func() string {
	name := runtime.FuncForPC(reflect.ValueOf(syncTransfer).Pointer()).Name()
	return name[:strings.LastIndex(name, ".")+1]
}()

// stuckGoroutines returns the goroutines of step 1 from a dump of all
// goroutines, each trimmed to its wait reason and the frames that matter:
// this program's step-1 functions and the sync.Mutex it waits in.
func stuckGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out strings.Builder
	for _, block := range strings.Split(string(buf), "\n\n") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if len(lines) < 3 || !strings.Contains(block, pkgPrefix+"sync") {
			continue
		}
		fmt.Fprintf(&out, "  %s\n", lines[0]) // goroutine N [wait reason, duration]:
		for i := 1; i+1 < len(lines); i += 2 {
			fn := lines[i]
			if j := strings.LastIndex(fn, "("); j > 0 {
				fn = fn[:j] // drop the argument words
			}
			relevant := strings.HasPrefix(fn, pkgPrefix+"sync") || strings.HasPrefix(fn, "sync.(*Mutex)")
			if !relevant {
				continue
			}
			loc := strings.TrimSpace(lines[i+1])
			if j := strings.LastIndex(loc, " +0x"); j > 0 {
				loc = loc[:j]
			}
			fmt.Fprintf(&out, "      %-34s %s\n", strings.TrimPrefix(fn, pkgPrefix), filepath.Base(loc))
		}
	}
	return out.String()
}

// dumpShowsDeadlock reports whether a trimmed dump shows both sides of the
// deadlock: the transfer waiting on a channel and the auditor waiting for
// the mutex.
func dumpShowsDeadlock(dump string) bool {
	var transfer, auditor bool
	for _, g := range strings.Split(dump, "  goroutine ")[1:] {
		switch {
		case strings.Contains(g, "[chan receive") && strings.Contains(g, "syncTransfer"):
			transfer = true
		case strings.Contains(g, "[sync.Mutex.Lock") && strings.Contains(g, "syncAuditor"):
			auditor = true
		}
	}
	return transfer && auditor
}
