//go:build linux

package async

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// poller is the reactor's system interface: an epoll instance and the
// eventfd that kicks it awake.
//
// The reactor's goroutine does not sleep in epoll_wait itself. A goroutine
// in a blocking system call holds its processor (P) until the runtime's
// monitor takes it back, up to milliseconds later, and the tasks it has
// just woken wait on that P meanwhile: with two processors, every wake-up
// would cross threads. An epoll instance is itself a pollable descriptor
// (readable while it has events), so the poller hands it to Go's own
// netpoller and parks the goroutine there, with a deadline for the next
// timer, as a goroutine waiting on a socket parks. epoll_wait is only ever
// called without waiting.
//
// The calls that cannot block (epoll_wait without waiting, the eventfd's
// read and write) are raw system calls, made without telling the runtime:
// a call the runtime knows of costs more on the way in and out, and one
// that lasts a few tens of microseconds has its processor handed to
// another thread by the runtime's monitor, a wake-up and two context
// switches for nothing (see echo's rawIO).
type poller struct {
	epfd, evfd int
	file       *os.File        // epfd, as Go's netpoller watches it
	raw        syscall.RawConn // file's
	events     []unix.EpollEvent
	ready      []readyEvent
	turn       func([]readyEvent) (time.Time, bool) // serve's
	tryTurnFn  func(uintptr) bool                   // tryTurn, made once
	err        error                                // tryTurn's
	stop       bool                                 // turn said stop
	deadline   time.Time                            // file's read deadline
	buf        [8]byte
}

func openPoller() (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("async: epoll_create1: %w", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("async: eventfd: %w", err)
	}
	// The eventfd is level-triggered: it stays readable until the loop
	// reads it, so a kick is never missed.
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(evfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		unix.Close(evfd)
		unix.Close(epfd)
		return nil, fmt.Errorf("async: epoll_ctl(eventfd): %w", err)
	}
	// Non-blocking, so that NewFile registers it with the netpoller.
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(evfd)
		unix.Close(epfd)
		return nil, fmt.Errorf("async: epoll instance: %w", err)
	}
	file := os.NewFile(uintptr(epfd), "epoll")
	raw, err := file.SyscallConn()
	if err == nil {
		err = file.SetReadDeadline(time.Time{}) // fails if the netpoller does not watch it
	}
	if err != nil {
		unix.Close(evfd)
		file.Close()
		return nil, fmt.Errorf("async: epoll instance in the netpoller: %w", err)
	}
	p := &poller{
		epfd: epfd, evfd: evfd, file: file, raw: raw,
		events: make([]unix.EpollEvent, maxEvents), ready: make([]readyEvent, 0, maxEvents),
	}
	p.tryTurnFn = p.tryTurn
	return p, nil
}

func epollMask(interest Interest) uint32 {
	m := uint32(unix.EPOLLET)
	if interest&Readable != 0 {
		m |= unix.EPOLLIN | unix.EPOLLRDHUP
	}
	if interest&Writable != 0 {
		m |= unix.EPOLLOUT
	}
	return m
}

func (p *poller) add(fd int, interest Interest) error {
	ev := unix.EpollEvent{Events: epollMask(interest), Fd: int32(fd)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("async: epoll_ctl(ADD, %d): %w", fd, err)
	}
	return nil
}

func (p *poller) mod(fd int, interest Interest) error {
	ev := unix.EpollEvent{Events: epollMask(interest), Fd: int32(fd)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, fd, &ev); err != nil {
		return fmt.Errorf("async: epoll_ctl(MOD, %d): %w", fd, err)
	}
	return nil
}

func (p *poller) del(fd int) error {
	err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil)
	if err != nil && !errors.Is(err, unix.EBADF) && !errors.Is(err, unix.ENOENT) {
		// EBADF, ENOENT: the owner closed fd first, which removed it from
		// the epoll set already (and its number may be in use again).
		return fmt.Errorf("async: epoll_ctl(DEL, %d): %w", fd, err)
	}
	return nil
}

