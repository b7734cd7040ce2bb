package csp

// A waiter is a goroutine parked on a primitive, in that primitive's queue.
// It waits by receiving from ready; whoever serves it closes ready. Every
// other field belongs to whoever holds the state of the primitive that owns
// the queue, so it is read and written only under that primitive's lock.
type waiter[T any] struct {
	ready      chan struct{} // closed when the waiter is served
	next, prev *waiter[T]
	queued     bool // still in the queue: neither served nor removed
	val        T    // what the primitive records about this waiter
}

// A waitQueue is a FIFO of waiters linked through the waiters themselves, so
// that a waiter whose context ends leaves from the middle in constant time.
// It is a value kept inside a primitive's state; copying it copies the two
// ends, which is what passing the state through a one-slot channel does.
type waitQueue[T any] struct {
	head, tail *waiter[T]
}

func (q *waitQueue[T]) empty() bool { return q.head == nil }

// front returns the oldest waiter, or nil.
func (q *waitQueue[T]) front() *waiter[T] { return q.head }

// push appends a new waiter carrying val and returns it.
func (q *waitQueue[T]) push(val T) *waiter[T] {
	w := &waiter[T]{ready: make(chan struct{}), prev: q.tail, queued: true, val: val}
	if q.tail == nil {
		q.head = w
	} else {
		q.tail.next = w
	}
	q.tail = w
	return w
}

// remove unlinks w, which must be queued.
func (q *waitQueue[T]) remove(w *waiter[T]) {
	if w.prev == nil {
		q.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		q.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.next, w.prev, w.queued = nil, nil, false
}

// pop unlinks and returns the oldest waiter, or nil. It does not serve it:
// the caller closes ready once it has recorded what the waiter needs to know.
func (q *waitQueue[T]) pop() *waiter[T] {
	w := q.head
	if w != nil {
		q.remove(w)
	}
	return w
}

// park blocks until w is served or done is closed, and reports whether w was
// served. Once it returns false, the caller must take the primitive's lock
// and look at w.queued: w may have been served in the meantime.
func (w *waiter[T]) park(done <-chan struct{}) bool {
	if done == nil { // a context that never ends: a plain receive is cheaper than a select
		<-w.ready
		return true
	}
	select {
	case <-w.ready:
		return true
	case <-done:
		return false
	}
}
