package async

// A workerPool is the executor's form with worker goroutines of its own:
// each takes a task from the run queue, polls it once, and takes the next.
// A task that returns Pending leaves the queue until something wakes it;
// Wake puts it back. A worker with nothing to take parks on the run queue's
// channel, where a push (or a nudge) finds it.
type workerPool struct {
	workers int
}

// work is the goroutine of one worker.
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
