package async

import "context"

// stopping is the part of an Executor that ends it: the refusal of new
// tasks, the wait for the live ones, the stop of its goroutines (the
// workers of a pool, or the helpers of a current-thread executor), and the
// drop of the tasks it gives up on.
type stopping struct {
	goroutines int           // workers or helpers started
	stop       chan struct{} // closed: the goroutines return, nothing is taken any more
	stopToken  chan struct{} // holds one token: whoever takes it stops the goroutines
	gone       chan struct{} // a token per goroutine that returned
	gaveUp     chan struct{} // closed before the tasks not complete are dropped
	stopped    chan struct{} // closed once every goroutine has returned and every task completed

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
		gaveUp:     make(chan struct{}),
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
// ends first, it gives up as Close does and returns ctx.Err(). If Close,
// or an earlier Shutdown, gave up first, it returns ErrClosed. In every
// case no worker goroutine is left when it returns. Shutdown may be called
// more than once and from several goroutines, but not from a task: it
// would wait for its own worker.
func (e *Executor) Shutdown(ctx context.Context) error {
	e.made()
	e.beginClosing()
	var err error
	select {
	case <-e.idle:
		if isClosed(e.gaveUp) {
			err = ErrClosed // the tasks completed because they were dropped
		}
	case <-ctx.Done():
		err = ctx.Err()
	case <-e.stopped:
		err = ErrClosed // Close (or an earlier Shutdown) gave up on the tasks
	}
	e.stopGoroutines(err != nil)
	return err
}

// Close stops the executor at once: Spawn refuses new tasks, each worker
// returns after the poll it is in, and the tasks not complete are
// abandoned: their Join reports ErrClosed. Without Config.DropOnClose
// they are never polled again nor dropped. With it, each is dropped (its
// Drop called, giving back its timers, registrations and places in wait
// lists), and its Join reports ErrAborted if it was aborted first; a task
// being polled, by a worker or by the goroutine that drives a
// current-thread executor, is dropped after that poll, by its poller, and
// Close returns once every task has completed. Like Shutdown, Close
// returns when no worker is left, and must not be called from a task or a
// Drop.
func (e *Executor) Close() {
	e.made()
	e.beginClosing()
	e.stopGoroutines(true)
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
// returned, then, if abandon is set and the executor has DropOnClose,
// drops the tasks that are not complete; a second call waits for the
// first.
func (e *Executor) stopGoroutines(abandon bool) {
	select {
	case <-e.stopToken:
	default:
		<-e.stopped
		return
	}
	close(e.stop)
	// A worker parked on the run queue sees the stop once a nudge wakes
	// it; nudges left in the channel are never taken.
	for n := 0; n < e.goroutines; {
		select {
		case <-e.gone:
			n++
		case e.queue.ch <- nil:
		}
	}
	if abandon && e.dropOnClose {
		close(e.gaveUp)
		e.abandon()
	}
	close(e.stopped)
}

// abandon drops every task that is not complete: tokio's
// close_and_shutdown_all. No worker or helper is left, but the driver of
// a current-thread executor may still be in a poll, or about to start one
// of a task it took before it saw the stop; Drop must not run during that
// poll, nor twice, nor after the task completed.
//
// So abandon marks each stripe abandoned, under its lock, and drops at once
// the tasks of it that are idle, which nothing but their wakers holds
// (abandonLocked): they are on the stripe's pended list, since every live
// task that has returned Pending is. From then on no task of the stripe
// becomes idle: one that returns Pending is dropped by its poller
// (pendingLocked). The rest wait in the run queue, or a waker is about to
// push them there, and no worker will take them: abandon takes what the
// queue holds, and what is pushed to it later, and drops each, until no
// task is live. So each task not complete is dropped by exactly one
// goroutine, which owns it: abandon, or its poller.
func (e *Executor) abandon() {
	var mine []runnable
	for i := range e.stripes {
		s := &e.stripes[i]
		s.acquire()
		s.abandoned = true
		s.pended.each(func(r runnable) {
			if r.hdr().abandonLocked() == dropIt {
				mine = append(mine, r)
			}
		})
		s.release()
		for j, r := range mine {
			r.dropAndComplete()
			mine[j] = nil
		}
		mine = mine[:0]
	}
	w := newWorker(e)
	for {
		r, again := w.take()
		switch {
		case r != nil:
			r.dropAndComplete()
		case again:
		default:
			select {
			case <-e.idle:
				return
			case r := <-e.queue.ch: // pushed since: a task, or a nudge
				if r != nil {
					r.dropAndComplete()
				}
			}
		}
	}
}

// A pendedList is a stripe's list of its live tasks that have returned
// Pending at least once, kept with Config.DropOnClose: every task that can
// be idle is on it, which is how Close finds those it must drop (tokio's
// OwnedTasks lists every task from its spawn; this list leaves out those
// that complete in their first poll). A task joins it at its first Pending
// and leaves it when it completes, in O(1), through its node. Guarded by
// the stripe lock.
type pendedList struct {
	head *pendedNode
}

// A pendedNode is a task's place on its stripe's pended list. It is not in
// the task's header, which every task has, since only an executor with
// DropOnClose keeps the list.
type pendedNode struct {
	task       runnable
	prev, next *pendedNode
}

// add puts r, whose header is h, at the head of the list.
func (l *pendedList) add(h *header, r runnable) {
	n := &pendedNode{task: r, next: l.head}
	if l.head != nil {
		l.head.prev = n
	}
	l.head, h.node = n, n
}

// remove takes h off the list.
func (l *pendedList) remove(h *header) {
	n := h.node
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		l.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	}
	h.node = nil
}

// each calls f with each task on the list. f must not add or remove.
func (l *pendedList) each(f func(r runnable)) {
	for n := l.head; n != nil; n = n.next {
		f(n.task)
	}
}
