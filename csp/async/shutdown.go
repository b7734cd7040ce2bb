package async

import "context"

// stopping is the part of an Executor that ends it: the refusal of new
// tasks, the wait for the live ones, and the stop of its goroutines (the
// workers of a pool, or the helpers of a current-thread executor).
type stopping struct {
	goroutines int           // workers or helpers started
	stop       chan struct{} // closed: the goroutines return, nothing is taken any more
	stopToken  chan struct{} // holds one token: whoever takes it stops the goroutines
	gone       chan struct{} // a token per goroutine that returned
	stopped    chan struct{} // closed once every goroutine has returned

	closeToken chan struct{} // holds one token: whoever takes it closes the stripes
	drainLock  chan struct{} // guards pending
	pending    int           // stripes that still had live tasks when closing began
	idle       chan struct{} // closed when no task is live after closing began
}

func newStopping(goroutines int) stopping {
	s := stopping{
		goroutines: goroutines,
		stop:       make(chan struct{}),
		stopToken:  make(chan struct{}, 1),
		gone:       make(chan struct{}, goroutines),
		stopped:    make(chan struct{}),
		closeToken: make(chan struct{}, 1),
		drainLock:  make(chan struct{}, 1),
		idle:       make(chan struct{}),
	}
	s.stopToken <- struct{}{}
	s.closeToken <- struct{}{}
	return s
}

// isClosed reports whether c is closed: a look that never blocks.
func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// exited is what a worker or helper does last.
func (s *stopping) exited() { s.gone <- struct{}{} }

// Shutdown stops the executor gracefully: Spawn refuses new tasks at once
// (their Join reports ErrClosed), Shutdown waits until every task already
// spawned has completed, then stops the workers and returns nil. If ctx
// ends first, it stops the workers anyway and returns ctx.Err(): the tasks
// still waiting are abandoned, never polled again nor dropped, and their
// Join reports ErrClosed. If the workers were stopped by Close or by an
// earlier Shutdown that gave up, it returns ErrClosed. In every case no
// worker goroutine is left when it returns. Shutdown may be called more
// than once and from several goroutines, but not from a task: it would
// wait for its own worker.
func (e *Executor) Shutdown(ctx context.Context) error {
	e.made()
	e.beginClosing()
	var err error
	select {
	case <-e.idle:
	case <-ctx.Done():
		err = ctx.Err()
	case <-e.stopped:
		err = ErrClosed // Close (or an earlier Shutdown) gave up on the tasks
	}
	e.stopGoroutines()
	return err
}

// Close stops the executor at once: Spawn refuses new tasks, each worker
// returns after the poll it is in, and the tasks not complete are
// abandoned (their Join reports ErrClosed). Like Shutdown, it returns when
// no worker is left and must not be called from a task.
func (e *Executor) Close() {
	e.made()
	e.beginClosing()
	e.stopGoroutines()
}

// beginClosing marks every stripe closing, so Spawn refuses new tasks, and
// counts the stripes that still have live tasks; the last of them to drain
// closes idle.
func (e *Executor) beginClosing() {
	select {
	case <-e.closeToken:
	default:
		return // done already, or under way in another goroutine
	}
	e.drainLock <- struct{}{}
	for i := range e.stripes {
		s := &e.stripes[i]
		s.acquire()
		s.closing = true
		if s.live > 0 {
			e.pending++
		}
		s.release()
	}
	if e.pending == 0 {
		close(e.idle)
	}
	<-e.drainLock
}

// stripeDrained is called, with no lock held, by the task whose completion
// left its closing stripe with no live task.
func (e *Executor) stripeDrained() {
	e.drainLock <- struct{}{}
	e.pending--
	if e.pending == 0 {
		close(e.idle)
	}
	<-e.drainLock
}

// stopGoroutines stops the workers or helpers and waits until all have
// returned; a second call waits for the first.
func (e *Executor) stopGoroutines() {
	select {
	case <-e.stopToken:
		close(e.stop)
		// A worker parked on the run queue sees the stop once a nudge
		// wakes it; nudges left in the channel are never taken.
		for n := 0; n < e.goroutines; {
			select {
			case <-e.gone:
				n++
			case e.queue.ch <- nil:
			}
		}
		close(e.stopped)
	default:
		<-e.stopped
	}
}
