package csp

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
)

// A Semaphore is a counting semaphore, like tokio::sync::Semaphore:
// acquirers are served first come, first served, AcquireN takes all its
// permits or none, and an acquire that its context or Close ends holds
// nothing. The zero value is not usable: make one with NewSemaphore.
type Semaphore struct {
	// free is a buffered channel of free permits: acquiring one receives a
	// token, releasing one sends it back, and n tokens are put in at the
	// start. Receivers blocked on the empty channel are queued by the
	// runtime in arrival order, and a released token goes straight to the
	// oldest of them. Three guarantees need more than that:
	//
	//   - First come, first served for several permits. An acquirer of
	//     several permits holds the gate (a fair one-slot lock) while it
	//     collects its tokens, so such acquirers reach the token channel
	//     one at a time and in arrival order, and single acquires that
	//     arrive while the gate is held queue behind it: a large AcquireN
	//     at the head is never starved by a stream of small acquires. A
	//     single acquire that finds the gate free goes straight to the
	//     token channel. TryAcquire does not jump the queue.
	//   - All or nothing. AcquireN(ctx, k) either ends up with k tokens or,
	//     when ctx ends or the semaphore is closed, gives back the ones it
	//     had collected before it leaves the head of the queue.
	//   - Close wakes everyone. An acquirer whose context can never end
	//     waits in a plain receive on the token channel, the cheapest wait
	//     there is (one channel, nothing to select), so Close reaches it
	//     through that same channel: it sends one "closed" token, and each
	//     waiter that receives it passes it on to the next and fails. The
	//     channel has room for n permits and that one token, so passing it
	//     on never blocks. A waiter that is handed a permit after Close
	//     gives it back and fails too.
	//
	// While permits are free nobody waits, and an acquire is one receive
	// from a non-empty channel. Once they run out, every release hands its
	// permit to a parked waiter, which holds it before it runs; a releaser
	// that runs on and acquires again finds every permit held by such
	// goroutines and parks in turn: a convoy in which every acquire parks
	// and every release wakes, which outlasts the burst that started it.
	// So a release that hands a permit over now and then yields the
	// processor to its taker (see ReleaseN), which breaks the convoy
	// without changing who is served.
	free      chan bool     // true: a free permit; false: the closed token (see Close). Capacity n+1. Never nil once made.
	gate      chan struct{} // holding its one slot means being at the head of the queue
	closed    chan struct{} // closed by Close, for acquirers that have not started waiting
	closeOnce chan struct{} // the first Close puts a value here
}

const (
	permit      = true
	closedToken = false
)

// made panics if s is a zero Semaphore. free is set by NewSemaphore and
// never written again, so reading it races with nothing.
func (s *Semaphore) made() {
	if s.free == nil {
		panic("csp: Semaphore used without NewSemaphore")
	}
}

// NewSemaphore returns a semaphore with n permits, all available.
// It panics if n < 1.
func NewSemaphore(n int) *Semaphore {
	if n < 1 {
		panic(fmt.Sprintf("csp: NewSemaphore(%d): need at least one permit", n))
	}
	return newSemaphore(n)
}

// newSemaphore makes a semaphore with n ≥ 0 permits. One with none, which
// nobody outside the package can ask for, is the limit of a Group that may
// start no task.
func newSemaphore(n int) *Semaphore {
	s := &Semaphore{
		free:      make(chan bool, n+1),
		gate:      make(chan struct{}, 1),
		closed:    make(chan struct{}),
		closeOnce: make(chan struct{}, 1),
	}
	for range n {
		s.free <- permit
	}
	return s
}

// Acquire takes one permit, waiting in line until one is free.
// It is AcquireN(ctx, 1).
func (s *Semaphore) Acquire(ctx context.Context) error {
	s.made()
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.isClosed() {
		return ErrClosed
	}
	if len(s.gate) == 0 {
		// Nobody is collecting several permits, so a single permit needs
		// no gate: it queues on the token channel behind anyone already
		// waiting there. Once a multi-permit acquirer holds the gate, later
		// single acquirers queue behind it at the gate and cannot starve it.
		return s.take(ctx)
	}
	return s.acquireAtGate(ctx, 1)
}

