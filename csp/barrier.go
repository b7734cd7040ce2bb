package csp

import (
	"context"
	"fmt"
)

// A Barrier lets n goroutines wait for each other, over and over, like
// tokio::sync::Barrier. Unlike tokio's, Wait is cancel-safe: an arrival
// whose context ends is withdrawn, and the generation still needs n. The
// zero value is not usable: make a Barrier with NewBarrier.
type Barrier struct {
	// Arrivals are counted in generations. Each generation has its own
	// release channel; the n-th arrival closes it, which wakes the n-1
	// waiters of that generation at once, and opens a new generation with
	// a fresh channel. The count and the current channel live behind the
	// one-slot channel state, so an arrival, a withdrawal and a release
	// never interleave.
	//
	//	gen 1: A waits, B waits, C arrives → close(gen1) → A, B, C go on (C leads)
	//	gen 2: A waits, B waits, ...
	n     int
	state chan barrierState // one slot: whoever holds the value holds the lock. Never nil once made.
}

// made panics if b is a zero Barrier. state is set by NewBarrier and never
// written again, so reading it races with nothing.
func (b *Barrier) made() {
	if b.state == nil {
		panic("csp: Barrier used without NewBarrier")
	}
}

type barrierState struct {
	arrived int           // live arrivals in the current generation
	release chan struct{} // closed when the current generation is complete
}

// NewBarrier returns a barrier for n parties. It panics if n < 1.
func NewBarrier(n int) *Barrier {
	if n < 1 {
		panic(fmt.Sprintf("csp: NewBarrier(%d): need at least one party", n))
	}
	b := &Barrier{n: n, state: make(chan barrierState, 1)}
	b.state <- barrierState{release: make(chan struct{})}
	return b
}

// Wait blocks until n goroutines, this one included, have called Wait in the
// current generation. Exactly one of them, the last to arrive, is told it is
// the leader.
//
// Wait is cancel-safe, unlike tokio's Barrier::wait: if ctx ends before the
// generation is complete, Wait withdraws this arrival and returns ctx.Err(),
// and the generation still needs n live arrivals. If the generation completes
// at the same moment as ctx ends, the arrival counted and Wait reports
// success: an error from Wait always means the caller did not pass the
// barrier. If ctx is already done when Wait is called, Wait returns
// ctx.Err() without arriving, even if its arrival would have completed the
// generation.
func (b *Barrier) Wait(ctx context.Context) (leader bool, err error) {
	b.made()
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s := <-b.state
	s.arrived++
	if s.arrived == b.n {
		close(s.release)
		b.state <- barrierState{release: make(chan struct{})}
		return true, nil
	}
	release := s.release
	b.state <- s

	done := ctx.Done()
	if done == nil { // a context that never ends: a plain receive is cheaper than a select
		<-release
		return false, nil
	}
	select {
	case <-release:
		return false, nil
	case <-done:
	}
	// Withdraw, unless the generation completed before we got the lock: then
	// a new release channel is in place and our arrival already counted.
	s = <-b.state
	if s.release != release {
		b.state <- s
		return false, nil
	}
	s.arrived--
	b.state <- s
	return false, ctx.Err()
}

// Parties returns n, the number of goroutines that complete a generation.
func (b *Barrier) Parties() int {
	b.made()
	return b.n
}
