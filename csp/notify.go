package csp

import "context"

// A Notify wakes goroutines that wait for an event, like
// tokio::sync::Notify: NotifyOne wakes the oldest waiter or, if nobody
// waits, stores one permit for the next Wait; NotifyWaiters wakes every
// present waiter. A Wait whose context ends takes no notification. The
// zero value is not usable: make a Notify with NewNotify.
type Notify struct {
	// All of it is wake, a channel with a buffer of one, on which every
	// waiter blocks in a receive. The runtime queues blocked receivers in
	// arrival order and hands a value sent on the channel straight to the
	// oldest; only when nobody is blocked does the value stay in the
	// buffer. That is NotifyOne: a non-blocking send of a permit, which
	// wakes the oldest waiter, or is stored, or, if a permit is stored
	// already, is dropped. A waiter wakes the moment its receive completes,
	// so a Wait that gives up when its context ends has taken nothing, and
	// one that took a notification reports it even if its context ended
	// meanwhile.
	//
	// NotifyWaiters sends its round's own channel instead of a permit, again
	// and again, one waiter at a time, until a send finds the buffer full,
	// which means that nobody is blocked any more. So a waiter counts for
	// NotifyOne and for NotifyWaiters from the same instant, the one at
	// which it blocks in the receive; with a separate channel to close for
	// NotifyWaiters, a waiter between the two channels would count for one
	// and not yet for the other. Its last successful send may have parked
	// the round's value in the buffer for want of a waiter; the round then
	// takes out whatever still fills the buffer, and puts it back if it is
	// a permit, so that the round leaves nothing behind. A waiter woken by a
	// round waits for that round to end before it returns, so that one
	// round cannot wake the same goroutine twice. Rounds, and a NotifyOne
	// that finds the buffer full, hold the one-slot lock round, so that
	// such a NotifyOne sees a stored permit and not a round's value.

	// Capacity one. nil is a permit from NotifyOne; any other value is the
	// channel of a NotifyWaiters round, closed when the round is over.
	// Never nil once made.
	wake chan chan struct{}
	// One slot: held by NotifyWaiters for its round, and by NotifyOne when
	// it finds wake full.
	round chan struct{}
}

// made panics if n is a zero Notify. wake is set by NewNotify and never
// written again, so reading it races with nothing.
func (n *Notify) made() {
	if n.wake == nil {
		panic("csp: Notify used without NewNotify")
	}
}

// NewNotify returns a Notify with no permit and nobody waiting.
func NewNotify() *Notify {
	return &Notify{wake: make(chan chan struct{}, 1), round: make(chan struct{}, 1)}
}

// Wait returns when the goroutine is notified: at once if a permit is
// stored (consuming it), otherwise when NotifyOne chooses it or NotifyWaiters
// wakes it. NotifyOne chooses waiters in arrival order.
//
// If ctx ends first, Wait returns ctx.Err() and leaves the Notify as if it
// had never been called: it took no notification, and the next one goes to
// the next waiter or becomes the permit. A Wait that was chosen as its
// context ended returns nil: it reports the notification it took. Wait is
// cancel-safe. If ctx is already done when Wait is called, Wait returns
// ctx.Err() at once and leaves a stored permit for the next Wait: a
// notification is consumed only by a waiter that reports it.
func (n *Notify) Wait(ctx context.Context) error {
	n.made()
	if err := ctx.Err(); err != nil {
		return err
	}
	var round chan struct{}
	if done := ctx.Done(); done == nil {
		// A context that never ends: a plain receive is cheaper than a
		// select.
		round = <-n.wake
	} else {
		select {
		case round = <-n.wake:
		case <-done:
			return ctx.Err()
		}
	}
	if round != nil {
		// Woken by NotifyWaiters. Returning before its round is over would
		// let this goroutine wait again and be woken by the same round.
		<-round
	}
	return nil
}

// NotifyOne wakes the oldest waiter, or, if nobody is waiting, stores the
// permit (a Notify holds at most one). It never blocks for long: at most
// while a NotifyWaiters round finishes, when it finds that round's value in
// the buffer.
func (n *Notify) NotifyOne() {
	n.made()
	select {
	case n.wake <- nil: // handed to the oldest waiter, or stored
		return
	default:
	}
	// The buffer is full: a permit is stored, or a round of NotifyWaiters
	// parked its value there and will take it out before it ends. Once no
	// round runs, a full buffer is a permit, and this notification
	// collapses into it.
	n.round <- struct{}{}
	select {
	case n.wake <- nil:
	default:
	}
	<-n.round
}

// NotifyWaiters wakes every goroutine waiting at this moment. It stores no
// permit, so a Wait that starts afterwards waits for the next notification;
// a permit that is already stored stays. It never blocks for long: at most
// while another NotifyWaiters, or a NotifyOne that found the buffer full,
// finishes.
func (n *Notify) NotifyWaiters() {
	n.made()
	n.round <- struct{}{}
	round := make(chan struct{})
send:
	for {
		select {
		case n.wake <- round: // to the oldest waiter, or parked in the buffer
		default:
			break send
		}
	}
	// Full, so nobody is blocked now: every goroutine that was waiting has
	// this round's value or a permit. If the buffer still holds what filled
	// it, take it out: this round's value, parked for want of a waiter, or a
	// permit, which stays. If a Wait took it first, nothing of this round is
	// left either.
	select {
	case v := <-n.wake:
		if v == nil {
			select {
			case n.wake <- nil: // the permit stays (or collapses with a newer one)
			default:
			}
		}
	default:
	}
	close(round)
	<-n.round
}
