package async

import (
	"context"
	"math/rand/v2"
	"runtime/debug"

	"github.com/chansync/chansync/csp"
)

// A task is a spawned future together with what the executor needs to run
// it: tokio's task Cell (header, future, output). It is the one heap
// allocation Spawn makes: the future is stored in it by value, its Waker is
// a pointer to it, and its JoinHandle is a pointer to it.
//
// Its scheduling state is guarded by one of the executor's striped locks
// (see Executor), not by a lock of its own: a channel per task would cost an
// allocation and about a hundred bytes.
type task[T any, F any, PF interface {
	*F
	Future[T]
}] struct {
	result[T]
	fut F
}

// result is the part of a task that does not depend on the future's type,
// which is what a JoinHandle[T] sees.
type result[T any] struct {
	header
	out T
}

// header is the scheduling part of a task.
type header struct {
	exec      *Executor
	state     taskState // guarded by the stripe lock
	stripe    uint8     // which of exec.stripes guards this task
	aborted   bool      // Abort was called; guarded by the stripe lock
	ending    ending    // how the task completed; set before state becomes complete
	panicked  *csp.PanicError
	done      chan struct{} // made by the first Join that has to wait; closed at completion
	joinWaker Waker         // the task waiting in PollJoin, if any
}

// taskState is the scheduling state of a task: tokio's RUNNING, NOTIFIED and
// COMPLETE bits, kept under a lock instead of in an atomic word.
type taskState uint8

const (
	// idle: the task returned Pending and waits for a wake. Nobody holds
	// it but its wakers; the first wake queues it.
	idle taskState = iota
	// scheduled: the task is in the run queue or being polled. A wake
	// only has to make sure it is polled again afterwards.
	scheduled
	// notified: scheduled, and woken since it was queued. After its poll
	// returns Pending the worker queues it again, so a wake during a poll
	// is not lost. (Telling "queued" from "being polled" would take one
	// more lock per poll; without it, a wake that arrives while the task
	// waits in the queue costs one spurious poll, which futures tolerate.)
	notified
	// complete: the task returned Ready, panicked, was aborted or was
	// refused. It is never polled again and wakes are ignored.
	complete
)

type ending uint8

const (
	endReady ending = iota
	endPanicked
	endAborted
	endClosed
)

// runnable is a task as the run queue sees it.
type runnable interface {
	Wake()
	run(w *worker)
}

// Spawn wraps the future f in a task and queues it on e: tokio::spawn. It
// returns at once; a worker polls the task later. The task is the only
// allocation: f is stored in it by value, so a state machine costs exactly
// one heap allocation per spawned operation.
//
// The output type T cannot be inferred from f's Poll method, so it is
// given explicitly: Spawn[error](e, op). If e is shutting down, the task is
// not queued: its Drop is called (if F has one) and its Join reports
// ErrClosed. Spawn may be called from any goroutine, tasks included, and
// never blocks.
func Spawn[T any, F any, PF interface {
	*F
	Future[T]
}](e *Executor, f F) JoinHandle[T] {
	t := &task[T, F, PF]{fut: f}
	t.exec = e
	t.stripe = uint8(rand.Uint32())
	t.state = scheduled
	s := &e.stripes[t.stripe]
	s.lock <- struct{}{}
	if s.closing {
		<-s.lock
		t.drop()
		t.state, t.ending = complete, endClosed
		return JoinHandle[T]{t}
	}
	s.live++
	<-s.lock
	e.push(t)
	return JoinHandle[T]{t}
}

// Wake queues the task unless it is already queued, being polled (then it
// is polled again afterwards) or complete.
func (t *task[T, F, PF]) Wake() {
	h := &t.header
	s := &h.exec.stripes[h.stripe]
	s.lock <- struct{}{}
	queue := false
	switch h.state {
	case idle:
		h.state, queue = scheduled, true
	case scheduled:
		h.state = notified
	}
	<-s.lock
	if queue {
		h.exec.push(t)
	}
}

