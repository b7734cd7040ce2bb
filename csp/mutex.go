package csp

import "context"

// A Mutex is a mutual exclusion lock that may be held across any blocking
// call, like tokio::sync::Mutex. Lockers are served in arrival order, and a
// Lock whose context ends leaves the line as if it had never joined. Unlike
// a sync.Mutex, the zero value is not usable: make a Mutex with NewMutex.
type Mutex struct {
	// A channel with one slot: Lock puts a token in it and Unlock takes it
	// out. The runtime queues blocked senders in arrival order and hands a
	// freed slot straight to the oldest, so the lock is fair and TryLock
	// cannot take it in between. A waiting locker parks its goroutine, never
	// an OS thread, which is what lets the lock be held across channel
	// waits and I/O. As with sync.Mutex, nothing ties the lock to a
	// goroutine: one may lock it and another unlock it.
	slot chan struct{} // never nil once made
}

// made panics if m is a zero Mutex. slot is set by NewMutex and never
// written again, so reading it races with nothing.
func (m *Mutex) made() {
	if m.slot == nil {
		panic("csp: Mutex used without NewMutex")
	}
}

// NewMutex returns an unlocked mutex.
func NewMutex() *Mutex {
	return &Mutex{slot: make(chan struct{}, 1)}
}

// Lock waits until the mutex is free and locks it. If ctx ends first, Lock
// returns ctx.Err() without the lock and leaves its place in line, and the
// lockers behind it move up: Lock is cancel-safe. If ctx is already done
// when Lock is called, Lock returns ctx.Err() and does not take the mutex,
// even if it is free.
func (m *Mutex) Lock(ctx context.Context) error {
	m.made()
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case m.slot <- struct{}{}:
		return nil
	default:
	}
	done := ctx.Done()
	if done == nil { // a context that never ends: a plain send is cheaper than a select
		m.slot <- struct{}{}
		return nil
	}
	select {
	case m.slot <- struct{}{}:
		return nil
	case <-done:
		return ctx.Err()
	}
}

// TryLock locks the mutex if it is free and nobody is waiting for it, and
// reports whether it did. It never blocks.
func (m *Mutex) TryLock() bool {
	m.made()
	select {
	case m.slot <- struct{}{}:
		return true
	default:
		return false
	}
}

// Unlock unlocks the mutex, handing it to the longest waiting locker if
// there is one. It panics if the mutex is not locked.
func (m *Mutex) Unlock() {
	m.made()
	select {
	case <-m.slot:
	default:
		panic("csp: unlock of unlocked Mutex")
	}
}
