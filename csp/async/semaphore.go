package async

import (
	"fmt"
	"math"
)

// A Semaphore is a counting semaphore for tasks: tokio::sync::Semaphore,
// the task-side counterpart of csp.Semaphore. Where csp's Acquire blocks a
// goroutine, this one's Acquire is a future: a task that must wait returns
// Pending, and its waker is woken once its permits are assigned to it.
//
// Its state (free permits, the queue of waiters, closed) is guarded by a
// one-slot lock channel. A waiter is a Waiter inside the Acquire future
// (or inside a state machine that calls PollAcquire), so queueing
// allocates nothing, and the queue is first come, first served,
// as tokio's batch semaphore is: a Release assigns its permits to the
// waiter at the head of the queue, a few at a time if it wants several,
// and only once the head has all it asked for does the next waiter get
// any. A large AcquireN at the head is therefore never starved by small
// acquires behind it, and while anyone waits no permit is free.
//
//	Release ──► free permits ──► head waiter: got += …; got == want?
//	                                 │ yes: off the queue, state ready,
//	                                 ▼      its waker woken (after the lock)
//	                            next waiter …
//
// Cancel safety is csp's: an Acquire that is dropped (its task aborted,
// or the future that holds it abandoned; CancelAcquire for a Waiter)
// leaves no trace. If it was
// queued it leaves the queue, and the permits assigned to it so far go to
// the waiters behind it; if its permits were all assigned but it had not
// been polled since, they are given back the same way. An Acquire that
// returned Ready holds its permits until Release.
//
// The zero value is not usable: every method panics on it. Make a
// Semaphore with NewSemaphore.
type Semaphore struct {
	lock     chan struct{} // guards the rest
	free     int           // permits neither held nor assigned to a waiter
	held     int           // permits acquired and not yet released
	capacity int
	waiters  waitList
	closed   bool
}

// made panics if s is a zero Semaphore. lock is set by NewSemaphore and
// never written again, so reading it races with nothing.
func (s *Semaphore) made() {
	if s.lock == nil {
		panic("async: Semaphore used without NewSemaphore")
	}
}

// NewSemaphore returns a semaphore with n permits, all available.
// It panics if n < 1 or n does not fit in 31 bits.
func NewSemaphore(n int) *Semaphore {
	if n < 1 || n > math.MaxInt32 {
		panic(fmt.Sprintf("async: NewSemaphore(%d): need between 1 and %d permits", n, math.MaxInt32))
	}
	return &Semaphore{lock: make(chan struct{}, 1), free: n, capacity: n}
}

// Acquire returns a future that takes one permit: AcquireN(1).
func (s *Semaphore) Acquire() Acquire {
	s.made()
	return s.AcquireN(1)
}

// AcquireN returns a future that takes k permits at once, all or nothing,
// after every acquirer queued before it. It panics if k is negative or
// larger than the semaphore's capacity, since such a request could never
// be granted.
//
// Like every future it is lazy: nothing is taken and no place in the
// queue is held until it is first polled.
func (s *Semaphore) AcquireN(k int) Acquire {
	s.made()
	s.checkRequest(k)
	return Acquire{sem: s, k: int32(k)}
}

func (s *Semaphore) checkRequest(k int) {
	if k < 0 || k > s.capacity {
		panic(fmt.Sprintf("async: Semaphore.AcquireN(%d) with capacity %d", k, s.capacity))
	}
}

// An Acquire is the future of Semaphore.Acquire and AcquireN: tokio's
// Acquire. Its output is nil once the permits are the caller's, or
// ErrClosed if the semaphore was closed first. Embed it by value in the
// future that waits for it: it must not be copied once polled. Drop it if
// that future is abandoned before it is Ready.
type Acquire struct {
	sem  *Semaphore
	k    int32
	done bool
	w    Waiter
}

// Poll is PollAcquire on the future's own Waiter.
func (a *Acquire) Poll(cx *Context) (error, bool) {
	if a.done {
		panic("async: Acquire polled after it completed")
	}
	err, ready := a.sem.PollAcquire(cx, &a.w, int(a.k))
	a.done = ready
	return err, ready
}

// Drop is CancelAcquire on the future's own Waiter. After Ready it does
// nothing: the permits are the caller's, to Release.
func (a *Acquire) Drop() {
	a.sem.CancelAcquire(&a.w)
	a.done = true
}

// PollAcquire is the poll of an acquire of k permits that waits in w, a
// Waiter of the caller's (see Waiter). With w free, it starts the acquire:
// it takes the permits if nobody is queued and enough are free, and
// otherwise queues w, taking what is free if w is then the head of the
// queue, and returns Pending. Later calls, with the same w and k, return
// Pending until Release has assigned w the rest. Once it returns Ready
// (nil: the permits are the caller's; ErrClosed: the semaphore was closed
// first, nothing is held) w is free again.
func (s *Semaphore) PollAcquire(cx *Context, w *Waiter, k int) (error, bool) {
	s.made()
	w.check(waitingOnSemaphore)
	if w.busy == notWaiting {
		s.checkRequest(k)
		s.lock <- struct{}{}
		switch {
		case s.closed:
			<-s.lock
			return ErrClosed, true
		case s.waiters.head == nil && s.free >= k:
			s.free -= k
			s.held += k
			<-s.lock
			return nil, true
		}
		// Anything free now belongs to the head of the queue, which is
		// this acquire if the queue is empty.
		w.start(waitingOnSemaphore)
		w.want, w.got = int32(k), int32(s.free)
		s.free = 0
		w.waker.set(cx.Waker())
		w.state = waiterQueued
		s.waiters.pushBack(w)
		<-s.lock
		return nil, false
	}
	s.lock <- struct{}{}
	switch w.state {
	case waiterReady:
		w.end()
		<-s.lock
		return nil, true
	case waiterClosed:
		w.end()
		<-s.lock
		return ErrClosed, true
	}
	w.waker.set(cx.Waker()) // a spurious poll, or another task polls it now
	<-s.lock
	return nil, false
}

