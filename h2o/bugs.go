package h2o

import (
	"context"

	"github.com/chansync/chansync/csp"
)

// NoWaitFactory is the tutorial's first bug, the forgotten .await:
//
//	let _permit = self.hydrogen.acquire(); // a future, never awaited
//	self.barrier.wait().await;
//	bond();
//
// In Rust the future is created and dropped unpolled, so the atom goes on to
// the barrier holding no permit. Go has no futures; the faithful analog of
// "an operation begun whose completion nobody waits for" is starting the
// acquire in its own goroutine and carrying on:
//
//	go f.hydrogen.Acquire(ctx) // started, never waited for
//
// The atom reaches the barrier without a permit, just as in Rust, so any
// three atoms can make a molecule. Go adds a cost Rust does not have: the
// forgotten acquires keep running, take permits that nobody will give back,
// and then wait; Close ends them. Call Close once the atoms are done.
type NoWaitFactory struct {
	hydrogen, oxygen *csp.Semaphore
	barrier          *csp.Barrier
	forgotten        *csp.Group // the acquires nobody waits for
}

// NewNoWait returns the forgotten-wait variant.
func NewNoWait() *NoWaitFactory {
	return &NoWaitFactory{
		hydrogen:  csp.NewSemaphore(2),
		oxygen:    csp.NewSemaphore(1),
		barrier:   csp.NewBarrier(3),
		forgotten: csp.NewGroup(),
	}
}

func (f *NoWaitFactory) Hydrogen(ctx context.Context, bond func()) error {
	return f.atom(ctx, f.hydrogen, bond)
}

func (f *NoWaitFactory) Oxygen(ctx context.Context, bond func()) error {
	return f.atom(ctx, f.oxygen, bond)
}

func (f *NoWaitFactory) atom(ctx context.Context, permits *csp.Semaphore, bond func()) error {
	f.forgotten.Go(func() error { return permits.Acquire(context.Background()) }) // BUG: not waited for
	if _, err := f.barrier.Wait(ctx); err != nil {
		return err
	}
	bond()
	return nil
}

// Close ends the forgotten acquires (they fail with csp.ErrClosed) and waits
// for them, so that the bug leaks no goroutine past Close.
func (f *NoWaitFactory) Close() {
	f.hydrogen.Close()
	f.oxygen.Close()
	_ = f.forgotten.Wait() // ErrClosed from the ones still waiting: expected
}

// PrematureReleaseFactory is the tutorial's second bug:
//
//	let _ = self.hydrogen.acquire().await; // `_` drops the permit at once
//	self.barrier.wait().await;
//	bond();
//
// Binding to `_` drops the permit on the spot, so the semaphore limits
// nothing. The Go analog is a Release right after the Acquire, where the
// correct code defers it until bond has returned:
//
//	f.hydrogen.Acquire(ctx)
//	f.hydrogen.Release() // given back before the barrier
//
// More than two hydrogens (or more than one oxygen) can then reach the
// barrier together, and a new molecule can start bonding while the last one
// still is.
type PrematureReleaseFactory struct {
	hydrogen, oxygen *csp.Semaphore
	barrier          *csp.Barrier
}

// NewPrematureRelease returns the premature-release variant.
func NewPrematureRelease() *PrematureReleaseFactory {
	return &PrematureReleaseFactory{
		hydrogen: csp.NewSemaphore(2),
		oxygen:   csp.NewSemaphore(1),
		barrier:  csp.NewBarrier(3),
	}
}

func (f *PrematureReleaseFactory) Hydrogen(ctx context.Context, bond func()) error {
	return f.atom(ctx, f.hydrogen, bond)
}

func (f *PrematureReleaseFactory) Oxygen(ctx context.Context, bond func()) error {
	return f.atom(ctx, f.oxygen, bond)
}

func (f *PrematureReleaseFactory) atom(ctx context.Context, permits *csp.Semaphore, bond func()) error {
	if err := permits.Acquire(ctx); err != nil {
		return err
	}
	permits.Release() // BUG: the permit is gone before the barrier
	if _, err := f.barrier.Wait(ctx); err != nil {
		return err
	}
	bond()
	return nil
}
