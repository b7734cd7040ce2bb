//go:build windows

package echo

import (
	"os"
	"syscall"
	"time"
	"unsafe"
)

// rawReadFunc returns nil: on Windows readRaw does not read through
// RawConn.Read.
func (ss *session) rawReadFunc() func(fd uintptr) bool { return nil }

// readRaw, on Windows, is a blocking read into the framer's buffer through
// net.Conn, so an idle connection keeps its read buffer (readSize bytes)
// while it waits. The Unix path (conn_unix.go) reads a non-blocking
// descriptor, gives the buffer back when the read says EAGAIN and waits for
// readability holding none; a Windows socket is a handle driven by
// overlapped I/O, with no such read.
func (ss *session) readRaw() (int, error) {
	return ss.c.nc.Read(ss.f.space())
}

// fionread is FIONREAD (_IOR('f', 127, u_long)): how many bytes are waiting
// to be read.
const fionread = 0x4004667f

// readArrived reads what has arrived, without waiting: errNothingArrived if
// nothing has. It asks the socket how many bytes are waiting (FIONREAD,
// through RawConn.Control, which neither waits nor minds the read
// deadline); only if some are does it read them through net.Conn, with the
// read deadline cleared (the shutdown has just moved it to now), which
// returns at once. A connection that is not a socket is taken to hold
// nothing unread: a net.Pipe write completes only when the reader has taken
// it.
func (ss *session) readArrived() (int, error) {
	if ss.raw == nil {
		return 0, errNothingArrived
	}
	var waiting uint32
	var ioctlErr error
	err := ss.raw.Control(func(fd uintptr) {
		var returned uint32
		ioctlErr = syscall.WSAIoctl(syscall.Handle(fd), fionread, nil, 0,
			(*byte)(unsafe.Pointer(&waiting)), uint32(unsafe.Sizeof(waiting)), &returned, nil, 0)
	})
	switch {
	case err != nil:
		return 0, err
	case ioctlErr != nil:
		return 0, os.NewSyscallError("WSAIoctl", ioctlErr)
	case waiting == 0:
		return 0, errNothingArrived
	}
	ss.c.nc.SetReadDeadline(time.Time{})
	ss.readSet = 0 // prepare sets the next deadline anew
	return ss.c.nc.Read(ss.f.space())
}
