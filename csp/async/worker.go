package async

// A worker is the state of one goroutine that takes tasks from the run
// queue and polls them: a worker of the pool, a helper of a current-thread
// executor, or its driver (the reactor's goroutine, or the one in RunOn).
// This file holds the worker and its loops: the pool worker's, which parks
// when the queue is empty; the helper's, which waits to be asked; and the
// one they share, which polls what is queued (the driver runs it in
// RunQueued). Close takes what is left in the queue with a worker of its
// own, to drop it (shutdown.go).
type worker struct {
	e     *Executor
	cx    Context    // reused for every poll: a Context is valid only during Poll
	tick  uint32     // takes so far, to look at the overflow list now and then
	local []runnable // tasks moved from the overflow list, polled before others
}

func newWorker(e *Executor) *worker {
	return &worker{e: e, local: make([]runnable, 0, overflowBatch)}
}

// A workerPool is the executor's form with worker goroutines of its own:
// each takes a task from the run queue, polls it once, and takes the next.
// A task that returns Pending leaves the queue until something wakes it;
// Wake puts it back. A worker with nothing to take parks on the run queue's
// channel, where a push (or a nudge) finds it.
type workerPool struct {
	workers int
}

// work is the goroutine of one worker of the pool.
func (e *Executor) work() {
	defer e.exited()
	w := newWorker(e)
	for {
		r := w.next()
		if r == nil {
			return
		}
		r.run(w)
	}
}

// next returns the next task to poll, waiting for one, or nil when the
// executor stops.
//
// A worker parks on a plain receive from the run queue's channel, not on a
// select with the stop: a select locks every channel it waits on, and the
// park is on every task's path. The stop reaches a parked worker as a
// nudge (see stopGoroutines), after which tryNext sees it.
func (w *worker) next() runnable {
	for {
		r := w.tryNext()
		if r != nil || isClosed(w.e.stop) {
			return r
		}
		if r := <-w.e.queue.ch; r != nil {
			return r
		}
		// A nudge: look at the overflow list, and at the stop, again.
	}
}

// help is the goroutine of a helper of a current-thread executor: it waits
// for the driving reactor to ask for help (currentThread.askHelp), then
// polls queued tasks until there are none.
func (c *currentThread) help() {
	e := c.driver.e
	defer e.exited()
	w := newWorker(e)
	for {
		select {
		case <-c.helpAsked:
		case <-e.stop:
			return
		}
		w.runQueued(-1)
	}
}

// runQueued polls queued tasks until none is queued, or the executor
// stops, or max of them have been polled (max < 0: no limit), and returns
// how many it polled. Tasks moved from the overflow list and not polled
// are given back to it, so that w holds none once it returns: a driver may
// not come back (RunOn returns, a reactor closes), and Close must find
// them.
func (w *worker) runQueued(max int) (polled int) {
	for ; polled != max; polled++ {
		r := w.tryNext()
		if r == nil {
			return polled
		}
		r.run(w)
	}
	w.giveBack()
	return polled
}

// tryNext returns the next task to poll without waiting, or nil when none
// is queued or the executor stops. A worker that sees the stop gives back
// the tasks it moved from the overflow list, for Close to find.
func (w *worker) tryNext() runnable {
	for {
		select {
		case <-w.e.stop:
			w.giveBack()
			return nil
		default:
		}
		if r, again := w.take(); !again {
			return r
		}
	}
}

// take makes one attempt at taking a queued task: from w.local first, then
// (now and then) the overflow list, then the channel, then the overflow
// list. It returns the task, or nil and whether to try again at once (it
// took a nudge, or moved tasks from the overflow list to w.local). It
// does not look at the stop: Close takes what is left with it.
func (w *worker) take() (r runnable, again bool) {
	if n := len(w.local); n > 0 {
		r := w.local[0]
		copy(w.local, w.local[1:])
		w.local[n-1] = nil
		w.local = w.local[:n-1]
		return r, false
	}
	q := &w.e.queue
	w.tick++
	if w.tick%overflowInterval == 0 && w.takeOverflow() {
		return nil, true
	}
	select {
	case r := <-q.ch:
		return r, r == nil // a nil is a nudge: look again
	default:
	}
	return nil, w.takeOverflow()
}

// takeOverflow moves a batch of tasks from the overflow list to w.local and
// reports whether there were any.
func (w *worker) takeOverflow() bool {
	var n int
	w.local, n = w.e.queue.takeOverflow(w.local)
	return n > 0
}

// giveBack returns the tasks w moved from the overflow list and has not
// polled to the head of that list.
func (w *worker) giveBack() {
	if len(w.local) > 0 {
		w.e.queue.giveBack(w.local)
		clear(w.local)
		w.local = w.local[:0]
	}
}
