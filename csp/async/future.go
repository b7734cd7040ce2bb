package async

import (
	"context"
	"errors"
)

// A Future is a computation that makes progress only when it is polled:
// Rust's std::future::Future.
//
// Poll does whatever work it can without blocking. If the result is ready
// it returns it and true (Rust's Poll::Ready(v)). If not, it arranges for
// cx.Waker() to be woken when progress is possible and returns false
// (Poll::Pending); it must not block, or it would hold a worker that other
// tasks need. A future is polled again after a wake, but also perhaps
// without one (a spurious poll), so Poll always re-checks what it waits for.
// Once Poll has returned true the future is finished and is not polled
// again.
//
// Futures are implemented on pointer receivers, since polling moves them
// from one state to the next, and are written as state machines: a state
// field, one case per state in Poll, the variables each state needs kept in
// the struct. See package github.com/chansync/chansync/inbox for the tutorial's AddToInbox.
type Future[T any] interface {
	Poll(cx *Context) (T, bool)
}

// A Dropper is a future that holds something it must give back when it is
// abandoned before completion: a timer, a reactor registration, a place in
// a wait list. Rust runs a future's Drop when it is dropped; Go has no
// destructors, so the executor calls Drop when a task is aborted, panics,
// is refused, or is abandoned by Close (or by a Shutdown that gave up),
// and BlockOn calls it when its context ends. Drop is called at most once,
// never concurrently with Poll, and never after Poll returned true. It
// must not block: it may run on a worker, on the reactor's goroutine, or
// on the goroutine in Close.
type Dropper interface {
	Drop()
}

// A Context is what Poll is given: Rust's std::task::Context. It carries the
// Waker of the task being polled, and the task's budget for this poll (see
// Proceed). A Context is only valid during the Poll call it was passed to;
// keep the Waker, not the Context.
type Context struct {
	waker  Waker
	budget int // units of work left in this poll; see Proceed
}

// Budget is how many units of work a task may do in one poll before
// Proceed makes it yield: tokio's cooperative budget (128 there, for units
// smaller than a whole read or write of a socket).
const Budget = 32

// NewContext returns a Context carrying w, with a full budget, for polling
// a future by hand (in a test, or in a future that wraps another and
// substitutes its own waker).
func NewContext(w Waker) *Context {
	return &Context{waker: w, budget: Budget}
}

// Waker returns the waker of the task being polled. Copy it freely.
func (cx *Context) Waker() Waker {
	return cx.waker
}

// Proceed spends one unit of the task's budget for this poll and reports
// whether the task may do that unit of work: tokio's coop::poll_proceed. A
// future that loops over I/O (reading a socket until it would block,
// writing back what it read) calls it before each step. Once the budget is
// spent, Proceed wakes the task and reports false, and the future returns
// Pending: it is polled again once the tasks queued before it have had
// their turn, so that one busy socket cannot keep a worker, or a reactor
// that drives its executor, from all the others. The executor gives each
// poll a full budget.
func (cx *Context) Proceed() bool {
	if cx.budget <= 0 {
		cx.waker.Wake()
		return false
	}
	cx.budget--
	return true
}

// A Waker schedules a task to be polled again: Rust's std::task::Waker.
//
// It is a small value (an interface: a data pointer and a method table,
// which is what Rust's RawWaker is) and may be copied and kept anywhere.
// Wake may be called any number of times, from any goroutine, at any moment:
// before the task has returned Pending, while it is being polled, after it
// has completed. The zero Waker does nothing. Wakers cannot be compared
// (their target may be a function).
type Waker struct {
	_ [0]func() // no ==: it would panic on a WakerFunc
	w interface{ Wake() }
}

// NewWaker returns a Waker that calls w.Wake. Tasks spawned on an Executor
// get their wakers from it; NewWaker is for everything else: a goroutine
// waiting for a future (BlockOn), a callback, a test that counts wakes.
func NewWaker(w interface{ Wake() }) Waker {
	return Waker{w: w}
}

// WakerFunc adapts a function to a Waker's target: NewWaker(WakerFunc(f)).
// The function is called on the goroutine that wakes, so it must be quick
// and must not block.
type WakerFunc func()

// Wake calls f.
func (f WakerFunc) Wake() { f() }

// Wake schedules the waker's task to be polled again.
func (w Waker) Wake() {
	if w.w != nil {
		w.w.Wake()
	}
}

// IsZero reports whether w is the zero Waker, which wakes nobody.
func (w Waker) IsZero() bool {
	return w.w == nil
}

// A signal is a Waker target for a goroutine that waits: a channel with one
// slot, so that a wake is remembered until the goroutine looks, and any
// number of wakes before it looks count as one.
type signal chan struct{}

func (s signal) Wake() {
	select {
	case s <- struct{}{}:
	default: // already signalled
	}
}

// BlockOn polls f on the calling goroutine until it is ready and returns
// its result: Rust's block_on. Between polls the goroutine sleeps until f's
// waker is woken. If ctx ends first, BlockOn returns ctx.Err(); a panic in
// Poll propagates to the caller, as in Rust. In both cases f is abandoned,
// and its Drop is called first if it is a Dropper. f may spawn tasks on an
// executor and wait for them (see JoinHandle.PollJoin).
func BlockOn[T any](ctx context.Context, f Future[T]) (v T, err error) {
	return blockOn(ctx, f, nil) // current.go, where RunOn shares it
}

// ErrAborted is what Join reports for a task that was aborted before it
// completed (tokio's JoinError::Cancelled).
var ErrAborted = errors.New("async: task aborted")

// ErrClosed is what Join reports for a task its executor gave up on: it was
// spawned after Shutdown began, or it had not completed when the executor
// stopped (and was dropped). Reactor methods return it once the reactor is
// closed.
var ErrClosed = errors.New("async: closed")
