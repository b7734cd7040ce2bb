package h2o

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/sourcegraph/conc"
)

// bring calls the factory method for atom's element.
func bring(ctx context.Context, f Factory, a Atom, bond func()) error {
	if a.Element == H {
		return f.Hydrogen(ctx, bond)
	}
	return f.Oxygen(ctx, bond)
}

// schedule drives atoms into a factory one at a time inside a synctest
// bubble: each atom is durably blocked (or done) before the next arrives, so
// the interleaving is exactly the order given.
type schedule struct {
	t    *testing.T
	f    Factory
	log  *Log
	errs map[Atom]chan error
}

func newSchedule(t *testing.T, f Factory) *schedule {
	return &schedule{t: t, f: f, log: NewLog(), errs: map[Atom]chan error{}}
}

func (s *schedule) arrive(ctx context.Context, atoms ...Atom) {
	for _, a := range atoms {
		errc := make(chan error, 1)
		s.errs[a] = errc
		go func() { errc <- bring(ctx, s.f, a, s.log.Record(a, nil)) }()
		synctest.Wait()
	}
}

// arriveBlocking is arrive with a bond that blocks until release is closed,
// so bonds can be caught in progress.
func (s *schedule) arriveBlocking(release <-chan struct{}, atoms ...Atom) {
	for _, a := range atoms {
		errc := make(chan error, 1)
		s.errs[a] = errc
		go func() {
			errc <- bring(context.Background(), s.f, a, s.log.Record(a, func() { <-release }))
		}()
		synctest.Wait()
	}
}

func (s *schedule) err(a Atom) error {
	s.t.Helper()
	select {
	case err := <-s.errs[a]:
		return err
	default:
		s.t.Fatalf("atom %s has not returned", a)
		return nil
	}
}

// The same adversarial order that breaks the buggy variants: three
// hydrogens first.
var hydrogensFirst = []Atom{h(1), h(2), h(3), o(1), h(4), o(2)}

func TestWaterDeterministic(t *testing.T) {
	inBubbles(t, func(t *testing.T, rt runtimeKind) {
		s := newSchedule(t, rt.water(t))
		s.arrive(context.Background(), hydrogensFirst...)
		for _, a := range hydrogensFirst {
			if err := s.err(a); err != nil {
				t.Fatalf("atom %s: %v", a, err)
			}
		}
		if err := Check(s.log.Bonds()); err != nil {
			t.Fatal(err)
		}
		if n := len(s.log.Bonds()); n != 6 {
			t.Fatalf("%d bonds, want 6", n)
		}
	})
}

// No bond of the next molecule begins while one of the current molecule is
// still bonding, even when its three atoms are all waiting.
func TestWaterMoleculesDoNotOverlap(t *testing.T) {
	inBubbles(t, func(t *testing.T, rt runtimeKind) {
		s := newSchedule(t, rt.water(t))
		release := make(chan struct{})
		s.arriveBlocking(release, h(1), h(2), o(1)) // molecule 1, stuck in bond
		s.arrive(context.Background(), h(3), h(4), o(2))
		if got := len(s.log.Bonds()); got != 0 {
			t.Fatalf("%d bonds ended while molecule 1 was bonding", got)
		}
		close(release)
		synctest.Wait()
		if err := Check(s.log.Bonds()); err != nil {
			t.Fatal(err)
		}
	})
}

// An atom cancelled at the barrier withdraws and gives its permit back: the
// molecule is made of the atoms that stayed.
func TestWaterCancelAtBarrier(t *testing.T) {
	inBubbles(t, func(t *testing.T, rt runtimeKind) {
		s := newSchedule(t, rt.water(t))
		ctx, cancel := context.WithCancel(context.Background())
		s.arrive(ctx, h(1))
		s.arrive(context.Background(), o(1))
		cancel()
		synctest.Wait()
		if err := s.err(h(1)); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled h1 returned %v, want context.Canceled", err)
		}
		s.arrive(context.Background(), h(2), h(3))
		for _, a := range []Atom{o(1), h(2), h(3)} {
			if err := s.err(a); err != nil {
				t.Fatalf("atom %s: %v", a, err)
			}
		}
		assertBonded(t, s.log, o(1), h(2), h(3))
	})
}

// An atom cancelled while it waits for a permit never takes one.
func TestWaterCancelWaitingForPermit(t *testing.T) {
	inBubbles(t, func(t *testing.T, rt runtimeKind) {
		s := newSchedule(t, rt.water(t))
		ctx, cancel := context.WithCancel(context.Background())
		s.arrive(context.Background(), h(1), h(2))
		s.arrive(ctx, h(3)) // no permit free: queued
		cancel()
		synctest.Wait()
		if err := s.err(h(3)); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled h3 returned %v, want context.Canceled", err)
		}
		s.arrive(context.Background(), o(1), h(4), h(5), o(2))
		assertBonded(t, s.log, h(1), h(2), o(1), h(4), h(5), o(2))
	})
}

// assertBonded checks the log is clean and holds exactly the given atoms.
func assertBonded(t *testing.T, log *Log, atoms ...Atom) {
	t.Helper()
	bonds := log.Bonds()
	if err := Check(bonds); err != nil {
		t.Fatal(err)
	}
	got := map[Atom]bool{}
	for _, b := range bonds {
		got[b.Atom] = true
	}
	for _, a := range atoms {
		if !got[a] {
			t.Errorf("atom %s did not bond", a)
		}
	}
	if len(bonds) != len(atoms) {
		t.Errorf("%d bonds, want %d", len(bonds), len(atoms))
	}
}

