package csp

import "context"

// A Watch holds one value that changes over time, like tokio::sync::watch:
// watchers wait for the next change and see the latest value, never a
// backlog, and the sender never waits for them. The zero value is not
// usable: make a Watch with NewWatch.
type Watch[T any] struct {
	// Each value sent is an immutable snapshot: the value, a count of the
	// values sent before it, and a channel closed when a newer snapshot
	// replaces it or the Watch is closed. The current snapshot and the
	// closed flag live behind the one-slot channel state, but readers rarely
	// need it: a Watcher keeps the last snapshot it saw, and while that
	// snapshot's channel is open it is still the latest, which one
	// non-blocking receive tells. A waiting watcher blocks on the same
	// channel, and takes the lock only after a change, to fetch the new
	// snapshot. Snapshots do not point to their successors, so a watcher
	// that has not looked for a while holds one old value, not a chain.
	state chan *watchState[T] // one slot: whoever holds the pointer holds the lock. Never nil once made.
}

// made panics if w is a zero Watch. state is set by NewWatch and never
// written again, so reading it races with nothing.
func (w *Watch[T]) made() {
	if w.state == nil {
		panic("csp: Watch used without NewWatch")
	}
}

type watchState[T any] struct {
	current *snapshot[T]
	closed  bool
}

type snapshot[T any] struct {
	value   T
	version uint64        // values sent before this one
	stale   chan struct{} // closed when a newer snapshot replaces this one, or at Close
}

// A Watcher follows a Watch for one goroutine at a time, like a
// bufio.Reader: give each goroutine its own. Changed is cancel-safe. The
// zero value is not usable: get a Watcher from Watch.Subscribe.
type Watcher[T any] struct {
	w    *Watch[T]    // never nil once made
	snap *snapshot[T] // the latest snapshot this watcher has fetched
	seen uint64       // the version Changed last reported
}

// made panics if r is a zero Watcher. w is set by Subscribe and never
// written again.
func (r *Watcher[T]) made() {
	if r.w == nil {
		panic("csp: Watcher used without Watch.Subscribe")
	}
}

// NewWatch returns a Watch holding initial.
func NewWatch[T any](initial T) *Watch[T] {
	w := &Watch[T]{state: make(chan *watchState[T], 1)}
	w.state <- &watchState[T]{current: &snapshot[T]{value: initial, stale: make(chan struct{})}}
	return w
}

// Send replaces the value and wakes every watcher waiting in Changed. It
// never waits for a watcher, only, briefly, for the Watch's lock. Send
// panics after Close, as a send on a closed channel does.
func (w *Watch[T]) Send(v T) {
	w.made()
	s := <-w.state
	if s.closed {
		w.state <- s
		panic("csp: Send on closed Watch")
	}
	old := s.current
	s.current = &snapshot[T]{value: v, version: old.version + 1, stale: make(chan struct{})}
	close(old.stale)
	w.state <- s
}

// latest returns the current snapshot and whether the Watch is closed.
func (w *Watch[T]) latest() (*snapshot[T], bool) {
	s := <-w.state
	current, closed := s.current, s.closed
	w.state <- s
	return current, closed
}

// Borrow returns the latest value. A Watcher's Borrow is cheaper: it takes
// no lock while the value has not changed.
func (w *Watch[T]) Borrow() T {
	w.made()
	current, _ := w.latest()
	return current.value
}

// Subscribe returns a watcher that has seen the current value: its Changed
// waits for the next Send.
func (w *Watch[T]) Subscribe() *Watcher[T] {
	w.made()
	current, _ := w.latest()
	return &Watcher[T]{w: w, snap: current, seen: current.version}
}

// Close ends the Watch: watchers that have seen the latest value get
// ErrClosed from Changed, and Borrow keeps returning the last value. Close
// is idempotent.
func (w *Watch[T]) Close() {
	w.made()
	s := <-w.state
	if !s.closed {
		s.closed = true
		close(s.current.stale)
	}
	w.state <- s
}

// refresh fetches the latest snapshot if the one held is stale, and reports
// whether the Watch is closed.
func (r *Watcher[T]) refresh() (closed bool) {
	select {
	case <-r.snap.stale:
		r.snap, closed = r.w.latest()
		return closed
	default:
		return false
	}
}

// Borrow returns the latest value. It does not mark it seen: call Changed
// for that.
func (r *Watcher[T]) Borrow() T {
	r.made()
	r.refresh()
	return r.snap.value
}

// Changed returns nil once the Watch holds a value newer than the one this
// watcher last saw, at once if it already does, and marks that value seen;
// values sent in between are skipped. After Close, once the latest value
// has been seen, it returns ErrClosed.
//
// If ctx ends first, Changed returns ctx.Err() and marks nothing seen: it is
// cancel-safe. If ctx is already done when Changed is called, Changed
// returns ctx.Err() even if a newer value is there (or the Watch is closed),
// and marks nothing seen: the next Changed reports it.
func (r *Watcher[T]) Changed(ctx context.Context) error {
	r.made()
	if err := ctx.Err(); err != nil {
		return err
	}
	for {
		closed := r.refresh()
		if r.snap.version != r.seen {
			r.seen = r.snap.version
			return nil
		}
		if closed {
			return ErrClosed
		}
		select {
		case <-r.snap.stale:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
