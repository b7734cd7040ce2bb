//go:build linux

package async

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// poller is the reactor's system interface: an epoll instance and the
// eventfd that kicks it awake.
type poller struct {
	epfd, evfd int
	events     []unix.EpollEvent
	ready      []readyEvent
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
	const max = 256 // events per epoll_wait
	return &poller{epfd: epfd, evfd: evfd, events: make([]unix.EpollEvent, max), ready: make([]readyEvent, 0, max)}, nil
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

// wait sleeps in epoll_wait for at most timeout milliseconds (-1: no limit)
// and returns the ready descriptors. A kick is consumed here and returns
// no event of its own.
func (p *poller) wait(timeout int) ([]readyEvent, error) {
	n, err := unix.EpollWait(p.epfd, p.events, timeout)
	if err != nil {
		if errors.Is(err, unix.EINTR) {
			return nil, nil
		}
		return nil, fmt.Errorf("epoll_wait: %w", err)
	}
	p.ready = p.ready[:0]
	for _, ev := range p.events[:n] {
		if int(ev.Fd) == p.evfd {
			_, err := unix.Read(p.evfd, p.buf[:])
			if err != nil && !errors.Is(err, unix.EAGAIN) {
				return nil, fmt.Errorf("read(eventfd): %w", err)
			}
			continue
		}
		var ready Interest
		if ev.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			ready |= Readable
		}
		if ev.Events&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			ready |= Writable
		}
		p.ready = append(p.ready, readyEvent{fd: ev.Fd, ready: ready})
	}
	return p.ready, nil
}

// kick makes the epoll_wait in progress, or the next one, return at once.
func (p *poller) kick() error {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	if _, err := unix.Write(p.evfd, one[:]); err != nil && !errors.Is(err, unix.EAGAIN) {
		return fmt.Errorf("write(eventfd): %w", err)
	}
	return nil
}

func (p *poller) close() error {
	err := unix.Close(p.evfd)
	if cerr := unix.Close(p.epfd); err == nil {
		err = cerr
	}
	return err
}