// serve is the reactor's loop around turn: it calls turn with the ready
// descriptors each time the epoll instance may have some, and in between
// parks the goroutine in the netpoller until the instance is readable, a
// kick, or the time turn returned (zero: no limit). It returns when turn
// says stop, or on an error.
//
// One RawConn.Read serves every turn until the time turn returned passes:
// Read calls tryTurn, and while it reports false parks the goroutine until
// the epoll instance is readable, then calls it again. A new Read resets
// what the netpoller remembers of the instance's readiness, so its first
// call of tryTurn collects at once whatever came meanwhile; within one
// Read, a readiness that comes while the goroutine is busy is remembered,
// and each turn calls epoll_wait once, when there is something to collect.
func (p *poller) serve(turn func([]readyEvent) (time.Time, bool)) error {
	p.turn = turn
	for !p.stop {
		err := p.raw.Read(p.tryTurnFn)
		if p.err != nil {
			return p.err
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The next timer is due. A Read would now fail at once,
			// before its first turn, so the deadline is lifted here and
			// the first turn of the next Read sets the one after.
			err = p.file.SetReadDeadline(time.Time{})
			p.deadline = time.Time{}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// tryTurn runs turns until epoll_wait has nothing more to report, then
// sets the deadline the last turn asked for. It reports true to end the
// Read (to stop, on an error); false parks the goroutine until the next
// event. It is a method value made once, so that a turn allocates nothing.
//
// A turn that collected a full buffer of events is followed by another at
// once: the events it could not take stay ready in the epoll instance, and
// the netpoller, which watches the instance edge-triggered, reports it
// readable again only when a new event comes. Parked with events still
// waiting in the instance, the loop would leave their tasks unwoken until
// some other descriptor or a timer happened to end the park.
func (p *poller) tryTurn(uintptr) bool {
	var deadline time.Time
	for {
		full, err := p.collect()
		if err != nil {
			p.err = err
			return true
		}
		var stop bool
		deadline, stop = p.turn(p.ready)
		if stop {
			p.stop = true
			return true
		}
		if !full {
			break
		}
	}
	if !deadline.Equal(p.deadline) { // most turns have no timer, or the same
		if p.err = p.file.SetReadDeadline(deadline); p.err != nil {
			return true
		}
		p.deadline = deadline
	}
	return false
}

// collect calls epoll_wait without waiting and puts the ready descriptors
// in p.ready; a kick of the eventfd is consumed here and reported as no
// descriptor (the turn it causes is what it is for). It reports whether
// epoll_wait filled the buffer, in which case more may be ready.
func (p *poller) collect() (full bool, err error) {
	p.ready = p.ready[:0]
	r0, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(p.epfd),
		uintptr(unsafe.Pointer(&p.events[0])), uintptr(len(p.events)), 0, 0, 0)
	switch errno {
	case 0:
	case unix.EINTR:
		return true, nil // interrupted: look again
	default:
		return false, fmt.Errorf("epoll_wait: %w", errno)
	}
	n := int(r0)
	for _, ev := range p.events[:n] {
		if int(ev.Fd) == p.evfd {
			_, _, errno := unix.RawSyscall(unix.SYS_READ, uintptr(p.evfd), uintptr(unsafe.Pointer(&p.buf[0])), uintptr(len(p.buf)))
			if errno != 0 && errno != unix.EAGAIN {
				p.ready = p.ready[:0]
				return false, fmt.Errorf("read(eventfd): %w", errno)
			}
			continue
		}
		var r Interest
		if ev.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			r |= Readable
		}
		if ev.Events&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			r |= Writable
		}
		closed := ev.Events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0
		p.ready = append(p.ready, readyEvent{fd: ev.Fd, ready: r, peerClosed: closed})
	}
	return n == len(p.events), nil
}

// kick ends the wait in progress, or the next one, at once.
func (p *poller) kick() error {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	_, _, errno := unix.RawSyscall(unix.SYS_WRITE, uintptr(p.evfd), uintptr(unsafe.Pointer(&one[0])), uintptr(len(one)))
	if errno != 0 && errno != unix.EAGAIN {
		return fmt.Errorf("write(eventfd): %w", errno)
	}
	return nil
}

func (p *poller) close() error {
	err := unix.Close(p.evfd)
	if cerr := p.file.Close(); err == nil {
		err = cerr
	}
	return err
}
