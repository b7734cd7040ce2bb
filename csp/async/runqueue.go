package async

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

// runnable is a task as the run queue sees it.
type runnable interface {
	Wake()
	run(w *worker)
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

// push queues r and reports true, or reports false without queueing it if
// the channel is full and stop is closed: nobody will take it. It never
// blocks.
func (q *runQueue) push(r runnable, stop chan struct{}) bool {
	select {
	case q.ch <- r:
		return true
	default:
	}
	select {
	case <-stop:
		return false
	default:
	}
	if testHookOverflow != nil {
		testHookOverflow()
	}
	q.overflowLock <- struct{}{}
	q.overflow = append(q.overflow, r)
	<-q.overflowLock
	select {
	case q.overflowing <- struct{}{}:
	default: // there already
	}
	q.nudge()
	return true
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

// overflowed reports whether the overflow list may hold tasks. It never
// reports false while it holds some, except between a push's append and
// its token, after which the push makes sure a taker looks.
func (q *runQueue) overflowed() bool {
	return len(q.overflowing) > 0
}

// A worker is the state of one goroutine that takes tasks from the run
// queue and polls them: a worker of the pool, a helper, or the driver of a
// current-thread executor.
type worker struct {
	e     *Executor
	cx    Context    // reused for every poll: a Context is valid only during Poll
	tick  uint32     // takes so far, to look at the overflow list now and then
	local []runnable // tasks moved from the overflow list, polled before others
}

func newWorker(e *Executor) *worker {
	return &worker{e: e, local: make([]runnable, 0, overflowBatch)}
}

// tryNext returns the next task to poll without waiting, or nil when none
// is queued or the executor stops.
func (w *worker) tryNext() runnable {
	q := &w.e.queue
	for {
		select {
		case <-w.e.stop:
			return nil
		default:
		}
		if n := len(w.local); n > 0 {
			r := w.local[0]
			copy(w.local, w.local[1:])
			w.local[n-1] = nil
			w.local = w.local[:n-1]
			return r
		}
		w.tick++
		if w.tick%overflowInterval == 0 && w.takeOverflow() {
			continue
		}
		select {
		case r := <-q.ch:
			if r != nil {
				return r
			}
			continue // a nudge
		default:
		}
		if !w.takeOverflow() {
			return nil
		}
	}
}

// takeOverflow moves a batch of tasks from the overflow list to w.local and
// reports whether there were any.
func (w *worker) takeOverflow() bool {
	q := &w.e.queue
	if !q.overflowed() {
		return false
	}
	q.overflowLock <- struct{}{}
	n := min(len(q.overflow)-q.overflowHead, overflowBatch)
	for i := range n {
		w.local = append(w.local, q.overflow[q.overflowHead+i])
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
	return n > 0
}
