package async

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// A Reactor is the piece that knows what is ready: one goroutine that owns
// an epoll instance and a heap of timers, tokio's I/O driver and time
// driver in one loop.
//
// The loop, once per turn: take the lock, fire every timer whose deadline
// has passed, work out how long until the next one, release the lock, and
// sleep until the epoll instance reports a ready descriptor, or that
// timeout passes (rounded up to the millisecond, so a timer never fires
// early, as in tokio). Then look up the waker of every ready file
// descriptor and wake them all, with no lock held. The reactor only wakes
// tasks and the executor polls them, unless the executor has no workers of
// its own and the reactor drives it (Drive): then the loop polls the tasks
// it has just woken before it sleeps again.
//
// The sleep is not a blocking epoll_wait: the goroutine parks in Go's own
// netpoller, which watches the epoll instance as it watches a socket, and
// epoll_wait is called only to collect what is ready, without waiting (see
// poller). A goroutine blocked in a system call would hold its processor
// until the runtime took it back, and the tasks it had just woken would
// wait for it there.
//
// Registrations and timers come from other goroutines (workers polling
// their tasks) while the loop sleeps. A file descriptor added with
// epoll_ctl is watched from then on, and its first event wakes the sleep
// in progress, so a registration needs nothing more. A timer earlier than
// the one the loop sleeps for would be missed, so arming it writes to an
// eventfd that the epoll instance also watches, which ends the sleep at
// once; one such write per sleep is enough, however many timers are armed
// meanwhile.
//
// Readiness is edge-triggered (EPOLLET) and the registration persistent: a
// waker is woken each time its descriptor becomes readable or writable
// again, not while it stays so. A task therefore reads (or writes) until
// the call would block (EAGAIN) before it returns Pending, and relies on the
// executor's promise that a wake during its poll is not lost.
//
// One lock guards the descriptors, the timers and the loop's sleep. The
// timers and the sleep must share it: arming a timer compares its deadline
// with the one the loop sleeps until in the same hold in which the loop,
// going to sleep, read the earliest deadline, or a timer armed in between
// would be missed. The descriptors could have a lock of their own, but
// every turn needs both (the wakers of the ready descriptors and of the
// expired timers) and takes them in one hold, which two locks would make
// two; and the loop holds the lock only to copy wakers out, never while it
// wakes them, polls or sleeps. When the reactor drives an executor,
// nearly every hold is on the loop's own goroutine, which then never
// waits for another. The timer queue is handed the same lock (NewReactor),
// so giving it one of its own is where a split would start.
//
// The Reactor works on Linux only; elsewhere NewReactor returns an error.
// The zero value is not usable: every method panics on it. Make a Reactor
// with NewReactor.
type Reactor struct {
	p *poller

	lock   chan struct{} // guards everything from here to the blank line
	timers timerQueue    // handed the same lock
	fds    []fdEntry     // indexed by file descriptor
	nfds   int           // registered descriptors
	parked bool          // the loop sleeps, or is about to
	wakeAt int64         // when parked: when the sleep ends
	kicked bool          // the eventfd was written since the loop parked
	closed bool
	driven *Executor // set by Drive: its tasks are polled in each turn

	batch  []Waker // the loop's wakers to call once the lock is released
	exited chan struct{}
}

// Interest says which readiness of a file descriptor wakes its waker.
type Interest uint8

const (
	// Readable: data to read, a peer that closed, or an error.
	Readable Interest = 1 << iota
	// Writable: room to write, or an error.
	Writable
)

type fdEntry struct {
	waker      Waker
	interest   Interest
	ready      Interest // reported since TakeReadiness last took it
	used       bool
	peerClosed bool // epoll reported the peer's end, a hang-up or an error
}

// readyEvent is one file descriptor that epoll_wait reported ready.
type readyEvent struct {
	fd         int32
	ready      Interest
	peerClosed bool // EPOLLRDHUP, EPOLLHUP or EPOLLERR
}

// maxEvents is how many ready descriptors one collection (one epoll_wait)
// takes; more than that are taken by the turns that follow at once.
const maxEvents = 256

// expireBatch bounds the timers fired under one hold of the lock, so that
// workers arming timers do not wait behind a long burst of expiries.
const expireBatch = 256

// ErrNotRegistered is returned by Reregister and Deregister for a file
// descriptor that is not registered.
var ErrNotRegistered = errors.New("async: file descriptor not registered")

// made panics if r is a zero Reactor. lock is set by NewReactor and never
// written again, so reading it races with nothing.
func (r *Reactor) made() {
	if r.lock == nil {
		panic("async: Reactor used without NewReactor")
	}
}

// NewReactor opens the epoll instance and the eventfd and starts the
// reactor's goroutine. Stop it with Close. On systems other than Linux it
// returns an error that says so.
func NewReactor() (*Reactor, error) {
	p, err := openPoller()
	if err != nil {
		return nil, err
	}
	lock := make(chan struct{}, 1)
	r := &Reactor{
		lock:   lock,
		p:      p,
		timers: newTimerQueue(lock, time.Now()),
		batch:  make([]Waker, 0, expireBatch),
		exited: make(chan struct{}),
	}
	go r.loop()
	return r, nil
}

func (r *Reactor) loop() {
	defer close(r.exited)
	if err := r.p.serve(r.turn); err != nil {
		panic(fmt.Sprintf("async: reactor: %v", err))
	}
}

