package csp

import "context"

// A Notify wakes goroutines that wait for an event, the Go counterpart of
// tokio::sync::Notify. It carries no data: it says "look again", and the
// waiter then checks whatever state the event is about.
//
// NotifyOne wakes the oldest waiter. If nobody waits, it stores a permit
// instead, at most one, which the next Wait consumes at once; so a
// notification sent just before the waiter arrives is not lost, and a burst
// of notifications with nobody waiting collapses into one. NotifyWaiters
// wakes every goroutine waiting at that moment and stores nothing.
//
// The permit and the queue of waiters live in a one-slot channel that serves
// as the lock; each waiter parks on a channel of its own, which the notifier
// closes. Joining the queue under the lock is what makes a waiter count for
// both NotifyOne and NotifyWaiters from the same instant. Waiting parks only
// the goroutine, and Wait gives up when its context ends without losing a
// notification: a waiter chosen by NotifyOne whose context ends at that
// moment passes the notification on, to the next waiter or back to the
// permit.
//
// The zero value is not usable: every method panics on it. Make a Notify
// with NewNotify.
type Notify struct {
	state chan *notifyState // one slot: whoever holds the pointer holds the lock. Never nil once made.
}

// made panics if n is a zero Notify. state is set by NewNotify and never
// written again, so reading it races with nothing.
func (n *Notify) made() {
	if n.state == nil {
		panic("csp: Notify used without NewNotify")
	}
}

type notifyState struct {
	permit bool // a NotifyOne found nobody waiting
	// waiters, oldest first. A served waiter's val records whether NotifyOne
	// chose it (true) or NotifyWaiters woke it (false).
	waiters waitQueue[bool]
}

// NewNotify returns a Notify with no permit and nobody waiting.
func NewNotify() *Notify {
	n := &Notify{state: make(chan *notifyState, 1)}
	n.state <- &notifyState{}
	return n
}

// Wait returns when the goroutine is notified: at once if a permit is
// stored (consuming it), otherwise when NotifyOne chooses it or NotifyWaiters
// wakes it. Waiters are chosen by NotifyOne in arrival order.
//
// If ctx ends first, Wait returns ctx.Err() and leaves the Notify as if it
// had never been called: it leaves the queue, and if NotifyOne chose it at
// the same moment, the notification goes to the next waiter or becomes the
// permit. Wait is cancel-safe. If ctx is already done when Wait is called,
// Wait returns ctx.Err() at once and leaves a stored permit for the next
// Wait: a notification is consumed only by a waiter that reports it.
func (n *Notify) Wait(ctx context.Context) error {
	n.made()
	if err := ctx.Err(); err != nil {
		return err
	}
	s := <-n.state
	if s.permit {
		s.permit = false
		n.state <- s
		return nil
	}
	done := ctx.Done()
	w := s.waiters.push(false)
	n.state <- s
	if w.park(done) {
		return nil
	}
	s = <-n.state
	if w.queued {
		s.waiters.remove(w)
	} else if w.val {
		s.notifyOne() // chosen as ctx ended: pass the notification on
	}
	n.state <- s
	return ctx.Err()
}

// NotifyOne wakes the oldest waiter, or, if nobody is waiting, stores the
// permit (a Notify holds at most one). It never blocks for long: only while
// another call holds the Notify's lock.
func (n *Notify) NotifyOne() {
	n.made()
	s := <-n.state
	s.notifyOne()
	n.state <- s
}

func (s *notifyState) notifyOne() {
	if w := s.waiters.pop(); w != nil {
		w.val = true
		close(w.ready)
		return
	}
	s.permit = true
}

// NotifyWaiters wakes every goroutine waiting at this moment. It stores no
// permit, so a Wait that starts afterwards waits for the next notification;
// a permit that is already stored stays.
func (n *Notify) NotifyWaiters() {
	n.made()
	s := <-n.state
	for w := s.waiters.pop(); w != nil; w = s.waiters.pop() {
		close(w.ready)
	}
	n.state <- s
}
