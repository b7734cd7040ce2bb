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
// The Reactor works on Linux only; elsewhere NewReactor returns an error.
type Reactor struct {
	lock  chan struct{} // guards everything up to the blank line
	p     *poller
	epoch time.Time // the zero of the timers' clock

	timers timerHeap
	fds    []fdEntry // indexed by file descriptor
	nfds   int       // registered descriptors
	parked bool      // the loop sleeps, or is about to
	wakeAt int64     // when parked: when the sleep ends
	kicked bool      // the eventfd was written since the loop parked
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
	waker    Waker
	interest Interest
	used     bool
}

// readyEvent is one file descriptor that epoll_wait reported ready.
type readyEvent struct {
	fd    int32
	ready Interest
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

// NewReactor opens the epoll instance and the eventfd and starts the
// reactor's goroutine. Stop it with Close. On systems other than Linux it
// returns an error that says so.
func NewReactor() (*Reactor, error) {
	p, err := openPoller()
	if err != nil {
		return nil, err
	}
	r := &Reactor{
		lock:   make(chan struct{}, 1),
		p:      p,
		epoch:  time.Now(),
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
// that epoll_wait has just reported ready. It wakes their wakers and those
// of the timers that are due, and returns when the next timer is due (zero:
// none), which is how long the poller may sleep, or stop once the reactor
// is closed.
func (r *Reactor) turn(events []readyEvent) (until time.Time, stop bool) {
	r.lock <- struct{}{}
	if r.closed {
		<-r.lock
		return time.Time{}, true
	}
	r.parked = false
	for _, ev := range events {
		if int(ev.fd) < len(r.fds) {
			if e := &r.fds[ev.fd]; e.used && e.interest&ev.ready != 0 {
				r.batch = append(r.batch, e.waker)
			}
		}
	}
	for {
		n := len(r.batch)
		r.batch = r.timers.expire(r.nanotime(), expireBatch, r.batch)
		if len(r.batch)-n < expireBatch {
			break
		}
		// More may be due: wake these first, without the lock.
		<-r.lock
		r.wakeBatch()
		r.lock <- struct{}{}
	}
	e := r.driven
	if e == nil {
		until = r.sleepUntil()
		<-r.lock
		r.wakeBatch()
		return until, false
	}
	// Driving an executor: poll the tasks just woken, and any queued, on
	// this goroutine, then look at the timers they set before sleeping.
	<-r.lock
	r.wakeBatch()
	e.askHelp()
	more := e.RunQueued(driveBudget)
	r.lock <- struct{}{}
	until = r.sleepUntil()
	<-r.lock
	if more || e.queued() {
		// Left for the next turn, after a look at the descriptors (or
		// queued by another goroutine just before the loop marked itself
		// parked): do not sleep.
		r.unpark()
	}
	return until, false
}

// sleepUntil marks the loop parked and returns when its sleep must end:
// the next timer's deadline, rounded up to the millisecond (zero: no
// timer). The caller holds the lock.
func (r *Reactor) sleepUntil() (until time.Time) {
	r.wakeAt = math.MaxInt64
	if next, ok := r.timers.next(); ok {
		r.wakeAt = next
		until = r.epoch.Add(time.Duration(roundUpMillis(next)))
	}
	r.parked, r.kicked = true, false
	return until
}

// Drive hands e, made with NoWorkers, to the reactor's goroutine, which
// from then on polls e's tasks in each turn, after it has woken them: one
// goroutine waits for I/O and timers and runs every task, as tokio's
// current_thread runtime does. A task queued from another goroutine (a
// Spawn, a wake) kicks the loop awake. Call Drive before the first Spawn on
// e, once; shut e down before the reactor is closed, since only the
// reactor polls its tasks.
func (r *Reactor) Drive(e *Executor) error {
	if e.driver == nil {
		return errors.New("async: Drive: the executor has workers of its own (make it with Workers: NoWorkers)")
	}
	r.lock <- struct{}{}
	defer func() { <-r.lock }()
	if r.closed {
		return ErrClosed
	}
	if r.driven != nil || e.unpark != nil {
		return errors.New("async: Drive: the reactor drives an executor already, or the executor is driven")
	}
	r.driven = e
	e.unpark = r.unpark
	return nil
}

// unpark kicks the loop awake if it sleeps (or is about to), once per
// sleep.
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

// roundUpMillis rounds a time on the timers' clock up to the next whole
// millisecond. The sleep ends no earlier than the earliest timer, and ends
// at the same moment for every turn of the loop while that timer stays the
// earliest, so the poller re-arms its deadline only when it changes (timers
// that fall in one millisecond share a wake-up).
func roundUpMillis(ns int64) int64 {
	const ms = int64(time.Millisecond)
	return (ns + ms - 1) / ms * ms
}

// Close stops the reactor's goroutine and closes the epoll instance and the
// eventfd. Pending timers never fire and registered descriptors are no
// longer watched (they are not closed: they belong to their owners).
// Later calls return ErrClosed. Close must not be called from a waker.
func (r *Reactor) Close() error {
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

// Register starts watching fd and wakes w each time fd becomes ready for
// one of interest (edge-triggered, see Reactor). The fd must be in
// non-blocking mode, and must be deregistered before it is closed.
func (r *Reactor) Register(fd int, interest Interest, w Waker) error {
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
	r.fds[fd] = fdEntry{waker: w, interest: interest, used: true}
	r.nfds++
	return nil
}

// Reregister changes the interest and the waker of a registered fd. A
// change of waker alone costs no system call; a change of interest re-arms
// the edge, so a descriptor already ready for the new interest wakes w at
// once.
func (r *Reactor) Reregister(fd int, interest Interest, w Waker) error {
	r.lock <- struct{}{}
	defer func() { <-r.lock }()
	e, err := r.entry(fd)
	if err != nil {
		return err
	}
	if e.interest != interest {
		if err := r.p.mod(fd, interest); err != nil {
			return err
		}
		e.interest = interest
	}
	e.waker = w
	return nil
}

// Deregister stops watching fd. Once it returns, the reactor no longer
// looks up fd's waker, so the descriptor may be closed and its number
// reused by a new registration; a wake already on its way (looked up just
// before) may still arrive once, as a spurious wake.
func (r *Reactor) Deregister(fd int) error {
	r.lock <- struct{}{}
	defer func() { <-r.lock }()
	e, err := r.entry(fd)
	if err != nil {
		return err
	}
	*e = fdEntry{}
	r.nfds--
	return r.p.del(fd)
}

// entry returns fd's registration. The caller holds the lock.
func (r *Reactor) entry(fd int) (*fdEntry, error) {
	if r.closed {
		return nil, ErrClosed
	}
	if fd < 0 || fd >= len(r.fds) || !r.fds[fd].used {
		return nil, ErrNotRegistered
	}
	return &r.fds[fd], nil
}

// Registered returns the number of registered file descriptors.
func (r *Reactor) Registered() int {
	r.lock <- struct{}{}
	n := r.nfds
	<-r.lock
	return n
}

// Now returns the current time; timers armed on r measure from it.
func (r *Reactor) Now() time.Time {
	return time.Now()
}

func (r *Reactor) nanotime() int64 {
	return int64(time.Since(r.epoch))
}

// ResetTimer implements Timers: it arms t at deadline, and kicks the loop
// awake if t is now the earliest deadline it sleeps for.
func (r *Reactor) ResetTimer(t *Timer, deadline time.Time, w Waker) {
	when := int64(deadline.Sub(r.epoch))
	r.lock <- struct{}{}
	r.timers.reset(t, when, w)
	r.kickLocked(when)
	<-r.lock
}

// StopTimer implements Timers.
func (r *Reactor) StopTimer(t *Timer) bool {
	r.lock <- struct{}{}
	ok := r.timers.stop(t)
	<-r.lock
	return ok
}

// PollTimer implements Timers.
func (r *Reactor) PollTimer(t *Timer, cx *Context) bool {
	r.lock <- struct{}{}
	fired := r.timers.poll(t, cx.waker)
	<-r.lock
	return fired
}

// PendingTimers returns the number of armed timers.
func (r *Reactor) PendingTimers() int {
	r.lock <- struct{}{}
	n := r.timers.len()
	<-r.lock
	return n
}

// Sleep returns a future that is ready d from now: tokio::time::sleep(d).
func (r *Reactor) Sleep(d time.Duration) Sleep {
	return newSleep(r, r.Now().Add(d))
}

// Deadline returns a future that is ready at t: tokio::time::sleep_until(t).
func (r *Reactor) Deadline(t time.Time) Sleep {
	return newSleep(r, t)
}
