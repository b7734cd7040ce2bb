package async

import (
	"runtime/debug"
	"unsafe"

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
// in state.go; this file carries out what they return.
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

// header is the scheduling part of a task, guarded by its stripe's lock
// but for the stripe itself, which never changes. It is 48 bytes
// (TestTaskHeaderSize): what only a task joined from goroutines, or one
// that panicked, needs is in a joinWait of its own (joinhandle.go), and
// its place on its stripe's pended list in a node of its own.
type header struct {
	stripe    *stripe // one of its executor's, picked by its address (stripeOf)
	state     taskState
	end       ending      // how it completed; before that, endAborted once aborted
	join      *joinWait   // the goroutines in Join, while any wait; its panic, once it panicked
	joinWaker Waker       // the task waiting in PollJoin, if any
	node      *pendedNode // its place on its stripe's pended list, with Config.DropOnClose (shutdown.go)
}

// exec is the executor the task was spawned on.
func (h *header) exec() *Executor { return h.stripe.exec }

// lock takes the task's stripe lock and returns the stripe.
func (h *header) lock() *stripe {
	h.stripe.acquire()
	return h.stripe
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
	return spawn[T, F, PF](e, "", f)
}

// spawn is Spawn, and SpawnNamed with a name (record.go).
func spawn[T any, F any, PF interface {
	*F
	Future[T]
}](e *Executor, name string, f F) JoinHandle[T] {
	e.made()
	t := &task[T, F, PF]{fut: f}
	t.stripe = e.stripeOf(uintptr(unsafe.Pointer(t)))
	s := t.lock()
	next := t.spawnLocked(s)
	s.release()
	if next == refused {
		t.drop()
	} else {
		if e.rec.active() {
			e.rec.add(t, name)
		}
		e.push(t)
	}
	return JoinHandle[T]{t}
}

// do carries out what a transition returned, with no lock held.
func (t *task[T, F, PF]) do(next then) {
	switch next {
	case pushIt:
		t.exec().push(t)
	case dropIt:
		t.dropAndComplete()
	}
}

// Wake queues the task unless it is already queued, being polled (then it
// is polled again afterwards) or complete.
func (t *task[T, F, PF]) Wake() {
	s := t.lock()
	next := t.wakeLocked()
	s.release()
	t.do(next)
}

// run polls the task once on worker w and does what its state says next:
// complete it, queue it again, drop it, or leave it to its wakers.
func (t *task[T, F, PF]) run(w *worker) {
	w.cx.waker, w.cx.budget = Waker{w: t}, Budget
	var tr *taskRecord // its record, if polls are recorded (record.go)
	if w.e.rec.active() {
		tr = w.e.rec.startPoll(t, &w.cx)
	}
	out, ready, pe := t.poll(&w.cx)
	w.cx.waker = Waker{}
	if tr != nil {
		tr.endPoll(ready || pe != nil)
	}
	if pe != nil {
		t.drop() // the poll's panic is the one reported
		t.complete(endPanicked, pe)
		return
	}
	s := t.lock()
	if ready {
		t.out = out
		j := t.completeLocked(s, endReady, nil)
		s.release()
		j.tell(t.exec())
		return
	}
	next := t.pendingLocked(s, t)
	s.release()
	t.do(next)
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
// panicked. The caller owns the task: nobody polls it meanwhile.
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

// dropAndComplete drops a task that the caller owns after dropIt (see
// state.go), and completes it: aborted, or closed.
func (t *task[T, F, PF]) dropAndComplete() {
	if r := &t.exec().rec; r.active() {
		r.finish(t)
	}
	pe := t.drop()
	s := t.lock()
	j := t.droppedLocked(s, pe)
	s.release()
	j.tell(t.exec())
}

// complete completes a task that did not return Ready, and tells its
// joiners.
func (t *task[T, F, PF]) complete(how ending, pe *csp.PanicError) {
	s := t.lock()
	j := t.completeLocked(s, how, pe)
	s.release()
	j.tell(t.exec())
}

// abort implements JoinHandle.Abort.
func (t *task[T, F, PF]) abort() {
	s := t.lock()
	next := t.abortLocked()
	s.release()
	t.do(next)
}

// joiners is whom a completion must tell, once the stripe lock is released.
type joiners struct {
	join    *joinWait // what the goroutines in Join wait on, if any do
	task    Waker     // the task in PollJoin
	drained bool      // the completion left a closing stripe with no live task
}

// tell wakes the joiners of a task that has just completed. It is called
// with no lock held, since the joining task's wake takes a stripe lock.
func (j joiners) tell(e *Executor) {
	if w := j.join; w != nil {
		switch {
		case w.waiting == 1:
			w.done <- struct{}{} // its one slot is empty: nobody else sends on it; the joiner gives w back
		case w.waiting > 1:
			close(w.done) // one token would wake only one of them
		}
	}
	j.task.Wake()
	if j.drained {
		e.stripeDrained()
	}
}
