package async

import "slices"

// The run queue holds the tasks that are scheduled and not yet taken: a
// buffered channel of tasks, and an overflow list behind it.
//
// The channel is bounded, and a wake must never block: a worker that wakes
// another task while the channel is full would wait for a worker (perhaps
// itself) to make room, and the reactor must keep going whatever the queue
// holds. So a push that finds the channel full appends the task to the
// overflow list (guarded by a one-slot lock channel) and drops a nil into
// the channel if there is room, to wake a parked taker. Takers look at the
// overflow list when the channel is empty, before they park, and every 61
// tasks otherwise, so a task that overflowed is never starved (tokio's
// injection queue, checked every 61 ticks). No wake-up is lost between a
// taker's look at the list and its park: the push appends first and then
// tries to drop its nil in. If the channel has room, a parked taker wakes
// and looks again; if it has none, it holds tasks, and the taker that
// takes the last of them looks at the list before it parks.
type runQueue struct {
	ch chan runnable // nil entries are nudges: look at the overflow list

	overflowLock chan struct{} // guards overflow and overflowHead
	overflow     []runnable
	overflowHead int
	// overflowing holds a token whenever the overflow list is not empty
	// (and, for a moment, after it was emptied), so that a taker finds an
	// empty list without taking its lock: the token is left after each
	// append and taken, under the lock, by the taker that empties the list.
	overflowing chan struct{}
}

// runnable is a task as the run queue, and its stripe's pended list, see
// it.
type runnable interface {
	Wake()
	run(w *worker)    // poll it: the caller took it from the run queue
	dropAndComplete() // the caller owns it after dropIt (state.go)
	hdr() *header
}

const (
	overflowInterval = 61 // takes between two looks at the overflow list
	overflowBatch    = 16 // tasks a taker moves from the overflow list at once
)

func newRunQueue(capacity int) runQueue {
	return runQueue{
		ch:           make(chan runnable, capacity),
		overflowLock: make(chan struct{}, 1),
		overflowing:  make(chan struct{}, 1),
	}
}

// push queues r. It never blocks: a full channel sends r to the overflow
// list.
func (q *runQueue) push(r runnable) {
	select {
	case q.ch <- r:
		return
	default:
	}
	if testHookOverflow != nil {
		testHookOverflow()
	}
	q.overflowLock <- struct{}{}
	q.overflow = append(q.overflow, r)
	<-q.overflowLock
	q.overflowed()
}

// overflowed leaves the token that says the overflow list holds tasks,
// and nudges a taker to come and look. The caller has just added to it.
func (q *runQueue) overflowed() {
	select {
	case q.overflowing <- struct{}{}:
	default: // there already
	}
	q.nudge()
}

// nudge drops a nil into the channel if it has room, to wake a taker that
// may have parked after its last look at the overflow list. If it has
// none, the takers are busy with what it holds and will look again before
// they park.
func (q *runQueue) nudge() {
	select {
	case q.ch <- nil:
	default:
	}
}

// testHookOverflow, if set by a test, is called by a push that found the
// run queue full, before it appends to the overflow list.
var testHookOverflow func()

// mayOverflow reports whether the overflow list may hold tasks. It never
// reports false while it holds some, except between a push's append and
// its token, after which the push makes sure a taker looks.
func (q *runQueue) mayOverflow() bool {
	return len(q.overflowing) > 0
}

// takeOverflow moves up to overflowBatch tasks from the head of the
// overflow list to the end of local, and returns local and how many it
// moved.
func (q *runQueue) takeOverflow(local []runnable) ([]runnable, int) {
	if !q.mayOverflow() {
		return local, 0
	}
	q.overflowLock <- struct{}{}
	n := min(len(q.overflow)-q.overflowHead, overflowBatch)
	for i := range n {
		local = append(local, q.overflow[q.overflowHead+i])
		q.overflow[q.overflowHead+i] = nil
	}
	q.overflowHead += n
	more := q.overflowHead < len(q.overflow)
	switch {
	case !more:
		q.overflow, q.overflowHead = q.overflow[:0], 0
		select {
		case <-q.overflowing:
		default:
		}
	case q.overflowHead > cap(q.overflow)/2:
		rest := copy(q.overflow, q.overflow[q.overflowHead:])
		clear(q.overflow[rest:])
		q.overflow, q.overflowHead = q.overflow[:rest], 0
	}
	<-q.overflowLock
	if more {
		q.nudge() // let another taker share what is left
	}
	return local, n
}

// giveBack puts tasks that a taker moved from the overflow list and will
// not poll back at the head of the list, in their order, for another
// taker: a worker that stops, or a driver that stops driving for now.
//
// They most often go back into the places they were taken from, in O(k);
// only a list emptied or compacted since makes room by moving the rest.
func (q *runQueue) giveBack(rs []runnable) {
	q.overflowLock <- struct{}{}
	if k := len(rs); q.overflowHead >= k {
		q.overflowHead -= k
		copy(q.overflow[q.overflowHead:], rs)
	} else {
		q.overflow = slices.Insert(q.overflow, q.overflowHead, rs...)
	}
	<-q.overflowLock
	q.overflowed()
}
