//go:build windows

package main

import (
	"errors"
	"runtime"
)

// socketLink refuses: the socket brigade is built on Unix socketpairs and
// blocking read and write system calls on raw descriptors, which Windows
// does not have in that form. (ctxswitch also counts threads and reads
// memory through /proc, so it measures on Linux only.)
func socketLink(bool) (out, in linkEnd, err error) {
	return nil, nil, errors.New("socket links need Unix socketpairs; this is " + runtime.GOOS)
}
