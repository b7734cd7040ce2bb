package h2o

import (
	"context"
	"fmt"

	"github.com/chansync/chansync/csp/async"
)

// TaskWater is the water factory with its atoms as tasks, the way Tokio
// runs the tutorial's program: each atom is a small state machine (an
// AtomFuture) spawned on an async.Executor, waiting on the task-side
// semaphores and barrier of package async instead of blocking a goroutine.
// A waiting atom keeps its fields and nothing else, no stack; the
// executor's few workers poll whichever atoms can make progress.
//
// Its protocol and guarantees are Water's: two hydrogen permits, one
// oxygen permit, a barrier of three, each permit given back only after its
// atom has bonded; so molecules are H-H-O and never overlap.
//
// Cancellation is the task's: an atom is cancelled by aborting its task,
// whose Drop gives back what the atom holds (see AtomFuture.Drop). The
// blocking methods Hydrogen and Oxygen abort it when their context ends.
type TaskWater struct {
	exec     *async.Executor
	hydrogen *async.Semaphore
	oxygen   *async.Semaphore
	barrier  *async.Barrier
}

// NewTaskWater returns a factory whose atoms run on e.
func NewTaskWater(e *async.Executor) *TaskWater {
	return &TaskWater{
		exec:     e,
		hydrogen: async.NewSemaphore(2),
		oxygen:   async.NewSemaphore(1),
		barrier:  async.NewBarrier(3),
	}
}

// Atom returns the state machine of one atom of element el that calls
// bond, not yet polled: nothing happens until it is (futures are lazy).
// It panics if el is neither H nor O.
func (w *TaskWater) Atom(el Element, bond func()) AtomFuture {
	return AtomFuture{permits: w.permits(el), barrier: w.barrier, bond: bond}
}

// Spawn spawns one atom as a task and returns at once. The task completes
// once the atom has bonded.
func (w *TaskWater) Spawn(el Element, bond func()) async.JoinHandle[struct{}] {
	return async.Spawn[struct{}](w.exec, w.Atom(el, bond))
}

// Hydrogen spawns one hydrogen atom and waits for it to bond: the blocking
// Factory method, for a goroutine. If ctx ends first it aborts the atom and
// returns ctx.Err(), unless the atom bonded all the same (its molecule
// formed at that moment): then it returns nil. An error always means the
// atom did not bond.
func (w *TaskWater) Hydrogen(ctx context.Context, bond func()) error {
	return joinAtom(ctx, w.Spawn, H, bond)
}

// Oxygen is Hydrogen for an oxygen atom.
func (w *TaskWater) Oxygen(ctx context.Context, bond func()) error {
	return joinAtom(ctx, w.Spawn, O, bond)
}

// Waiting returns the number of atoms that have been polled and wait:
// queued for a permit, or holding one at the barrier.
func (w *TaskWater) Waiting() int {
	return w.hydrogen.Waiting() + w.oxygen.Waiting() + w.barrier.Arrived()
}

func (w *TaskWater) permits(el Element) *async.Semaphore {
	switch el {
	case H:
		return w.hydrogen
	case O:
		return w.oxygen
	}
	panic(fmt.Sprintf("h2o: an atom of unknown element %q", rune(el)))
}

// An AtomState is where an AtomFuture stands.
type AtomState uint8

const (
	// Acquiring: waiting for a permit of the atom's element.
	Acquiring AtomState = iota
	// AtBarrier: holds a permit, waits for the other two atoms of its
	// molecule.
	AtBarrier
	// Bonding: its molecule is formed; it bonds and gives its permit back
	// within the same poll.
	Bonding
	// Bonded: Poll returned Ready; the future must not be polled again.
	Bonded
)

