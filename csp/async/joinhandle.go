package async

import (
	"context"
	"runtime"

	"github.com/chansync/chansync/csp"
)

// A JoinHandle is the handle Spawn returns: tokio's JoinHandle. Join waits
// for the task's output from a goroutine, PollJoin waits for it from another
// task, Abort cancels the task, Wake has it polled again. Dropping a
// JoinHandle (forgetting it) lets the task run on, detached. A JoinHandle
// is a small value; copies refer to the same task. The zero JoinHandle
// refers to no task and must not be used.
type JoinHandle[T any] struct {
	t interface {
		runnable
		res() *result[T]
		abort()
	}
}

func (t *result[T]) res() *result[T] { return t }

// made panics if h is the zero JoinHandle.
func (h JoinHandle[T]) made() {
	if h.t == nil {
		panic("async: zero JoinHandle used: it refers to no task (JoinHandles come from Spawn)")
	}
}

// Join waits until the task completes and returns its output. The error is
// nil if the task returned Ready, a *csp.PanicError (with the task's stack)
// if its Poll panicked, ErrAborted if it was aborted first, ErrClosed if
// its executor stopped before it completed, or ctx.Err() if ctx ended
// first. Abandoning a Join leaves the task running. Any number of
// goroutines may Join the same task.
//
// The goroutines in Join wait on a joinWait from the executor's free list,
// given back once the task is joined, so that a spawned task and its Join
// cost one allocation, the task: the completion sends the one goroutine
// waiting a token, and closes the channel (which is then not reused) when
// there are several.
func (h JoinHandle[T]) Join(ctx context.Context) (T, error) {
	h.made()
	t := h.t.res()
	// A task just spawned is most often about to be polled by a worker
	// woken onto this very processor: yielding once first lets it finish,
	// and spares this goroutine a park and the task's completion a wake.
	// (A task long complete costs the yield, a hundred nanoseconds or so.)
	runtime.Gosched()
	s := t.lock()
	if t.state == complete {
		s.release()
		return t.output()
	}
	e := t.exec()
	if t.join == nil {
		t.join = e.joinSlots.get()
	}
	w := t.join
	w.waiting++
	s.release()
	var gaveUp error
	select {
	case _, token := <-w.done:
		e.joinSlots.joined(w, token)
		return t.output()
	case <-ctx.Done(): // nil, and never ready, for a context that never ends
		gaveUp = ctx.Err()
	case <-e.stopped:
		// Close gave up on it. With DropOnClose it has completed, and
		// its output (ErrClosed, or ErrAborted) is taken below.
		gaveUp = ErrClosed
	}
	s = t.lock()
	if t.state == complete {
		// Counted by the completion: its token, or the close, is on the
		// way, and the output wins.
		s.release()
		_, token := <-w.done
		e.joinSlots.joined(w, token)
		return t.output()
	}
	w.waiting--
	last := w.waiting == 0
	if last {
		t.join = nil // nobody waits: the completion will not use it
	}
	s.release()
	if last {
		e.joinSlots.free(w)
	}
	var zero T
	return zero, gaveUp
}

// PollJoin is Join for a task that waits for another: the JoinHandle as a
// future (in Rust, handle.await). It returns the output and true once the
// task is complete; otherwise it registers cx's waker, which the task wakes
// when it completes, and returns false. One task at a time may wait on a
// handle: the last waker registered is the one woken.
func (h JoinHandle[T]) PollJoin(cx *Context) (T, error, bool) {
	h.made()
	t := h.t.res()
	s := t.lock()
	if t.state == complete {
		s.release()
		v, err := t.output()
		return v, err, true
	}
	t.joinWaker.set(cx.Waker())
	s.release()
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
	h.made()
	h.t.abort()
}

// Wake wakes the task as its own Waker would: it is polled again, unless
// it has completed (then nothing happens). It is for whoever spawned a task
// and must have it look at something it does not wait on, a shutdown flag
// say: the task sees a poll in which what it waits for has not changed,
// which futures tolerate.
func (h JoinHandle[T]) Wake() {
	h.made()
	h.t.Wake()
}

// A joinWait is what the goroutines in Join of a task wait on, with their
// count, both guarded by the task's stripe lock; and, once the task has
// panicked, the panic its joiners report. A task has one only while
// goroutines wait for it, or once it panicked, so that its header stays
// small.
type joinWait struct {
	done     chan struct{} // capacity 1: a token for one goroutine, closed for several
	waiting  uint32
	panicked *csp.PanicError
}

// joinSlots is the executor's free list of joinWaits.
type joinSlots chan *joinWait

// joinSlotsKept is how many joinWaits the executor keeps for reuse: enough
// for as many goroutines joining at once as a program is likely to have,
// few enough to cost nothing worth counting.
const joinSlotsKept = 64

func newJoinSlots() joinSlots { return make(joinSlots, joinSlotsKept) }

// get returns a joinWait with nobody waiting and an empty channel, from the
// free list if it has one.
func (l joinSlots) get() *joinWait {
	select {
	case w := <-l:
		return w
	default:
		return &joinWait{done: make(chan struct{}, 1)}
	}
}

// joined is what a goroutine in Join does with the joinWait it waited on,
// once woken: one whose channel brought a token is empty again and is
// given back; a closed one is left to the collector.
func (l joinSlots) joined(w *joinWait, token bool) {
	if token {
		l.free(w)
	}
}

// free gives back a joinWait whose channel is empty again.
func (l joinSlots) free(w *joinWait) {
	w.waiting = 0
	select {
	case l <- w:
	default: // the free list is full: let the collector have it
	}
}

// output returns a complete task's result. It is called after the caller
// saw the complete state under the stripe lock, or after done was closed;
// either way the fields no longer change.
func (t *result[T]) output() (T, error) {
	var zero T
	switch t.end {
	case endPanicked:
		return zero, t.join.panicked
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

// Poll implements Future. It is PollJoin on each handle in turn, with one
// lock round trip for a run of handles whose tasks share a stripe, as
// tasks spawned one after another do (stripeOf): under that lock it
// counts the complete ones, and gives cx's waker to the first that is not.
// Each is called once the lock is released, since it may spawn or join.
func (j *JoinAll[T]) Poll(cx *Context) (struct{}, bool) {
	for j.next < len(j.Handles) {
		first := j.Handles[j.next]
		first.made()
		s := first.t.res().lock()
		end, pending := j.next, false
		for ; end < len(j.Handles); end++ {
			h := j.Handles[end].t
			if h == nil {
				break // a zero handle: made panics on it, with no lock held
			}
			t := h.res()
			if t.stripe != s {
				break
			}
			if t.state != complete {
				t.joinWaker.set(cx.Waker())
				pending = true
				break
			}
		}
		s.release()
		for ; j.next < end; j.next++ {
			if j.Each != nil {
				v, err := j.Handles[j.next].t.res().output()
				j.Each(j.next, v, err)
			}
			j.Handles[j.next] = JoinHandle[T]{}
		}
		if pending {
			return struct{}{}, false
		}
	}
	return struct{}{}, true
}