// turn is one turn of the loop, called by the poller with the descriptors
// that epoll_wait has just reported ready. It returns when the next timer
// is due (zero: none), which is how long the poller may sleep, or stop once
// the reactor is closed. A turn is tokio's three drivers in a row:
//
//   - the I/O driver and the time driver (wakeReady): wake the wakers of
//     the ready descriptors and of the timers that are due;
//   - the scheduler of a driven executor (pollDriven): poll the tasks just
//     woken, and any other queued, on this goroutine;
//   - the park (park): work out when the next timer is due and mark the
//     loop asleep, so that a timer armed earlier, or a task queued from
//     another goroutine, kicks it awake.
func (r *Reactor) turn(events []readyEvent) (until time.Time, stop bool) {
	driven, open := r.wakeReady(events)
	if !open {
		return time.Time{}, true
	}
	more := false
	if driven != nil {
		more = r.pollDriven(driven)
	}
	return r.park(driven, more), false
}

// wakeReady wakes the wakers of the ready descriptors and of the timers
// that are due, with no lock held. It returns the executor the reactor
// drives, if any, and reports false if the reactor is closed. Timers are
// expired expireBatch at a time, their wakers woken between two holds of
// the lock, so that goroutines arming timers do not wait behind a long
// burst of expiries.
func (r *Reactor) wakeReady(events []readyEvent) (driven *Executor, open bool) {
	r.lock <- struct{}{}
	if r.closed {
		<-r.lock
		return nil, false
	}
	r.parked = false
	driven = r.driven
	for _, ev := range events {
		if int(ev.fd) < len(r.fds) {
			if e := &r.fds[ev.fd]; e.used {
				if ev.peerClosed {
					e.peerClosed = true
				}
				e.ready |= ev.ready
				if e.interest&ev.ready != 0 {
					r.batch = append(r.batch, e.waker)
				}
			}
		}
	}
	for {
		n := len(r.batch)
		r.batch = r.timers.heap.expire(r.timers.since(time.Now()), expireBatch, r.batch)
		full := len(r.batch)-n == expireBatch // more may be due
		<-r.lock
		r.wakeBatch()
		if !full {
			return driven, true
		}
		r.lock <- struct{}{}
	}
}

// pollDriven polls the driven executor's queued tasks, at most driveBudget
// of them, asking a helper in if many are queued, and reports whether it
// stopped at the budget.
func (r *Reactor) pollDriven(e *Executor) (more bool) {
	e.current.askHelp()
	return e.RunQueued(driveBudget)
}

// park marks the loop asleep and returns when its sleep must end: the next
// timer's deadline, rounded up to the millisecond (zero: no timer). A
// driven executor with tasks still queued (left at the budget, or queued
// by another goroutine before the loop was marked asleep, which therefore
// did not kick it) gets the next turn at once.
func (r *Reactor) park(driven *Executor, more bool) (until time.Time) {
	r.lock <- struct{}{}
	r.wakeAt = math.MaxInt64
	if next, ok := r.timers.heap.next(); ok {
		r.wakeAt = next
		until = r.timers.time(roundUpMillis(next))
	}
	r.parked, r.kicked = true, false
	<-r.lock
	if driven != nil && (more || driven.current.queued()) {
		r.unpark()
	}
	return until
}

// Drive hands e, made with NoWorkers, to the reactor's goroutine, which
// from then on polls e's tasks in each turn, after it has woken them: one
// goroutine waits for I/O and timers and runs every task, as tokio's
// current_thread runtime does. A task queued from another goroutine (a
// Spawn, a wake) kicks the loop awake. Call Drive before the first Spawn on
// e, once; shut e down before the reactor is closed, since only the
// reactor polls its tasks. Drive returns ErrClosed if the reactor is
// closed; it panics if e has workers of its own, or if the reactor or the
// executor is driven already, since those are mistakes of the program.
func (r *Reactor) Drive(e *Executor) error {
	r.made()
	c := e.currentThread("Drive")
	r.lock <- struct{}{}
	closed := r.closed
	busy := !closed && (r.driven != nil || !c.drivenBy(r))
	if !closed && !busy {
		r.driven = e
	}
	<-r.lock
	switch {
	case closed:
		return ErrClosed
	case busy:
		panic("async: Drive: the reactor drives an executor already, or the executor is driven")
	}
	return nil
}

// unpark kicks the loop awake if it sleeps (or is about to), once per
// sleep: a task of the executor it drives was queued (see
// currentThread.unparkDriver).
func (r *Reactor) unpark() {
	r.lock <- struct{}{}
	r.kickLocked(math.MinInt64)
	<-r.lock
}

// kickLocked writes to the eventfd if the loop sleeps (or is about to)
// until after when, and has not been kicked since it parked. The caller
// holds the lock, so that Close cannot close the eventfd first.
func (r *Reactor) kickLocked(when int64) {
	if r.parked && !r.kicked && when < r.wakeAt && !r.closed {
		r.kicked = true
		if err := r.p.kick(); err != nil {
			<-r.lock
			panic(fmt.Sprintf("async: reactor: %v", err))
		}
	}
}

func (r *Reactor) wakeBatch() {
	for i, w := range r.batch {
		w.Wake()
		r.batch[i] = Waker{}
	}
	r.batch = r.batch[:0]
}

// Close stops the reactor's goroutine and closes the epoll instance and the
// eventfd. Pending timers never fire and registered descriptors are no
// longer watched (they are not closed: they belong to their owners).
// A later call waits for the first to finish and returns nil. Close must
// not be called from a waker.
func (r *Reactor) Close() error {
	r.made()
	r.lock <- struct{}{}
	if r.closed {
		<-r.lock
		<-r.exited
		return nil
	}
	r.closed = true
	err := r.p.kick()
	<-r.lock
	<-r.exited
	if cerr := r.p.close(); err == nil {
		err = cerr
	}
	return err
}
