package csp

import (
	"context"
	"fmt"
	"runtime/debug"
)

// A Group runs tasks in goroutines of their own and waits for them all,
// like tokio::spawn and join_all: Wait returns the first error and raises a
// task's panic again as a *PanicError; SetLimit bounds how many run at once.
// The zero value is not usable, unlike errgroup's: use NewGroup.
type Group struct {
	// The running count, the first error and the channel Wait waits on live
	// behind the one-slot channel state; the limit is a Semaphore. A task's
	// panic is caught in its goroutine, where nobody could recover it, and
	// kept for Wait.
	state  chan groupState // never nil once made
	limit  *Semaphore      // nil: no limit
	cancel context.CancelCauseFunc
}

// made panics if g is a zero Group. state is set by NewGroup and never
// written again, so reading it races with nothing.
func (g *Group) made() {
	if g.state == nil {
		panic("csp: Group used without NewGroup or WithContext")
	}
}

type groupState struct {
	running int
	err     error         // the first error returned by a task
	panic   *PanicError   // the first panic raised by a task
	idle    chan struct{} // closed when running drops to zero
}

// NewGroup returns an empty group with no limit.
func NewGroup() *Group {
	g := &Group{state: make(chan groupState, 1)}
	g.state <- groupState{}
	return g
}

// WithContext returns an empty group and a context derived from ctx. The
// context is cancelled, with the error as its cause, the first time a task
// returns an error or panics, and in any case when Wait returns.
func WithContext(ctx context.Context) (*Group, context.Context) {
	ctx, cancel := context.WithCancelCause(ctx)
	g := NewGroup()
	g.cancel = cancel
	return g, ctx
}

// SetLimit limits the group to n tasks running at once, as errgroup's does:
// Go then waits for a free slot as long as it takes, GoContext only until
// its context ends, and TryGo does not wait. A negative n removes the
// limit; n = 0 lets no new task start (Go waits forever, GoContext until
// its context ends, TryGo reports false). Waiting starters are served in
// arrival order.
//
// SetLimit panics if tasks are running, and must not be called while a Go
// or GoContext of the group may be waiting for a slot: set the limit before
// starting tasks, or after Wait.
func (g *Group) SetLimit(n int) {
	g.made()
	s := <-g.state
	running := s.running
	g.state <- s
	if running != 0 {
		panic(fmt.Sprintf("csp: Group.SetLimit called while %d tasks are running", running))
	}
	if n < 0 {
		g.limit = nil
		return
	}
	g.limit = newSemaphore(n)
}

// Go runs f in a new goroutine. If the group has a limit, Go first waits,
// for as long as it takes, until fewer than that many tasks are running;
// with a limit of zero it never returns. GoContext is the form that can give
// up.
func (g *Group) Go(f func() error) {
	// Background never ends and the limit is never closed, so GoContext
	// cannot fail here.
	_ = g.GoContext(context.Background(), f)
}

// GoContext runs f in a new goroutine, as Go does, but waits for a free slot
// only until ctx ends. It returns nil once f is started; f's own error goes
// to Wait, like that of a task started with Go. If ctx ends first, GoContext
// returns ctx.Err() and f is never run; the starters waiting behind it move
// up. If ctx is already done when GoContext is called, it returns ctx.Err()
// without starting f, even if a slot is free.
//
// ctx governs only the wait: f does not receive it and is not stopped when
// it ends.
func (g *Group) GoContext(ctx context.Context, f func() error) error {
	g.made()
	if err := ctx.Err(); err != nil {
		return err
	}
	if g.limit != nil {
		if err := g.limit.Acquire(ctx); err != nil {
			return err
		}
	}
	g.start(f)
	return nil
}

// TryGo runs f in a new goroutine if the group's limit allows one more task
// now, and reports whether it did. With a limit of zero it reports false.
func (g *Group) TryGo(f func() error) bool {
	g.made()
	if g.limit != nil && !g.limit.TryAcquire() {
		return false
	}
	g.start(f)
	return true
}

func (g *Group) start(f func() error) {
	s := <-g.state
	if s.running == 0 {
		s.idle = make(chan struct{})
	}
	s.running++
	g.state <- s
	go g.run(f)
}

func (g *Group) run(f func() error) {
	var err error
	var pe *PanicError
	defer func() {
		if pe == nil {
			// A task that panics never reaches the assignment below; recover
			// here, where its stack is still the one that panicked.
			if v := recover(); v != nil {
				pe = &PanicError{Value: v, Stack: debug.Stack()}
			}
		}
		g.finish(err, pe)
	}()
	err = f()
}

func (g *Group) finish(err error, pe *PanicError) {
	// Free the slot before the task stops counting as running, so that once
	// Wait sees the group idle, no task touches the limit any more.
	if g.limit != nil {
		g.limit.Release()
	}
	s := <-g.state
	first := false
	if pe != nil && s.panic == nil {
		s.panic = pe
		first = s.err == nil
	} else if err != nil && s.err == nil && s.panic == nil {
		s.err = err
		first = true
	}
	s.running--
	if s.running == 0 {
		close(s.idle)
		s.idle = nil
	}
	g.state <- s
	if first && g.cancel != nil {
		if pe != nil {
			g.cancel(pe)
		} else {
			g.cancel(err)
		}
	}
}

// Wait blocks until every task started with Go has returned, then returns
// the first error any of them returned, or nil. If a task panicked, Wait
// panics with a *PanicError carrying that task's panic value and stack. A
// Group made by WithContext cancels its context on the first error or
// panic, so that the other tasks can stop early. A Group may be used again
// after Wait returns; its first error is kept.
func (g *Group) Wait() error {
	g.made()
	s := <-g.state
	idle := s.idle
	g.state <- s
	if idle != nil {
		<-idle
	}
	s = <-g.state
	g.state <- s
	if g.cancel != nil {
		g.cancel(s.err)
	}
	if s.panic != nil {
		panic(s.panic)
	}
	return s.err
}
