// Package baseline holds the conventional implementations, built on package
// sync, that chansync's benchmarks measure the channel-only ones against.
// It is imported only by benchmarks; nothing in csp, echo, h2o or cmd uses
// it at run time.
package baseline

import "sync"

// CondBarrier is the conventional cyclic barrier: a mutex, a condition
// variable and a generation counter. It is not cancellable.
type CondBarrier struct {
	mu      sync.Mutex
	cond    sync.Cond
	n       int
	arrived int
	gen     uint64
}

// NewCondBarrier returns a barrier for n parties.
func NewCondBarrier(n int) *CondBarrier {
	b := &CondBarrier{n: n}
	b.cond.L = &b.mu
	return b
}

// Wait blocks until n parties have called Wait in this generation and
// reports whether the caller was the last to arrive.
func (b *CondBarrier) Wait() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.arrived++
	if b.arrived == b.n {
		b.arrived = 0
		b.gen++
		b.cond.Broadcast()
		return true
	}
	for gen := b.gen; gen == b.gen; {
		b.cond.Wait()
	}
	return false
}
