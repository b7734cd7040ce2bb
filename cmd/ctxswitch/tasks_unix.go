//go:build unix

package main

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// socketLink makes one brigade link, a socketpair: out is the end written,
// in the end read. Thread tasks get the raw descriptors, used with blocking
// system calls; goroutines get net.Conns served by the runtime's netpoller.
func socketLink(thread bool) (out, in linkEnd, err error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return nil, nil, err
	}
	if thread {
		return blockingFD(fds[0]), blockingFD(fds[1]), nil
	}
	var ends [2]linkEnd
	for j, fd := range fds {
		f := os.NewFile(uintptr(fd), "link")
		c, err := net.FileConn(f) // dups fd into the netpoller
		f.Close()
		if err != nil {
			if j == 0 {
				syscall.Close(fds[1])
			} else {
				ends[0].Close()
			}
			return nil, nil, err
		}
		ends[j] = c
	}
	return ends[0], ends[1], nil
}

// blockingFD is a raw file descriptor used with blocking system calls.
type blockingFD int

func (fd blockingFD) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), p)
		if err == syscall.EINTR {
			continue
		}
		if err == nil && n == 0 {
			return 0, fmt.Errorf("EOF")
		}
		return n, err
	}
}

func (fd blockingFD) Write(p []byte) (int, error) {
	for {
		n, err := syscall.Write(int(fd), p)
		if err == syscall.EINTR {
			continue
		}
		return n, err
	}
}

func (fd blockingFD) Close() error { return syscall.Close(int(fd)) }
