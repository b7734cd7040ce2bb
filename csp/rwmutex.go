package csp

import "context"

// An RWMutex is a reader/writer lock that may be held across any blocking
// call, like tokio::sync::RwLock: any number of readers or one writer. It
// is served in arrival order, so readers cannot starve a writer, and every
// wait is cancel-safe. The zero value is not usable: use NewRWMutex.
type RWMutex struct {
	// A goroutine that cannot have the lock at once joins one queue,
	// readers and writers alike, served from the front: a writer at the
	// front waits until the readers holding the lock leave, readers that
	// arrive while a writer waits queue behind it, and a run of readers at
	// the front is admitted together. TryRLock and TryLock never overtake a
	// queued goroutine. The counts and the queue live behind the one-slot
	// channel below; each queued goroutine parks on a channel of its own,
	// closed when it is admitted. As with sync.RWMutex, nothing ties the
	// lock to a goroutine.
	state chan *rwState // one slot: whoever holds the pointer holds the lock. Never nil once made.
}

// made panics if m is a zero RWMutex. state is set by NewRWMutex and never
// written again, so reading it races with nothing.
func (m *RWMutex) made() {
	if m.state == nil {
		panic("csp: RWMutex used without NewRWMutex")
	}
}

type rwState struct {
	readers int             // readers holding the lock
	writer  bool            // a writer holds the lock
	queue   waitQueue[bool] // goroutines waiting, oldest first; val: a writer
}

// NewRWMutex returns an unlocked RWMutex.
func NewRWMutex() *RWMutex {
	m := &RWMutex{state: make(chan *rwState, 1)}
	m.state <- &rwState{}
	return m
}

// RLock takes the lock for reading: at once if no writer holds it and
// nobody is queued, otherwise in turn. As with sync.RWMutex, a reader must
// not take the read lock again while it holds it if a writer may queue in
// between: the writer waits for the first read lock, the second for the
// writer.
//
// If ctx ends first, RLock returns ctx.Err() without the lock and leaves the
// queue as if it had never been in it: RLock is cancel-safe. If the lock is
// granted at the moment ctx ends, RLock returns nil and the caller holds it:
// an error always means the lock is not held. If ctx is already done when
// RLock is called, RLock returns ctx.Err() and neither takes the lock nor
// queues, even if the lock is free.
func (m *RWMutex) RLock(ctx context.Context) error {
	m.made()
	if err := ctx.Err(); err != nil {
		return err
	}
	s := <-m.state
	if !s.writer && s.queue.empty() {
		s.readers++
		m.state <- s
		return nil
	}
	return m.wait(ctx, s, false)
}

// Lock takes the lock for writing: at once if nobody holds it and nobody is
// queued, otherwise in turn.
//
// If ctx ends first, Lock returns ctx.Err() without the lock and leaves the
// queue as if it had never been in it; readers that were queued behind it
// only because of it are admitted at once. Lock is cancel-safe. If the lock
// is granted at the moment ctx ends, Lock returns nil and the caller holds
// it. If ctx is already done when Lock is called, Lock returns ctx.Err()
// and neither takes the lock nor queues, even if the lock is free.
func (m *RWMutex) Lock(ctx context.Context) error {
	m.made()
	if err := ctx.Err(); err != nil {
		return err
	}
	s := <-m.state
	if !s.writer && s.readers == 0 && s.queue.empty() {
		s.writer = true
		m.state <- s
		return nil
	}
	return m.wait(ctx, s, true)
}

// wait queues the caller, with s held, until it is admitted or ctx ends.
func (m *RWMutex) wait(ctx context.Context, s *rwState, write bool) error {
	done := ctx.Done()
	w := s.queue.push(write)
	m.state <- s
	if w.park(done) {
		return nil
	}
	s = <-m.state
	if !w.queued {
		m.state <- s // admitted before we got the state back: we hold the lock
		return nil
	}
	s.queue.remove(w)
	s.admit() // w may have been what held up the goroutines behind it
	m.state <- s
	return ctx.Err()
}

// admit serves the front of the queue as far as the lock allows: a run of
// readers while no writer holds it, or one writer once nobody holds it.
func (s *rwState) admit() {
	for w := s.queue.front(); w != nil; w = s.queue.front() {
		if s.writer || (w.val && s.readers > 0) {
			return
		}
		s.queue.pop()
		close(w.ready)
		if w.val {
			s.writer = true
			return
		}
		s.readers++
	}
}

// TryRLock takes the lock for reading if it can do so at once without
// overtaking a queued goroutine, and reports whether it did.
func (m *RWMutex) TryRLock() bool {
	m.made()
	s := <-m.state
	ok := !s.writer && s.queue.empty()
	if ok {
		s.readers++
	}
	m.state <- s
	return ok
}

// TryLock takes the lock for writing if nobody holds it and nobody is
// queued, and reports whether it did.
func (m *RWMutex) TryLock() bool {
	m.made()
	s := <-m.state
	ok := !s.writer && s.readers == 0 && s.queue.empty()
	if ok {
		s.writer = true
	}
	m.state <- s
	return ok
}

// RUnlock gives back one read lock; the last reader to leave admits the
// writer at the front of the queue. It panics if no read lock is held.
func (m *RWMutex) RUnlock() {
	m.made()
	s := <-m.state
	if s.readers == 0 {
		m.state <- s
		panic("csp: RUnlock of RWMutex not locked for reading")
	}
	s.readers--
	s.admit()
	m.state <- s
}

// Unlock gives back the write lock and admits the front of the queue. It
// panics if the lock is not held for writing.
func (m *RWMutex) Unlock() {
	m.made()
	s := <-m.state
	if !s.writer {
		m.state <- s
		panic("csp: Unlock of RWMutex not locked for writing")
	}
	s.writer = false
	s.admit()
	m.state <- s
}
