package async

// A Waiter is one place in the wait list of a Semaphore or a Barrier: the
// node of tokio's intrusive list of waiters. It lives inside the future
// that waits (embedded by value, so waiting allocates nothing), and the
// list links to it where it lies, inside the task; so a Waiter that is in
// use must not be copied or moved (Rust would pin it).
//
// The futures Acquire and BarrierWait each hold one. A hand-written state
// machine that waits on a semaphore and then on a barrier can hold a single
// Waiter instead and reuse it for each wait in turn, through
// Semaphore.PollAcquire and Barrier.PollWait: what Rust's compiler does
// when it lays the futures of an async fn's states over the same bytes.
// A Waiter is free again once the wait it served has returned Ready or
// been cancelled. The zero Waiter is free.
type Waiter struct {
	// Guarded by the lock of the primitive whose list it is on.
	prev, next *Waiter
	waker      Waker // the task to wake when the waiter is made ready
	want, got  int32 // Semaphore: permits asked for, permits assigned so far
	state      waiterState

	// The owner's, never touched by others: which primitive the wait in
	// progress is on, if any. Set when a wait starts, cleared when it ends.
	busy waiterKind
}

type waiterState uint8

const (
	// waiterIdle: not on a list.
	waiterIdle waiterState = iota
	// waiterQueued: on the list, waiting.
	waiterQueued
	// waiterReady: taken off the list by whoever made it ready (the
	// Release that assigned its last permit, the arrival that completed
	// its generation) and its waker woken. It is ready even if its owner
	// has not polled since.
	waiterReady
	// waiterClosed: taken off the list by Semaphore.Close.
	waiterClosed
)

type waiterKind uint8

const (
	notWaiting waiterKind = iota
	waitingOnSemaphore
	waitingOnBarrier
)

// start marks w as serving a wait on a primitive of kind k; it panics if
// w is already serving another wait.
func (w *Waiter) start(k waiterKind) {
	if w.busy != notWaiting {
		panic("async: a Waiter used for a second wait before the first ended")
	}
	w.busy = k
}

// check panics if w serves a wait on a primitive of another kind.
func (w *Waiter) check(k waiterKind) {
	if w.busy != k && w.busy != notWaiting {
		panic("async: a Waiter that waits on a Semaphore polled at a Barrier, or the reverse")
	}
}

// end frees w for another wait. The caller holds the lock of the
// primitive it waited on, or w never left its owner.
func (w *Waiter) end() {
	w.waker.set(Waker{})
	*w = Waiter{}
}

// A waitList is a first-in, first-out queue of waiters. It is doubly
// linked so that a waiter whose future is dropped leaves from the middle
// in O(1), without a search.
type waitList struct {
	head, tail *Waiter
	len        int
}

// pushBack queues w, which must not be on a list.
func (l *waitList) pushBack(w *Waiter) {
	w.prev, w.next = l.tail, nil
	if l.tail == nil {
		l.head = w
	} else {
		l.tail.next = w
	}
	l.tail = w
	l.len++
}

// remove takes w off the list, wherever it is.
func (l *waitList) remove(w *Waiter) {
	if w.prev == nil {
		l.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		l.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next = nil, nil
	l.len--
}

// release takes w off the list in state s and appends its waker to ws:
// the waker is called once the primitive's lock is released.
func (l *waitList) release(w *Waiter, s waiterState, ws []Waker) []Waker {
	l.remove(w)
	w.state = s
	ws = append(ws, w.waker)
	w.waker.set(Waker{})
	return ws
}

// releaseAll empties the list, leaving every waiter in state s, and
// appends their wakers to ws in queue order.
func (l *waitList) releaseAll(s waiterState, ws []Waker) []Waker {
	for l.head != nil {
		ws = l.release(l.head, s, ws)
	}
	return ws
}

// Wakers made due under a primitive's lock are collected in a slice and
// called after the lock is released: a Waker may run anything, a poll
// that takes the same lock included. The slice starts on the caller's
// stack (var buf [4]Waker; ws := buf[:0]), which covers the common case (a
// release wakes one or two waiters, a barrier of a few parties a few)
// without a heap allocation.

// wakeAll calls every waker in ws.
func wakeAll(ws []Waker) {
	for _, w := range ws {
		w.Wake()
	}
}