// AcquireN takes k permits at once, waiting in line until the acquirers
// ahead of it are served and k permits are free.
//
// It returns ErrClosed if the semaphore is closed before the permits are
// taken, and ctx.Err() if ctx ends first. In both cases it holds no permit on
// return and the waiters behind it move up: AcquireN is cancel-safe. If ctx
// is already done when AcquireN is called, it returns ctx.Err() and takes
// nothing, even if the permits are free and even if the semaphore is closed:
// ctx ending is ordered before the acquire, as with
// golang.org/x/sync/semaphore.
//
// AcquireN panics if k is negative or larger than the semaphore's capacity,
// since such a request could never be granted.
func (s *Semaphore) AcquireN(ctx context.Context, k int) error {
	if k < 0 || k > s.Capacity() {
		panic(fmt.Sprintf("csp: Semaphore.AcquireN(%d) with capacity %d", k, s.Capacity()))
	}
	if k == 1 {
		return s.Acquire(ctx)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.isClosed() {
		return ErrClosed
	}
	return s.acquireAtGate(ctx, k)
}

// acquireAtGate joins the queue at the gate and, at its head, collects k
// permits.
func (s *Semaphore) acquireAtGate(ctx context.Context, k int) error {
	// A free gate means nobody is waiting at it (a blocked sender on a
	// one-slot channel implies the slot is full), so the fast path never
	// overtakes anyone.
	select {
	case s.gate <- struct{}{}:
	default:
		select {
		case s.gate <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			return ErrClosed
		}
	}
	// At the head of the queue. While the gate is held no later acquirer
	// takes a permit, so the free permits can only grow; collect k of them.
	for i := range k {
		if err := s.take(ctx); err != nil {
			s.giveBack(i) // the ones collected so far, before leaving the head
			<-s.gate
			return err
		}
	}
	<-s.gate
	return nil
}

// take receives one permit from the token channel, waiting for it if none is
// free. It fails with ctx.Err() or ErrClosed holding nothing.
//
// A permit counts only if the semaphore is still open once it is in hand:
// Close puts its token behind the free permits already in the channel, so
// an acquirer that was descheduled across Close could otherwise take one of
// those and succeed after Close has returned.
func (s *Semaphore) take(ctx context.Context) error {
	var isPermit bool
	select {
	case isPermit = <-s.free:
	default:
		if done := ctx.Done(); done == nil {
			// A context that never ends: wait on the token channel alone,
			// where Release and Close both reach us, and not in a select.
			isPermit = <-s.free
		} else {
			select {
			case isPermit = <-s.free:
			case <-done:
				return ctx.Err()
			}
		}
	}
	if isPermit && !s.isClosed() {
		return nil
	}
	// Closed: hand on whatever we got, the closed token to the next waiter
	// or the permit back to the channel. There is room: we took it out.
	s.free <- isPermit
	return ErrClosed
}

// giveBack returns k permits that this goroutine collected but never held
// for its caller. The channel has room: the permits came from it.
func (s *Semaphore) giveBack(k int) {
	for range k {
		s.free <- permit
	}
}

func (s *Semaphore) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// TryAcquire takes one permit if it can do so at once without overtaking a
// waiter, and reports whether it did.
func (s *Semaphore) TryAcquire() bool {
	return s.TryAcquireN(1)
}

// TryAcquireN takes k permits if k are free and nobody is waiting in line,
// and reports whether it did. It never blocks, and it fails once the
// semaphore is closed. Like AcquireN it holds the head of the line while it
// collects, so a TryAcquireN or Acquire that comes meanwhile waits behind
// it (or fails, if it is a TryAcquireN). It panics if k is negative.
func (s *Semaphore) TryAcquireN(k int) bool {
	s.made()
	if k < 0 {
		panic(fmt.Sprintf("csp: Semaphore.TryAcquireN(%d)", k))
	}
	if s.isClosed() {
		return false
	}
	select {
	case s.gate <- struct{}{}:
	default:
		return false // someone is at the head of the queue
	}
	defer func() { <-s.gate }()
	// Free permits in the channel mean nobody is blocked receiving, so
	// taking them overtakes no one. A single acquire that passed the gate
	// just before us may still take one, so each receive may fail.
	for i := range k {
		select {
		case isPermit := <-s.free:
			if isPermit {
				continue
			}
			s.free <- closedToken
		default:
		}
		s.giveBack(i)
		return false
	}
	if s.isClosed() { // closed while we collected: see take
		s.giveBack(k)
		return false
	}
	return true
}

// Release gives back one permit: it is ReleaseN(1). It panics if no permit
// is held.
func (s *Semaphore) Release() {
	s.ReleaseN(1)
}

// ReleaseN gives back k permits, handing each to the longest waiting
// acquirer if there is one. It never blocks, but if it handed a permit to
// a waiter it yields the processor (runtime.Gosched) once in 32 times, at
// random. It panics if k is negative or if more permits are
// released than are held; a release beyond the capacity is always caught,
// one that only exceeds what its caller holds is caught once every permit
// is back. Permits may be released after Close.
func (s *Semaphore) ReleaseN(k int) {
	s.made()
	if k < 0 {
		panic(fmt.Sprintf("csp: Semaphore.ReleaseN(%d)", k))
	}
	handedOff := false
	for range k {
		select {
		case s.free <- permit:
		default:
			panic(overRelease) // n permits and the closed token: nothing is held
		}
		switch n := len(s.free); {
		case n == 0:
			// A waiter blocks only on an empty channel, and a permit sent
			// to it goes straight into its hands: an empty channel now
			// means a waiter has it (or a running acquirer took it at
			// once, and the yield costs a little for nothing).
			handedOff = true
		case n == cap(s.free) && !s.isClosed():
			// n+1 permits: one more than exist. (Once closed, n permits and
			// the closed token fill the channel too.) Take it back out.
			select {
			case isPermit := <-s.free:
				if !isPermit { // the closed token: Close came in between
					s.free <- closedToken
				}
			default:
			}
			panic(overRelease)
		}
	}
	// A permit handed to a waiter is held by a goroutine that is runnable
	// but not running. Yielding lets the waiter use its permit and release
	// it before this goroutine comes back to acquire again, so permits
	// return to the channel and the convoy drains (see Semaphore);
	// sync.Mutex yields likewise when it hands itself to a starving waiter.
	// Doing so at every hand-off costs a goroutine that releases and then
	// exits, as the tutorial's water atoms do, a trip through the
	// scheduler's global run queue, behind every goroutine waiting there,
	// with its stack kept until then: it made the tutorial's H2O workload
	// 1.35x slower (docs/results/h2o.md). An occasional yield breaks a
	// convoy as well as one at every hand-off, so the yield is taken at
	// random, once in handOffYield hand-offs.
	if handedOff && rand.Uint32()%handOffYield == 0 {
		runtime.Gosched()
	}
}

// handOffYield: a release that hands a permit over yields once in this
// many times (see ReleaseN).
const handOffYield = 32

const overRelease = "csp: Semaphore released more permits than are held"

// Available returns the number of permits that nobody holds. Permits already
// collected by the waiter at the head of the queue count as held. While
// Close is failing the waiters, the count may be one low for a moment.
func (s *Semaphore) Available() int {
	s.made()
	n := len(s.free)
	if s.isClosed() {
		n-- // the closed token, once Close has put it in
	}
	return max(n, 0)
}

// Capacity returns the number of permits the semaphore was made with.
func (s *Semaphore) Capacity() int {
	s.made()
	return cap(s.free) - 1
}

// Close makes every waiting and future acquire fail with ErrClosed, and an
// acquire under way when Close is called fails too, giving back any permits
// it had already collected. Permits that are held stay held and may still be
// released. Close is idempotent.
func (s *Semaphore) Close() {
	s.made()
	select {
	case s.closeOnce <- struct{}{}:
		close(s.closed)
		// Wake the oldest waiter; it passes the token on. The channel holds
		// at most n permits, so there is room.
		s.free <- closedToken
	default:
	}
}
