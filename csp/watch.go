package csp

import "context"

// A Watch holds one value that changes over time and lets watchers wait for
// the next change, the Go counterpart of tokio::sync::watch. It keeps only
// the latest value: a watcher that is slow sees the newest value when it
// looks, never a backlog, and the sender never waits for a watcher.
//
// The value and its version, a count of the values sent, live in a one-slot
// channel that serves as the lock; each Watcher remembers the version it
// last saw. Watchers with nothing new wait on a channel that the next Send
// (or Close) closes, a broadcast wake-up made only when somebody waits.
//
// The zero value is not usable; call NewWatch.
type Watch[T any] struct {
	state chan *watchState[T] // one slot: whoever holds the pointer holds the lock
}

type watchState[T any] struct {
	value   T
	version uint64 // values sent so far
	closed  bool
	changed chan struct{} // nil, or closed by the next Send or Close
}

// A Watcher follows a Watch. It may be used by several goroutines, which
// then share what it has seen.
type Watcher[T any] struct {
	w    *Watch[T]
	seen uint64 // version last seen; under w's lock
}

// NewWatch returns a Watch holding initial.
func NewWatch[T any](initial T) *Watch[T] {
	w := &Watch[T]{state: make(chan *watchState[T], 1)}
	w.state <- &watchState[T]{value: initial}
	return w
}

// Send replaces the value and wakes every watcher waiting in Changed. It
// never waits for a watcher, only, briefly, for the Watch's lock. Send
// panics after Close, as a send on a closed channel does.
func (w *Watch[T]) Send(v T) {
	s := <-w.state
	if s.closed {
		w.state <- s
		panic("csp: Send on closed Watch")
	}
	s.value = v
	s.version++
	s.wake()
	w.state <- s
}

func (s *watchState[T]) wake() {
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// Borrow returns the latest value.
func (w *Watch[T]) Borrow() T {
	s := <-w.state
	v := s.value
	w.state <- s
	return v
}

// Subscribe returns a watcher that has seen the current value: its Changed
// waits for the next Send.
func (w *Watch[T]) Subscribe() *Watcher[T] {
	s := <-w.state
	r := &Watcher[T]{w: w, seen: s.version}
	w.state <- s
	return r
}

// Close ends the Watch: watchers that have seen the latest value get
// ErrClosed from Changed, and Borrow keeps returning the last value. Close
// is idempotent.
func (w *Watch[T]) Close() {
	s := <-w.state
	s.closed = true
	s.wake()
	w.state <- s
}

// Borrow returns the latest value. It does not mark it seen: call Changed
// for that.
func (r *Watcher[T]) Borrow() T {
	return r.w.Borrow()
}

// Changed returns nil once the Watch holds a value newer than the one this
// watcher last saw, at once if it already does, and marks that value seen;
// values sent in between are skipped. After Close, once the latest value
// has been seen, it returns ErrClosed.
//
// If ctx ends first, Changed returns ctx.Err() and marks nothing seen: it is
// cancel-safe. A newer value already there is reported even if ctx is done.
func (r *Watcher[T]) Changed(ctx context.Context) error {
	for {
		s := <-r.w.state
		switch {
		case r.seen != s.version:
			r.seen = s.version
			r.w.state <- s
			return nil
		case s.closed:
			r.w.state <- s
			return ErrClosed
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		changed := s.changed
		r.w.state <- s
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
