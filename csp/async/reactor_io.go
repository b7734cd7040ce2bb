package async

import "fmt"

// The reactor's I/O driver, as the futures see it: registrations of file
// descriptors, whose readiness wakes their wakers (see Reactor).

// Register starts watching fd and wakes w each time fd becomes ready for
// one of interest (edge-triggered, see Reactor). The fd must be in
// non-blocking mode, and must be deregistered before it is closed.
func (r *Reactor) Register(fd int, interest Interest, w Waker) error {
	r.made()
	if fd < 0 {
		return fmt.Errorf("async: Register(%d): negative file descriptor", fd)
	}
	r.lock <- struct{}{}
	defer func() { <-r.lock }()
	if r.closed {
		return ErrClosed
	}
	if fd >= len(r.fds) {
		r.fds = append(r.fds, make([]fdEntry, max(fd+1, 2*len(r.fds))-len(r.fds))...)
	}
	if r.fds[fd].used {
		return fmt.Errorf("async: Register(%d): already registered", fd)
	}
	if err := r.p.add(fd, interest); err != nil {
		return err
	}
	r.fds[fd] = fdEntry{interest: interest, used: true}
	r.fds[fd].waker.set(w)
	r.nfds++
	return nil
}

// Reregister changes the interest and the waker of a registered fd. A
// change of waker alone costs no system call; a change of interest re-arms
// the edge, so a descriptor already ready for the new interest wakes w at
// once.
func (r *Reactor) Reregister(fd int, interest Interest, w Waker) error {
	return r.withEntry(fd, func(e *fdEntry) error {
		if e.interest != interest {
			if err := r.p.mod(fd, interest); err != nil {
				return err
			}
			e.interest = interest
		}
		e.waker.set(w)
		return nil
	})
}

// Deregister stops watching fd. Once it returns, the reactor no longer
// looks up fd's waker, so the descriptor may be closed and its number
// reused by a new registration; a wake already on its way (looked up just
// before) may still arrive once, as a spurious wake.
func (r *Reactor) Deregister(fd int) error {
	return r.withEntry(fd, func(e *fdEntry) error {
		e.waker.set(Waker{})
		*e = fdEntry{}
		r.nfds--
		return r.p.del(fd)
	})
}

// PeerClosed reports whether epoll has reported, since fd was registered,
// that its peer closed its end (EPOLLRDHUP), or a hang-up or an error: a
// read would then return the end of the stream or the error even if the
// last one found the socket empty. It is how a future that reads until a
// short read, and then waits for the next readable edge instead of reading
// again to be told the socket is empty (tokio clears a socket's readiness
// the same way), still sees a peer whose end arrived with its last bytes:
// that end's edge came before the read, and no other will follow.
func (r *Reactor) PeerClosed(fd int) (closed bool, err error) {
	err = r.withEntry(fd, func(e *fdEntry) error {
		closed = e.peerClosed
		return nil
	})
	return closed, err
}

// TakeReadiness returns the readiness among interest that epoll has
// reported for fd since the last TakeReadiness of it took it (or since fd
// was registered), and forgets it, as tokio clears a socket's readiness
// after a call that would block. It is how a future tells the wakes meant
// for it from the others that share its waker: a write that found the
// socket full is worth trying again only once the socket has been reported
// writable since, and a wake for readable bytes, or a timer, is not that.
//
// To wait that way, a future that got EAGAIN takes the readiness (which
// forgets edges from before), then tries once more: if the call would
// still block, any room made from then on comes with an edge, which both
// wakes the task and is recorded for the next TakeReadiness.
func (r *Reactor) TakeReadiness(fd int, interest Interest) (ready Interest, err error) {
	err = r.withEntry(fd, func(e *fdEntry) error {
		ready = e.ready & interest
		e.ready &^= interest
		return nil
	})
	return ready, err
}

// withEntry calls f with fd's registration, under the lock, and returns
// what f returns: ErrClosed instead if the reactor is closed, or
// ErrNotRegistered if fd is not registered.
func (r *Reactor) withEntry(fd int, f func(e *fdEntry) error) error {
	r.made()
	r.lock <- struct{}{}
	defer func() { <-r.lock }()
	switch {
	case r.closed:
		return ErrClosed
	case fd < 0 || fd >= len(r.fds) || !r.fds[fd].used:
		return ErrNotRegistered
	}
	return f(&r.fds[fd])
}

// Registered returns the number of registered file descriptors.
func (r *Reactor) Registered() int {
	r.made()
	r.lock <- struct{}{}
	n := r.nfds
	<-r.lock
	return n
}
