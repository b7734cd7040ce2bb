package csp

import (
	"context"
	"errors"
)

// ErrAlreadySet is returned by OnceCell.Set when the cell already holds a
// value.
var ErrAlreadySet = errors.New("csp: OnceCell already set")

// A OnceCell holds a value that is set at most once, like
// tokio::sync::OnceCell: one initializer runs at a time, and one that fails
// or whose context ends leaves the cell empty for the next caller in line.
// Waits are cancel-safe. The zero value is not usable: use NewOnceCell.
type OnceCell[T any] struct {
	// The right to run an initializer is a turn that passes between
	// goroutines: a GetOrInit that finds the cell empty and nobody
	// initializing takes it; later callers queue for it, oldest first, and
	// each waits until the cell is set or the turn comes to it. The flag,
	// the turn and the queue live behind the one-slot channel state. The
	// value is written once, before ready is closed, so Get on a set cell
	// is one non-blocking receive.
	ready chan struct{}   // closed once the value is set. Never nil once made.
	value T               // written once, under the lock, before ready is closed
	state chan *onceState // one slot: whoever holds the pointer holds the lock
}

// made panics if c is a zero OnceCell. ready is set by NewOnceCell and
// never written again (only closed), so reading it races with nothing.
func (c *OnceCell[T]) made() {
	if c.ready == nil {
		panic("csp: OnceCell used without NewOnceCell")
	}
}

type onceState struct {
	set     bool
	running bool                // somebody holds the turn to initialize
	waiters waitQueue[struct{}] // waiting for the turn, oldest first
}

// NewOnceCell returns an empty cell.
func NewOnceCell[T any]() *OnceCell[T] {
	c := &OnceCell[T]{ready: make(chan struct{}), state: make(chan *onceState, 1)}
	c.state <- &onceState{}
	return c
}

// Get returns the value and true if the cell is set, or the zero value and
// false. It never blocks.
func (c *OnceCell[T]) Get() (T, bool) {
	select {
	case <-c.ready:
		return c.value, true
	default:
		c.made() // a nil ready is never ready: check here, off the fast path
		var zero T
		return zero, false
	}
}

// Set puts v in the cell if it is empty, and returns ErrAlreadySet if it is
// not. A Set while an initializer runs fills the cell: the goroutines
// waiting, and the initializer's caller, get v, and whatever the
// initializer returns is dropped.
func (c *OnceCell[T]) Set(v T) error {
	c.made()
	s := <-c.state
	if s.set {
		c.state <- s
		return ErrAlreadySet
	}
	c.publish(s, v)
	c.state <- s
	return nil
}

// publish stores v and wakes everybody waiting; the lock is held.
func (c *OnceCell[T]) publish(s *onceState, v T) {
	c.value = v
	s.set = true
	close(c.ready)
	for s.waiters.pop() != nil { // they wake on ready
	}
}

// passTurn hands the right to initialize to the oldest waiter, or frees it.
func (s *onceState) passTurn() {
	if w := s.waiters.pop(); w != nil {
		close(w.ready)
		return
	}
	s.running = false
}

// GetOrInit returns the cell's value, setting it first with init if the cell
// is empty. init runs in the calling goroutine with the caller's ctx, and
// only when nobody else is running one: callers that find an initializer
// running wait in line until the cell is set, or until that initializer
// fails and the turn comes to them, in arrival order.
//
// If init returns an error, the cell stays empty and GetOrInit returns that
// error; if init panics, the cell stays empty and the panic goes on in the
// caller. Either way the next goroutine in line runs its own init. Once the
// cell is set, GetOrInit returns its value and a nil error, whatever init
// returned.
//
// If ctx ends while GetOrInit waits in line, it returns ctx.Err() and leaves
// the line as if it had never joined it; if the turn came to it at that
// moment, the turn passes to the next in line. GetOrInit is cancel-safe. It
// does not interrupt a running init: init gets ctx and should return when it
// ends.
//
// If ctx is already done when GetOrInit is called, it returns the value if
// the cell is set, as tokio's get_or_init does (reading a set cell never
// waits, so there is nothing to cancel), and otherwise ctx.Err() without
// running init or joining the line.
func (c *OnceCell[T]) GetOrInit(ctx context.Context, init func(context.Context) (T, error)) (T, error) {
	if v, ok := c.Get(); ok {
		return v, nil
	}
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	s := <-c.state
	switch {
	case s.set:
		c.state <- s
		return c.value, nil
	case !s.running:
		s.running = true
		c.state <- s
	default:
		w := s.waiters.push(struct{}{})
		c.state <- s
		select {
		case <-c.ready:
			return c.value, nil
		case <-w.ready: // our turn
		case <-ctx.Done():
			var zero T
			s = <-c.state
			switch {
			case s.set:
				c.state <- s
				return c.value, nil
			case w.queued:
				s.waiters.remove(w)
			default:
				s.passTurn() // the turn came to us as ctx ended
			}
			c.state <- s
			return zero, ctx.Err()
		}
	}
	return c.initialize(ctx, init)
}

// initialize runs init holding the turn, then publishes its value or passes
// the turn on, also when init panics.
func (c *OnceCell[T]) initialize(ctx context.Context, init func(context.Context) (T, error)) (v T, err error) {
	succeeded := false
	defer func() {
		s := <-c.state
		switch {
		case s.set: // by a Set while we held the turn
			v, err = c.value, nil
		case succeeded:
			c.publish(s, v)
		default:
			s.passTurn()
		}
		c.state <- s
	}()
	if _, set := c.Get(); set {
		return v, nil // a Set filled the cell before the turn came to us
	}
	v, err = init(ctx)
	succeeded = err == nil
	return v, err
}
