package async

import (
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
// allocation and about a hundred bytes. The transitions of that state are
// in state.go.
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
	waiting   uint32    // goroutines waiting in Join on done; guarded by the stripe lock
	panicked  *csp.PanicError
	done      chan struct{} // what the goroutines in Join wait on, while any do
	joinWaker Waker         // the task waiting in PollJoin, if any
}

// lock takes the task's stripe lock and returns the stripe.
func (h *header) lock() *stripe {
	s := &h.exec.stripes[h.stripe]
	s.acquire()
	return s
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
	e.made()
	t := &task[T, F, PF]{fut: f}
	t.exec = e
	t.stripe = uint8(rand.Uint32())
	s := t.lock()
	accepted := t.spawnLocked(s)
	s.release()
	if !accepted {
		t.drop()
		return JoinHandle[T]{t}
	}
	e.push(t)
	return JoinHandle[T]{t}
}

// Wake queues the task unless it is already queued, being polled (then it
// is polled again afterwards) or complete.
func (t *task[T, F, PF]) Wake() {
	s := t.lock()
	push := t.wakeLocked()
	s.release()
	if push {
		t.exec.push(t)
	}
}

// run polls the task once on worker w and does what its state says next:
// complete it, queue it again, drop it, or leave it to its wakers.
func (t *task[T, F, PF]) run(w *worker) {
	w.cx.waker, w.cx.budget = Waker{w: t}, Budget
	out, ready, pe := t.poll(&w.cx)
	w.cx.waker = Waker{}
	if pe != nil {
		t.drop() // the poll's panic is the one reported
		t.finish(endPanicked, pe)
		return
	}
	s := t.lock()
	if ready {
		t.out = out
		j := t.completeLocked(s, endReady, nil)
		s.release()
		j.tell(t.exec)
		return
	}
	next := t.pendingLocked()
	s.release()
	switch next {
	case pollAgain:
		t.exec.push(t)
	case dropIt:
		t.finish(endAborted, t.drop())
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

// finish completes a task that did not return Ready, and tells its
// joiners. A panic (of the poll, or of Drop) overrides how.
func (t *task[T, F, PF]) finish(how ending, pe *csp.PanicError) {
	s := t.lock()
	j := t.completeLocked(s, how, pe)
	s.release()
	j.tell(t.exec)
}

// abort implements JoinHandle.Abort.
func (t *task[T, F, PF]) abort() {
	s := t.lock()
	dropNow := t.abortLocked()
	s.release()
	if dropNow {
		t.finish(endAborted, t.drop())
	}
}