// run polls the task once on worker w and decides what happens next:
// complete it, queue it again (it was woken during the poll), or leave it
// idle until a wake.
func (t *task[T, F, PF]) run(w *worker) {
	w.cx.waker = Waker{w: t}
	out, ready, pe := t.poll(&w.cx)
	w.cx.waker = Waker{}
	if pe != nil {
		t.drop() // the poll's panic is the one reported
		t.finish(endPanicked, pe)
		return
	}
	h := &t.header
	s := &h.exec.stripes[h.stripe]
	s.lock <- struct{}{}
	switch {
	case ready:
		t.out = out
		h.ending = endReady
		t.completeLocked(s)
		return
	case h.aborted:
		<-s.lock
		t.finish(endAborted, t.drop())
		return
	case h.state == notified:
		h.state = scheduled
		<-s.lock
		h.exec.push(t)
	default:
		h.state = idle
		<-s.lock
	}
}

// poll calls the future's Poll, turning a panic into a *csp.PanicError
// carrying the panicking stack.
func (t *task[T, F, PF]) poll(cx *Context) (out T, ready bool, pe *csp.PanicError) {
	defer func() {
		if v := recover(); v != nil {
			pe = &csp.PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	out, ready = PF(&t.fut).Poll(cx)
	return out, ready, nil
}

// drop calls the future's Drop if it has one, and returns its panic, if it
// panicked. The caller owns the task: no worker polls it meanwhile.
func (t *task[T, F, PF]) drop() (pe *csp.PanicError) {
	d, ok := any(PF(&t.fut)).(Dropper)
	if !ok {
		return nil
	}
	defer func() {
		if v := recover(); v != nil {
			pe = &csp.PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	d.Drop()
	return nil
}

// finish completes a task that did not return Ready. A panic (of the poll,
// or of Drop) overrides how.
func (t *task[T, F, PF]) finish(how ending, pe *csp.PanicError) {
	h := &t.header
	s := &h.exec.stripes[h.stripe]
	s.lock <- struct{}{}
	if pe != nil {
		how = endPanicked
	}
	h.ending, h.panicked = how, pe
	t.completeLocked(s)
}

// completeLocked marks the task complete, releases the stripe lock, and
// then tells whoever waits: the joining goroutines (done) and the joining
// task (joinWaker). Waking happens after the lock is released, because the
// joiner's wake takes a stripe lock too, perhaps this very one.
func (t *result[T]) completeLocked(s *stripe) {
	h := &t.header
	h.state = complete
	s.live--
	drained := s.closing && s.live == 0
	done, jw := h.done, h.joinWaker
	h.joinWaker = Waker{}
	<-s.lock
	if done != nil {
		close(done)
	}
	jw.Wake()
	if drained {
		h.exec.stripeDrained()
	}
}

// abort implements JoinHandle.Abort.
func (t *task[T, F, PF]) abort() {
	h := &t.header
	s := &h.exec.stripes[h.stripe]
	s.lock <- struct{}{}
	if h.state == complete || h.aborted {
		<-s.lock
		return
	}
	h.aborted = true
	if h.state != idle {
		// Queued or being polled: the worker drops it after that poll.
		<-s.lock
		return
	}
	// Idle: nobody will poll it, so drop it here. Marking it scheduled
	// keeps wakes from queueing it meanwhile.
	h.state = scheduled
	<-s.lock
	t.finish(endAborted, t.drop())
}

// A JoinHandle is the handle Spawn returns: tokio's JoinHandle. Join waits
// for the task's output from a goroutine, PollJoin waits for it from another
// task, Abort cancels the task, Wake has it polled again. Dropping a
// JoinHandle (forgetting it) lets the task run on, detached. A JoinHandle is a small value; copies refer to
// the same task. The zero JoinHandle refers to no task and must not be
// used.
type JoinHandle[T any] struct {
	t interface {
		runnable
		res() *result[T]
		abort()
	}
}

func (t *result[T]) res() *result[T] { return t }

// Join waits until the task completes and returns its output. The error is
// nil if the task returned Ready, a *csp.PanicError (with the task's stack)
// if its Poll panicked, ErrAborted if it was aborted first, ErrClosed if
// its executor stopped before it completed, or ctx.Err() if ctx ended
// first. Abandoning a Join leaves the task running. Any number of
// goroutines may Join the same task.
func (h JoinHandle[T]) Join(ctx context.Context) (T, error) {
	t := h.t.res()
	s := &t.exec.stripes[t.stripe]
	s.lock <- struct{}{}
	if t.state == complete {
		<-s.lock
		return t.output()
	}
	if t.done == nil {
		t.done = make(chan struct{})
	}
	done := t.done
	<-s.lock
	var zero T
	select {
	case <-done:
		return t.output()
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-t.exec.stopped:
		s.lock <- struct{}{}
		state := t.state
		<-s.lock
		if state == complete {
			return t.output()
		}
		return zero, ErrClosed
	}
}

// PollJoin is Join for a task that waits for another: the JoinHandle as a
// future (in Rust, handle.await). It returns the output and true once the
// task is complete; otherwise it registers cx's waker, which the task wakes
// when it completes, and returns false. One task at a time may wait on a
// handle: the last waker registered is the one woken.
func (h JoinHandle[T]) PollJoin(cx *Context) (T, error, bool) {
	t := h.t.res()
	s := &t.exec.stripes[t.stripe]
	s.lock <- struct{}{}
	if t.state == complete {
		<-s.lock
		v, err := t.output()
		return v, err, true
	}
	t.joinWaker = cx.Waker()
	<-s.lock
	var zero T
	return zero, nil, false
}

// Abort cancels the task: tokio's JoinHandle::abort. A task waiting for a
// wake is dropped at once, on the calling goroutine (its Drop runs, so it
// gives back its timers and registrations). A task that is queued or being
// polled is polled to the end of that poll, then dropped. A task that
// already completed keeps its output. Join then reports ErrAborted, or the
// output if the task completed first.
func (h JoinHandle[T]) Abort() {
	h.t.abort()
}

// Wake wakes the task as its own Waker would: it is polled again, unless
// it has completed (then nothing happens). It is for whoever spawned a task
// and must have it look at something it does not wait on, a shutdown flag
// say: the task sees a poll in which what it waits for has not changed,
// which futures tolerate.
func (h JoinHandle[T]) Wake() {
	h.t.Wake()
}

// output returns a complete task's result. It is called after the caller
// saw the complete state under the stripe lock, or after done was closed;
// either way the fields no longer change.
func (t *result[T]) output() (T, error) {
	var zero T
	switch t.ending {
	case endPanicked:
		return zero, t.panicked
	case endAborted:
		return zero, ErrAborted
	case endClosed:
		return zero, ErrClosed
	}
	return t.out, nil
}

// JoinAll is a future that waits for every task in Handles, in order:
// futures::future::join_all, in a form that allocates nothing per task.
// As each task completes, Each (if set) is called with its index and what
// Join would return; the handle is then cleared, so the task can be
// collected. It is ready once all are complete.
type JoinAll[T any] struct {
	Handles []JoinHandle[T]
	Each    func(i int, v T, err error)
	next    int
}

// Poll implements Future.
func (j *JoinAll[T]) Poll(cx *Context) (struct{}, bool) {
	for ; j.next < len(j.Handles); j.next++ {
		v, err, ok := j.Handles[j.next].PollJoin(cx)
		if !ok {
			return struct{}{}, false
		}
		if j.Each != nil {
			j.Each(j.next, v, err)
		}
		j.Handles[j.next] = JoinHandle[T]{}
	}
	return struct{}{}, true
}
