package csp

import (
	"context"
	"fmt"
)

// A Broadcast delivers every value sent to every subscriber, like
// tokio::sync::broadcast. Send never waits: it keeps the last capacity
// values, and a subscriber that falls further behind gets a *LaggedError
// and goes on from the oldest value kept. The zero value is not usable:
// make a Broadcast with NewBroadcast.
type Broadcast[T any] struct {
	// The last capacity values sent are kept in a ring, numbered in the
	// order they were sent; each Subscription remembers the number of the
	// next value it will receive, so a slow subscriber neither holds up the
	// sender nor makes it keep more. The ring and the counters live behind
	// the one-slot channel state. A subscriber with nothing to read waits on
	// a channel that the next Send (or Close) closes, a broadcast wake-up;
	// the channel is made only when somebody waits.
	state chan *broadcastState[T] // one slot: whoever holds the pointer holds the lock. Never nil once made.
}

// made panics if b is a zero Broadcast. state is set by NewBroadcast and
// never written again, so reading it races with nothing.
func (b *Broadcast[T]) made() {
	if b.state == nil {
		panic("csp: Broadcast used without NewBroadcast")
	}
}

type broadcastState[T any] struct {
	ring   []T    // value number i is at ring[i%len(ring)]
	next   uint64 // number of the next value to be sent
	subs   int    // subscriptions not closed
	closed bool
	sent   chan struct{} // nil, or closed by the next Send or Close
}

// A Subscription receives, in order, the values sent on a Broadcast after
// it subscribed; Recv is cancel-safe. Goroutines that share one share its
// position: each value goes to one of them. The zero value is not usable:
// get a Subscription from Broadcast.Subscribe.
type Subscription[T any] struct {
	b      *Broadcast[T] // never nil once made
	next   uint64        // number of the next value to receive; under b's lock
	closed bool          // under b's lock
}

// made panics if r is a zero Subscription. b is set by Subscribe and never
// written again, so reading it races with nothing.
func (r *Subscription[T]) made() {
	if r.b == nil {
		panic("csp: Subscription used without Broadcast.Subscribe")
	}
}

// A LaggedError is returned by Subscription.Recv when the subscriber fell so
// far behind that values it had not received were dropped. The subscription
// stays usable: the next Recv returns the oldest value still kept.
type LaggedError struct {
	Missed uint64 // values dropped before this subscriber received them
}

func (e *LaggedError) Error() string {
	return fmt.Sprintf("csp: subscriber lagged behind: %d values missed", e.Missed)
}

// NewBroadcast returns a Broadcast that keeps the last capacity values for
// slow subscribers. It panics if capacity < 1.
func NewBroadcast[T any](capacity int) *Broadcast[T] {
	if capacity < 1 {
		panic(fmt.Sprintf("csp: NewBroadcast(%d): need a capacity of at least one", capacity))
	}
	b := &Broadcast[T]{state: make(chan *broadcastState[T], 1)}
	b.state <- &broadcastState[T]{ring: make([]T, capacity)}
	return b
}

// Send delivers v to every current subscriber and returns how many there
// are; with no subscriber, v is dropped. It never waits for a subscriber,
// only, briefly, for the Broadcast's lock. Send panics after Close, as a
// send on a closed channel does.
func (b *Broadcast[T]) Send(v T) int {
	b.made()
	s := <-b.state
	if s.closed {
		b.state <- s
		panic("csp: Send on closed Broadcast")
	}
	n := s.subs
	if n > 0 {
		s.ring[s.next%uint64(len(s.ring))] = v
		s.next++
		s.wake()
	}
	b.state <- s
	return n
}

func (s *broadcastState[T]) wake() {
	if s.sent != nil {
		close(s.sent)
		s.sent = nil
	}
}

// Subscribe returns a subscription that receives the values sent from now
// on. After Close, the subscription's Recv returns ErrClosed.
func (b *Broadcast[T]) Subscribe() *Subscription[T] {
	b.made()
	s := <-b.state
	r := &Subscription[T]{b: b, next: s.next}
	s.subs++
	b.state <- s
	return r
}

// Close ends the broadcast: subscribers receive what is still kept for
// them, then ErrClosed. Close is idempotent.
func (b *Broadcast[T]) Close() {
	b.made()
	s := <-b.state
	s.closed = true
	s.wake()
	b.state <- s
}

// Recv returns the next value, in the order they were sent, waiting for one
// if there is none yet.
//
// If values this subscriber had not received were dropped, Recv returns a
// *LaggedError with their number instead, and the next Recv returns the
// oldest value still kept. After the Broadcast is closed and everything kept
// has been received, or after the subscription is closed, Recv returns
// ErrClosed.
//
// If ctx ends first, Recv returns ctx.Err() and no value is consumed: Recv
// is cancel-safe. If ctx is already done when Recv is called, Recv returns
// ctx.Err() even if values are waiting, and consumes nothing (nor reports a
// lag or ErrClosed): a receive loop stops as soon as its context ends
// instead of first draining the backlog, which stays for the next Recv.
func (r *Subscription[T]) Recv(ctx context.Context) (T, error) {
	r.made()
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	for {
		s := <-r.b.state
		capacity := uint64(len(s.ring))
		switch {
		case r.closed:
			r.b.state <- s
			return zero, ErrClosed
		case s.next-r.next > capacity:
			oldest := s.next - capacity
			missed := oldest - r.next
			r.next = oldest
			r.b.state <- s
			return zero, &LaggedError{Missed: missed}
		case r.next < s.next:
			v := s.ring[r.next%capacity]
			r.next++
			r.b.state <- s
			return v, nil
		case s.closed:
			r.b.state <- s
			return zero, ErrClosed
		}
		if s.sent == nil {
			s.sent = make(chan struct{})
		}
		sent := s.sent
		r.b.state <- s
		select {
		case <-sent:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
	}
}

// Close unsubscribes: Send no longer counts this subscription, and its Recv
// returns ErrClosed, also in a goroutine blocked in it. Close is idempotent.
func (r *Subscription[T]) Close() {
	r.made()
	s := <-r.b.state
	if !r.closed {
		r.closed = true
		s.subs--
		s.wake()
	}
	r.b.state <- s
}
