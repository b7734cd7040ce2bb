// Package h2o is the water factory of the tutorial (LeetCode's "Building
// H2O"): hydrogen and oxygen atoms arrive on their own goroutines and must
// leave in molecules of exactly two hydrogens and one oxygen.
//
// The solution takes two semaphores and a barrier, all made of channels:
//
//	hydrogen permits [H][H]   oxygen permit [O]
//	        \   /                  |
//	     barrier of 3: a generation completes with 3 live arrivals
//	        |                      |
//	      bond()  bond()         bond()
//	        |                      |
//	     permit back            permit back      ← only after bond returns
//
// At most two hydrogens and one oxygen hold permits at any moment, so the
// three arrivals that complete a barrier generation are always H, H and O.
// Because a permit comes back only when its atom has bonded, the next
// molecule cannot gather its three permits, and so cannot pass the barrier,
// until every bond of the current one has ended: molecules never overlap.
//
// Check verifies both properties on a log of bonds, for this factory or any
// other. The tutorial's two bugs are here too, as NoWaitFactory and
// PrematureReleaseFactory, so that Check can be seen catching them.
//
// TaskWater is the same factory the way Tokio runs it: each atom is a small
// state machine (AtomFuture) spawned as a task on the executor of
// csp/async, waiting on that package's semaphores and barrier, with no
// goroutine and no stack of its own. TaskNoWait and TaskPrematureRelease
// are the two bugs as tasks.
package h2o

import (
	"context"

	"github.com/chansync/chansync/csp"
)

// A Factory turns atoms into water. Each method blocks until its atom has
// bonded, calling bond exactly once in that case, or returns an error
// without calling bond.
type Factory interface {
	Hydrogen(ctx context.Context, bond func()) error
	Oxygen(ctx context.Context, bond func()) error
}

// Water is the correct factory.
//
// Cancellation: an atom whose context ends while it waits for a permit or at
// the barrier returns ctx.Err() without bonding, gives its permit back and
// withdraws its arrival (csp.Barrier is cancel-safe), so no molecule is
// formed with a missing atom and later atoms still bond. If its molecule is
// completed at the moment its context ends, the atom bonds and returns nil.
type Water struct {
	hydrogen *csp.Semaphore
	oxygen   *csp.Semaphore
	barrier  *csp.Barrier
}

// NewWater returns a factory ready to bond.
func NewWater() *Water {
	return &Water{
		hydrogen: csp.NewSemaphore(2),
		oxygen:   csp.NewSemaphore(1),
		barrier:  csp.NewBarrier(3),
	}
}

// Hydrogen brings one hydrogen atom to the factory.
func (w *Water) Hydrogen(ctx context.Context, bond func()) error {
	return atom(ctx, w.hydrogen, w.barrier, bond)
}

// Oxygen brings one oxygen atom to the factory.
func (w *Water) Oxygen(ctx context.Context, bond func()) error {
	return atom(ctx, w.oxygen, w.barrier, bond)
}

// atom is the whole protocol: permit, barrier, bond, and the permit back
// only after bond has returned.
func atom(ctx context.Context, permits *csp.Semaphore, barrier *csp.Barrier, bond func()) error {
	if err := permits.Acquire(ctx); err != nil {
		return err
	}
	defer permits.Release()
	if _, err := barrier.Wait(ctx); err != nil {
		return err
	}
	bond()
	return nil
}