// CancelAcquire abandons the acquire that waits in w: if w is queued it
// leaves the queue, and the permits assigned to it so far, or all of them
// if it was made ready but has not seen it, go to the waiters behind it.
// Then w is free. With w free (the acquire never started, or returned
// Ready) it does nothing.
func (s *Semaphore) CancelAcquire(w *Waiter) {
	s.made()
	w.check(waitingOnSemaphore)
	if w.busy == notWaiting {
		return
	}
	var buf [4]Waker
	s.lock <- struct{}{}
	switch w.state {
	case waiterQueued:
		s.waiters.remove(w)
		s.free += int(w.got)
	case waiterReady:
		s.held -= int(w.want)
		s.free += int(w.want)
	}
	w.end()
	ws := s.assignLocked(buf[:0])
	<-s.lock
	wakeAll(ws)
}

// assignLocked hands the free permits to the head of the queue until the
// head wants more than is free, and appends the wakers of the waiters it
// completes to ws. The caller holds the lock. A waiter that asked for no
// permits completes as soon as it reaches the head.
func (s *Semaphore) assignLocked(ws []Waker) []Waker {
	for w := s.waiters.head; w != nil; w = s.waiters.head {
		take := min(s.free, int(w.want-w.got))
		w.got += int32(take)
		s.free -= take
		if w.got < w.want {
			break
		}
		s.held += int(w.want)
		ws = s.waiters.release(w, waiterReady, ws)
	}
	return ws
}

// TryAcquire takes one permit if one is free and nobody is queued, and
// reports whether it did. It never waits and never jumps the queue.
func (s *Semaphore) TryAcquire() bool {
	s.made()
	return s.TryAcquireN(1)
}

// TryAcquireN takes k permits if k are free and nobody is queued, and
// reports whether it did. It fails once the semaphore is closed. It panics
// if k is negative.
func (s *Semaphore) TryAcquireN(k int) bool {
	s.made()
	if k < 0 {
		panic(fmt.Sprintf("async: Semaphore.TryAcquireN(%d)", k))
	}
	s.lock <- struct{}{}
	ok := !s.closed && s.waiters.head == nil && s.free >= k
	if ok {
		s.free -= k
		s.held += k
	}
	<-s.lock
	return ok
}

// Release gives back one permit: ReleaseN(1).
func (s *Semaphore) Release() {
	s.made()
	s.ReleaseN(1)
}

// ReleaseN gives back k permits, assigning them to the queued acquirers in
// order and waking each one that has all it asked for. It panics if k is
// negative or more than are held: every permit released was acquired, so
// an over-release is always caught. Permits may be released after Close.
func (s *Semaphore) ReleaseN(k int) {
	s.made()
	if k < 0 {
		panic(fmt.Sprintf("async: Semaphore.ReleaseN(%d)", k))
	}
	var buf [4]Waker
	s.lock <- struct{}{}
	if k > s.held {
		held := s.held
		<-s.lock
		panic(fmt.Sprintf("async: Semaphore released %d permits with %d held", k, held))
	}
	s.held -= k
	s.free += k
	ws := s.assignLocked(buf[:0])
	<-s.lock
	wakeAll(ws)
}

// Close makes every queued and future acquire fail with ErrClosed and
// wakes the queued ones. Permits assigned to a queued acquirer go back to
// the free ones; permits that are held stay held and may still be
// released. An acquire whose permits were all assigned before Close still
// succeeds. Close is idempotent.
func (s *Semaphore) Close() {
	s.made()
	s.lock <- struct{}{}
	if s.closed {
		<-s.lock
		return
	}
	s.closed = true
	for w := s.waiters.head; w != nil; w = w.next {
		s.free += int(w.got)
	}
	ws := s.waiters.releaseAll(waiterClosed, make([]Waker, 0, s.waiters.len))
	<-s.lock
	wakeAll(ws)
}

// Available returns the number of permits that are free: neither held nor
// assigned to a queued acquirer.
func (s *Semaphore) Available() int {
	s.made()
	s.lock <- struct{}{}
	n := s.free
	<-s.lock
	return n
}

// Waiting returns the number of acquirers in the queue.
func (s *Semaphore) Waiting() int {
	s.made()
	s.lock <- struct{}{}
	n := s.waiters.len
	<-s.lock
	return n
}

// Capacity returns the number of permits the semaphore was made with.
func (s *Semaphore) Capacity() int {
	s.made()
	return s.capacity
}
