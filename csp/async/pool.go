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
func (w *worker) next() runnable {
	e := w.e
	for {
		if r := w.tryNext(); r != nil {
			return r
		}
		// Nothing queued (or stopping): park until a push or the stop.
		select {
		case r := <-e.queue.ch:
			if r != nil {
				return r
			}
			// A nudge: look at the overflow list again.
		case <-e.stop:
			return nil
		}
	}
}
