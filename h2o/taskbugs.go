package h2o

import (
	"context"

	"github.com/chansync/chansync/csp/async"
)

// The tutorial's two bugs port to tasks as they are in Rust, since here an
// acquire is a future too.

// TaskNoWait is the forgotten .await with tasks:
//
//	let _permit = self.hydrogen.acquire(); // a future, never polled
//	self.barrier.wait().await;
//	bond();
//
// The atom makes its Acquire and never polls it, so, exactly as in Rust,
// the acquire does nothing at all: no permit is taken, and nothing is left
// running to clean up (unlike NoWaitFactory's forgotten goroutines). Any
// three atoms make a molecule.
type TaskNoWait struct{ w *TaskWater }

// NewTaskNoWait returns the forgotten-wait variant, its atoms running on e.
func NewTaskNoWait(e *async.Executor) *TaskNoWait {
	return &TaskNoWait{NewTaskWater(e)}
}

// Spawn spawns one atom as a task.
func (f *TaskNoWait) Spawn(el Element, bond func()) async.JoinHandle[struct{}] {
	return async.Spawn[struct{}](f.w.exec, noWaitAtom{acquire: f.w.permits(el).Acquire(), wait: f.w.barrier.Wait(), bond: bond})
}

// Hydrogen spawns one hydrogen atom and waits for it, as TaskWater's does.
func (f *TaskNoWait) Hydrogen(ctx context.Context, bond func()) error {
	return joinAtom(ctx, f.Spawn, H, bond)
}

// Oxygen spawns one oxygen atom and waits for it.
func (f *TaskNoWait) Oxygen(ctx context.Context, bond func()) error {
	return joinAtom(ctx, f.Spawn, O, bond)
}

type noWaitAtom struct {
	acquire async.Acquire // BUG: made, never polled
	wait    async.BarrierWait
	bond    func()
}

func (a *noWaitAtom) Poll(cx *async.Context) (struct{}, bool) {
	if _, ready := a.wait.Poll(cx); !ready {
		return struct{}{}, false
	}
	a.bond()
	return struct{}{}, true
}

func (a *noWaitAtom) Drop() {
	if a.wait.Cancel() {
		a.bond()
	}
}

// TaskPrematureRelease is the tutorial's second bug with tasks:
//
//	let _ = self.hydrogen.acquire().await; // `_` drops the permit at once
//	self.barrier.wait().await;
//	bond();
//
// The atom releases its permit as soon as it has it, so the semaphores
// limit nothing: wrong molecules, overlapping bonds.
type TaskPrematureRelease struct{ w *TaskWater }

// NewTaskPrematureRelease returns the premature-release variant, its atoms
// running on e.
func NewTaskPrematureRelease(e *async.Executor) *TaskPrematureRelease {
	return &TaskPrematureRelease{NewTaskWater(e)}
}

// Spawn spawns one atom as a task.
func (f *TaskPrematureRelease) Spawn(el Element, bond func()) async.JoinHandle[struct{}] {
	return async.Spawn[struct{}](f.w.exec, prematureAtom{f.w.Atom(el, bond)})
}

// Hydrogen spawns one hydrogen atom and waits for it, as TaskWater's does.
func (f *TaskPrematureRelease) Hydrogen(ctx context.Context, bond func()) error {
	return joinAtom(ctx, f.Spawn, H, bond)
}

// Oxygen spawns one oxygen atom and waits for it.
func (f *TaskPrematureRelease) Oxygen(ctx context.Context, bond func()) error {
	return joinAtom(ctx, f.Spawn, O, bond)
}

// prematureAtom is AtomFuture with the permit given back as soon as it is
// acquired.
type prematureAtom struct{ AtomFuture }

func (a *prematureAtom) Poll(cx *async.Context) (struct{}, bool) {
	for {
		switch a.state {
		case Acquiring: // let _ = self.hydrogen.acquire().await;
			if _, ready := a.permits.PollAcquire(cx, &a.waiter, 1); !ready {
				return struct{}{}, false
			}
			a.permits.Release() // BUG: the permit is gone before the barrier
			a.state = AtBarrier

		case AtBarrier:
			if _, ready := a.barrier.PollWait(cx, &a.waiter); !ready {
				return struct{}{}, false
			}
			a.bond()
			a.state = Bonded
			return struct{}{}, true

		default:
			panic("h2o: atom polled after it bonded")
		}
	}
}

func (a *prematureAtom) Drop() {
	switch a.state {
	case Acquiring:
		a.permits.CancelAcquire(&a.waiter)
	case AtBarrier:
		if a.barrier.CancelWait(&a.waiter) {
			a.bond()
		}
	}
	a.state = Bonded
}
