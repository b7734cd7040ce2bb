package csp

import "context"

// A Mutex is a mutual exclusion lock made of a channel with one slot: Lock
// puts a token in the slot and Unlock takes it out.
//
// Unlike sync.Mutex, a goroutine waiting in Lock can give up when its context
// ends, and the lock is fair: blocked lockers are served strictly in arrival
// order, because the runtime hands a freed slot directly to the oldest
// blocked sender, and TryLock cannot take it in between. Waiting parks only
// the goroutine, never an OS thread, so the lock may be held across channel
// waits, I/O or any other blocking call; this is the Go counterpart of
// tokio::sync::Mutex, whose guard may live across an .await.
//
// As with sync.Mutex, a Mutex is not tied to a goroutine: one goroutine may
// lock it and another unlock it.
//
// Unlike a zero sync.Mutex, the zero value is not usable: every method
// panics on it. Make a Mutex with NewMutex.
type Mutex struct {
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