// AtomFuture is one atom of the water factory as the Rust compiler would
// build it, written by hand. The tutorial's
//
//	async fn hydrogen(&self, bond: impl FnOnce()) {
//	    let _permit = self.hydrogen.acquire().await;  // Acquiring
//	    self.barrier.wait().await;                     // AtBarrier
//	    bond();                                        // Bonding
//	}                                                  // _permit dropped: the permit goes back
//
// becomes one state field and one case per state in Poll. Rust's enum
// would lay the Acquire future of the first state and the barrier's wait
// future of the second over the same bytes; by hand, the atom keeps one
// async.Waiter, its place in a wait list, and uses it first in the
// semaphore's queue (Semaphore.PollAcquire), then at the barrier
// (Barrier.PollWait). A spawned atom is one allocation, its task (128
// bytes), and a waiting atom is found by the semaphore or the barrier
// through that Waiter, inside the task: it must not be copied once
// polled.
type AtomFuture struct {
	permits *async.Semaphore
	barrier *async.Barrier
	bond    func()
	waiter  async.Waiter // in the permit queue while Acquiring, at the barrier while AtBarrier
	state   AtomState
}

// State returns the state the atom is in.
func (a *AtomFuture) State() AtomState { return a.state }

// Poll advances the atom as far as it can without waiting.
func (a *AtomFuture) Poll(cx *async.Context) (struct{}, bool) {
	for {
		switch a.state {
		case Acquiring: // let _permit = self.hydrogen.acquire().await;
			err, ready := a.permits.PollAcquire(cx, &a.waiter, 1)
			if !ready {
				return struct{}{}, false // queued: a Release wakes us
			}
			if err != nil {
				panic("h2o: " + err.Error()) // the factory never closes its semaphores
			}
			a.state = AtBarrier

		case AtBarrier: // self.barrier.wait().await;
			if _, ready := a.barrier.PollWait(cx, &a.waiter); !ready {
				return struct{}{}, false // the third atom of the molecule wakes us
			}
			a.state = Bonding

		case Bonding: // bond(); then _permit goes out of scope
			a.bond()
			a.permits.Release()
			a.state = Bonded
			return struct{}{}, true

		default:
			panic("h2o: AtomFuture polled after it bonded")
		}
	}
}

// Drop gives back what the atom holds when its task is aborted (or panics
// in bond), which is what Rust's drop of the future would do, state by
// state:
//   - Acquiring: it leaves the permit queue; a permit assigned to it that
//     it had not yet seen goes to the next atom.
//   - AtBarrier, molecule not yet formed: it withdraws its arrival and
//     gives its permit back, so the molecule forms with another atom.
//   - AtBarrier, molecule formed but not yet seen: the other two atoms have
//     passed the barrier counting on this one and nothing can be
//     withdrawn, so it bonds here, on the goroutine that aborted it, and
//     then gives its permit back, as Water's atom bonds when its context
//     ends at the moment its molecule forms.
//   - Bonding (bond panicked): the permit goes back, as Water's deferred
//     Release does.
func (a *AtomFuture) Drop() {
	switch a.state {
	case Acquiring:
		a.permits.CancelAcquire(&a.waiter)
	case AtBarrier:
		defer a.permits.Release() // even if bond panics
		if a.barrier.CancelWait(&a.waiter) {
			a.bond()
		}
	case Bonding:
		a.permits.Release()
	}
	a.state = Bonded
}

// A TaskFactory is a water factory whose atoms are tasks on an executor:
// Spawn starts one and returns at once. The Factory methods spawn one and
// wait for it.
type TaskFactory interface {
	Factory
	Spawn(el Element, bond func()) async.JoinHandle[struct{}]
}

// joinAtom spawns one atom and waits for it, aborting it if ctx ends
// first; see TaskWater.Hydrogen.
func joinAtom(ctx context.Context, spawn func(Element, func()) async.JoinHandle[struct{}], el Element, bond func()) error {
	bonded := false
	h := spawn(el, func() {
		bond()
		bonded = true // read below only after the task has completed
	})
	_, err := h.Join(ctx)
	if err == nil || ctx.Err() == nil {
		return err
	}
	h.Abort()
	if _, err := h.Join(context.Background()); err == nil || bonded {
		return nil
	}
	return ctx.Err()
}
