package csp

import (
	"context"
	"fmt"
)

// A Semaphore is a counting semaphore: a buffered channel of tokens, one
// token in the channel for every permit that is held.
//
// Acquiring a permit sends a token, releasing one receives it, and the
// channel's capacity is the number of permits. That alone is the classic CSP
// semaphore. Two guarantees need one more channel, the gate:
//
//   - First come, first served. An acquirer of several permits holds the
//     gate (a fair one-slot lock) while it collects its tokens, so such
//     acquirers reach the token channel one at a time and in arrival order,
//     and single acquires that arrive while the gate is held queue behind
//     it: a large AcquireN at the head is never starved by a stream of small
//     acquires. A single acquire that finds the gate free goes straight to
//     the token channel, whose blocked senders the runtime also serves in
//     arrival order. TryAcquire does not jump the queue.
//   - All or nothing. AcquireN(ctx, k) either ends up with k tokens or, when
//     ctx ends or the semaphore is closed, gives back the ones it had
//     collected before it leaves the head of the queue.
//
// The zero value is not usable; call NewSemaphore.
type Semaphore struct {
	held      chan struct{} // one token per permit held; cap(held) is the capacity
	gate      chan struct{} // holding its one slot means being at the head of the queue
	closed    chan struct{} // closed by Close: wakes and fails every acquirer
	closeOnce chan struct{} // the first Close puts a value here
}

// NewSemaphore returns a semaphore with n permits, all available.
// It panics if n < 1.
func NewSemaphore(n int) *Semaphore {
	if n < 1 {
		panic(fmt.Sprintf("csp: NewSemaphore(%d): need at least one permit", n))
	}
	return &Semaphore{
		held:      make(chan struct{}, n),
		gate:      make(chan struct{}, 1),
		closed:    make(chan struct{}),
		closeOnce: make(chan struct{}, 1),
	}
}

// Acquire takes one permit, waiting in line until one is free.
// It is AcquireN(ctx, 1).
func (s *Semaphore) Acquire(ctx context.Context) error {
	return s.AcquireN(ctx, 1)
}

// AcquireN takes k permits at once, waiting in line until the acquirers
// ahead of it are served and k permits are free.
//
// It returns ErrClosed if the semaphore is closed before the permits are
// taken, and ctx.Err() if ctx ends first. In both cases it holds no permit on
// return and the waiters behind it move up: AcquireN is cancel-safe. If ctx
// is already done, AcquireN may still succeed when it does not have to wait.
//
// AcquireN panics if k is negative or larger than the semaphore's capacity,
// since such a request could never be granted.
func (s *Semaphore) AcquireN(ctx context.Context, k int) error {
	if k < 0 || k > cap(s.held) {
		panic(fmt.Sprintf("csp: Semaphore.AcquireN(%d) with capacity %d", k, cap(s.held)))
	}
	select {
	case <-s.closed:
		return ErrClosed
	default:
	}
	if k == 1 && len(s.gate) == 0 {
		// Nobody is collecting several permits, so a single permit needs
		// no gate: the runtime queues blocked senders on held in arrival
		// order, behind anyone already waiting there. Once a multi-permit
		// acquirer holds the gate, later single acquirers queue behind it
		// at the gate and cannot starve it.
		return s.acquireOne(ctx)
	}
	// Join the queue. A free gate means nobody is waiting at it (a blocked
	// sender on a one-slot channel implies the slot is full), so the fast
	// path never overtakes anyone.
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
	// At the head of the queue. While the gate is held nobody else adds
	// tokens, so the free permits can only grow; collect k of them.
	for i := 0; i < k; i++ {
		select {
		case s.held <- struct{}{}:
			continue
		default:
		}
		var err error
		select {
		case s.held <- struct{}{}:
			continue
		case <-ctx.Done():
			err = ctx.Err()
		case <-s.closed:
			err = ErrClosed
		}
		// Give back the i tokens collected so far before leaving the head.
		for ; i > 0; i-- {
			<-s.held
		}
		<-s.gate
		return err
	}
	<-s.gate
	return nil
}

func (s *Semaphore) acquireOne(ctx context.Context) error {
	select {
	case s.held <- struct{}{}:
		return nil
	default:
	}
	select {
	case s.held <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closed:
		return ErrClosed
	}
}

// TryAcquire takes one permit if it can do so at once without overtaking a
// waiter, and reports whether it did.
func (s *Semaphore) TryAcquire() bool {
	return s.TryAcquireN(1)
}

// TryAcquireN takes k permits if k are free and nobody is waiting in line,
// and reports whether it did. It never blocks, and it fails once the
// semaphore is closed. It panics if k is negative.
func (s *Semaphore) TryAcquireN(k int) bool {
	if k < 0 {
		panic(fmt.Sprintf("csp: Semaphore.TryAcquireN(%d)", k))
	}
	select {
	case <-s.closed:
		return false
	default:
	}
	select {
	case s.gate <- struct{}{}:
	default:
		return false // someone is at the head of the queue
	}
	ok := cap(s.held)-len(s.held) >= k
	if ok {
		// Holding the gate, the k free slots stay free: the sends cannot block.
		for i := 0; i < k; i++ {
			s.held <- struct{}{}
		}
	}
	<-s.gate
	return ok
}

// Release gives back one permit. It panics if no permit is held.
func (s *Semaphore) Release() {
	s.ReleaseN(1)
}

// ReleaseN gives back k permits. It panics if fewer than k permits are held,
// or if k is negative. Permits may be released after Close.
func (s *Semaphore) ReleaseN(k int) {
	if k < 0 {
		panic(fmt.Sprintf("csp: Semaphore.ReleaseN(%d)", k))
	}
	for i := 0; i < k; i++ {
		select {
		case <-s.held:
		default:
			panic("csp: Semaphore released more permits than are held")
		}
	}
}

// Available returns the number of permits that nobody holds. Permits already
// collected by the waiter at the head of the queue count as held.
func (s *Semaphore) Available() int {
	return cap(s.held) - len(s.held)
}

// Capacity returns the number of permits the semaphore was made with.
func (s *Semaphore) Capacity() int {
	return cap(s.held)
}

// Close makes every waiting and future acquire fail with ErrClosed. Permits
// that are held stay held and may still be released. Close is idempotent.
func (s *Semaphore) Close() {
	select {
	case s.closeOnce <- struct{}{}:
		close(s.closed)
	default:
	}
}