// assertHHH checks that err reports molecule 1 as the three hydrogens h1,
// h2 and h3 (in whatever order the barrier let them start bonding).
func assertHHH(t *testing.T, err error) {
	t.Helper()
	var v *Violation
	if !errors.As(err, &v) {
		t.Fatalf("Check = %v, want a violation", err)
	}
	got := map[Atom]bool{}
	for _, b := range v.Bonds {
		got[b.Atom] = true
	}
	const reason = "is H-H-H: want two hydrogens and one oxygen"
	if v.Molecule != 1 || v.Reason != reason || len(got) != 3 || !got[h(1)] || !got[h(2)] || !got[h(3)] {
		t.Fatalf("Check = %v\nwant    molecule 1 of h1, h2, h3 %s", err, reason)
	}
}

func TestPrematureReleaseMakesHHH(t *testing.T) {
	inBubbles(t, func(t *testing.T, rt runtimeKind) {
		s := newSchedule(t, rt.premature(t))
		s.arrive(context.Background(), hydrogensFirst...)
		assertHHH(t, Check(s.log.Bonds()))
	})
}

func TestPrematureReleaseOverlaps(t *testing.T) {
	inBubbles(t, func(t *testing.T, rt runtimeKind) {
		s := newSchedule(t, rt.premature(t))
		release := make(chan struct{})
		s.arriveBlocking(release, h(1), h(2), o(1)) // molecule 1, stuck in bond
		s.arrive(context.Background(), h(3), h(4), o(2))
		if got := len(s.log.Bonds()); got != 3 {
			t.Fatalf("%d bonds ended, want molecule 2's 3 while molecule 1 bonds", got)
		}
		close(release)
		synctest.Wait()
		err := Check(s.log.Bonds())
		var v *Violation
		if !errors.As(err, &v) || v.Molecule != 2 || !strings.Contains(v.Reason, "overlaps molecule 1: bond ") {
			t.Fatalf("Check = %v, want molecule 2 overlapping molecule 1", err)
		}
	})
}

func TestNoWaitMakesHHH(t *testing.T) {
	inBubbles(t, func(t *testing.T, rt runtimeKind) {
		s := newSchedule(t, rt.noWait(t))
		s.arrive(context.Background(), hydrogensFirst...)
		assertHHH(t, Check(s.log.Bonds()))
	})
}

// produce makes n molecules from a fixed crew of atom goroutines that draw
// atoms from a shared supply, so no goroutine is left holding atoms that
// have no partner. cancelEvery > 0 gives every cancelEvery-th attempt (at
// random) a context that is cancelled while it waits; a cancelled atom goes
// back to the supply. It returns the number of cancelled attempts.
func produce(f Factory, n, hCrew, oCrew, cancelEvery int, bond func(Atom) func()) int64 {
	hSupply, oSupply := make(chan int, 2*n), make(chan int, n)
	for i := 1; i <= 2*n; i++ {
		hSupply <- i
	}
	for i := 1; i <= n; i++ {
		oSupply <- i
	}
	close(hSupply)
	close(oSupply)
	var cancelled atomic.Int64
	var wg conc.WaitGroup
	crew := func(e Element, supply chan int, seed uint64) {
		r := rand.New(rand.NewPCG(seed, 5))
		for id := range supply {
			a := Atom{e, id}
			for {
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if cancelEvery > 0 && r.IntN(cancelEvery) == 0 {
					ctx, cancel = context.WithCancel(ctx)
					go cancel()
				}
				err := bring(ctx, f, a, bond(a))
				cancel()
				if err == nil {
					break
				}
				cancelled.Add(1) // retry the same atom
			}
		}
	}
	for i := range hCrew {
		wg.Go(func() { crew(H, hSupply, uint64(i)) })
	}
	for i := range oCrew {
		wg.Go(func() { crew(O, oSupply, uint64(1000+i)) })
	}
	wg.Wait()
	return cancelled.Load()
}

func TestWaterStress(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt.name, func(t *testing.T) {
			n := rt.stressN
			log := NewLog()
			produce(rt.water(t), n, 20, 10, 0, func(a Atom) func() { return log.Record(a, nil) })
			bonds := log.Bonds()
			if err := Check(bonds); err != nil {
				t.Fatal(err)
			}
			if len(bonds) != 3*n {
				t.Fatalf("%d bonds, want %d", len(bonds), 3*n)
			}
		})
	}
}

func TestWaterStressWithCancellations(t *testing.T) {
	const n = 20_000
	for _, rt := range runtimes {
		t.Run(rt.name, func(t *testing.T) {
			log := NewLog()
			cancelled := produce(rt.water(t), n, 20, 10, 10, func(a Atom) func() { return log.Record(a, nil) })
			bonds := log.Bonds()
			// Check also rejects an atom that bonded twice, so a cancelled
			// attempt that bonded and was then retried would show here.
			if err := Check(bonds); err != nil {
				t.Fatal(err)
			}
			if len(bonds) != 3*n {
				t.Fatalf("%d bonds, want %d: an atom was lost", len(bonds), 3*n)
			}
			if cancelled == 0 {
				t.Fatal("no attempt was cancelled: the test did not exercise cancellation")
			}
			t.Logf("%d molecules, %d cancelled attempts", n, cancelled)
		})
	}
}
