package h2o

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chansync/chansync/csp/async"
)

// A runtimeKind builds the factories the tests run on, goroutines or
// tasks, so that every checker-based test runs on both.
type runtimeKind struct {
	name      string
	water     func(t *testing.T) Factory
	noWait    func(t *testing.T) Factory
	premature func(t *testing.T) Factory
	stressN   int // molecules in TestWaterStress
}

var runtimes = []runtimeKind{
	{
		name:  "goroutines",
		water: func(*testing.T) Factory { return NewWater() },
		noWait: func(t *testing.T) Factory {
			f := NewNoWait()
			t.Cleanup(f.Close) // ends the forgotten acquires
			return f
		},
		premature: func(*testing.T) Factory { return NewPrematureRelease() },
		stressN:   100_000,
	},
	{
		name:      "tasks",
		water:     func(t *testing.T) Factory { return NewTaskWater(testExecutor(t)) },
		noWait:    func(t *testing.T) Factory { return NewTaskNoWait(testExecutor(t)) },
		premature: func(t *testing.T) Factory { return NewTaskPrematureRelease(testExecutor(t)) },
		stressN:   20_000, // each atom through the blocking adapter: a task and a goroutine
	},
}

// testExecutor returns an executor that the test closes when it ends. It
// has four workers, so that the three bonds of a molecule that block in a
// test can all be under way and a fourth atom still be polled.
func testExecutor(t *testing.T) *async.Executor {
	e := async.NewExecutor(async.Config{Workers: 4})
	t.Cleanup(e.Close)
	return e
}

// inBubbles runs f in a synctest bubble once per runtime. The task
// factories' executors are made inside the bubble, so that their idle
// workers count as durably blocked.
func inBubbles(t *testing.T, f func(t *testing.T, rt runtimeKind)) {
	for _, rt := range runtimes {
		t.Run(rt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { f(t, rt) })
		})
	}
}

// handAtom is an AtomFuture polled by hand on the test goroutine, with a
// waker that counts its wakes.
type handAtom struct {
	f     AtomFuture
	cx    *async.Context
	wakes int
}

func newHandAtom(w *TaskWater, log *Log, a Atom) *handAtom {
	h := &handAtom{f: w.Atom(a.Element, log.Record(a, nil))}
	h.cx = async.NewContext(async.NewWaker(async.WakerFunc(func() { h.wakes++ })))
	return h
}

func (h *handAtom) poll(t *testing.T, wantReady bool, want AtomState) {
	t.Helper()
	if _, ready := h.f.Poll(h.cx); ready != wantReady || h.f.State() != want {
		t.Fatalf("Poll: ready %v in state %d; want ready %v in state %d", ready, h.f.State(), wantReady, want)
	}
}

// checkIdle fails the test unless the factory holds no trace of any atom:
// every permit free, nobody queued, nobody at the barrier.
func checkIdle(t *testing.T, w *TaskWater) {
	t.Helper()
	if h, o, b := w.hydrogen.Available(), w.oxygen.Available(), w.barrier.Arrived(); h != 2 || o != 1 || b != 0 {
		t.Fatalf("permits free: H %d, O %d; arrivals at the barrier %d; want 2, 1, 0", h, o, b)
	}
	if q := w.hydrogen.Waiting() + w.oxygen.Waiting(); q != 0 {
		t.Fatalf("%d atoms still queued for a permit", q)
	}
}

// The atom's states, one poll at a time: the third atom of a molecule
// completes the barrier and bonds in the same poll; the other two bond when
// they are polled after its wake.
func TestAtomFutureStates(t *testing.T) {
	w := NewTaskWater(nil) // polled by hand: no executor
	log := NewLog()
	h1, h2, h3, o1 := newHandAtom(w, log, h(1)), newHandAtom(w, log, h(2)), newHandAtom(w, log, h(3)), newHandAtom(w, log, o(1))
	h1.poll(t, false, AtBarrier)
	h2.poll(t, false, AtBarrier)
	h3.poll(t, false, Acquiring) // two hydrogen permits only
	if len(log.Bonds()) != 0 || h1.wakes+h2.wakes+h3.wakes != 0 {
		t.Fatal("something bonded or woke before the oxygen came")
	}
	o1.poll(t, true, Bonded) // the leader bonds at once
	if h1.wakes != 1 || h2.wakes != 1 {
		t.Fatalf("the hydrogens of the molecule were woken %d and %d times, want once each", h1.wakes, h2.wakes)
	}
	h1.poll(t, true, Bonded)
	if h3.wakes != 1 {
		t.Fatalf("h3 woken %d times when h1 released its permit, want 1", h3.wakes)
	}
	h2.poll(t, true, Bonded)
	h3.poll(t, false, AtBarrier)
	h3.f.Drop()
	assertBonded(t, log, h(1), h(2), o(1))
	checkIdle(t, w)
}

// An atom dropped after its molecule formed, before it was polled again,
// bonds in its Drop: the other two went on counting on it.
func TestAtomDroppedAfterItsMoleculeFormedBonds(t *testing.T) {
	w := NewTaskWater(nil)
	log := NewLog()
	h1, h2, o1 := newHandAtom(w, log, h(1)), newHandAtom(w, log, h(2)), newHandAtom(w, log, o(1))
	h1.poll(t, false, AtBarrier)
	h2.poll(t, false, AtBarrier)
	o1.poll(t, true, Bonded)
	h1.f.Drop() // woken, never polled again
	h2.poll(t, true, Bonded)
	assertBonded(t, log, h(1), h(2), o(1))
	checkIdle(t, w)
}

// An atom dropped at the barrier before its molecule formed withdraws and
// gives its permit back; one dropped in the permit queue leaves it, and a
// permit assigned to it goes to the next atom.
func TestAtomDroppedBeforeItsMoleculeFormedLeavesNoTrace(t *testing.T) {
	w := NewTaskWater(nil)
	log := NewLog()
	h1, h2, h3, h4 := newHandAtom(w, log, h(1)), newHandAtom(w, log, h(2)), newHandAtom(w, log, h(3)), newHandAtom(w, log, h(4))
	h1.poll(t, false, AtBarrier)
	h2.poll(t, false, AtBarrier)
	h3.poll(t, false, Acquiring)
	h4.poll(t, false, Acquiring)
	h1.f.Drop() // its permit goes to h3, which is woken but dropped before it looks
	if h3.wakes != 1 {
		t.Fatalf("h3 woken %d times by h1's drop, want 1", h3.wakes)
	}
	h3.f.Drop() // the permit passes on to h4
	if h4.wakes != 1 {
		t.Fatalf("h4 woken %d times by h3's drop, want 1", h4.wakes)
	}
	h4.poll(t, false, AtBarrier)
	o1 := newHandAtom(w, log, o(1))
	o1.poll(t, true, Bonded)
	h2.poll(t, true, Bonded)
	h4.poll(t, true, Bonded)
	assertBonded(t, log, h(2), h(4), o(1))
	checkIdle(t, w)
}

// spawnAllLogged spawns the atoms of n molecules as tasks on w's executor,
// in a shuffled order, and joins them all. With abortOdds > 0, each spawn
// is followed, with that probability, by the abort of an atom spawned so
// far (perhaps itself, perhaps one already bonded); once the aborted
// tasks have completed, the log tells which of them bonded all the same,
// and spawnAllLogged tops the factory up with the atoms the others still
// need, so that every atom not aborted bonds. It returns the log and the
// number of atoms that bonded, as counted apart from the log.
// shuffledAtoms returns the 2n hydrogens and n oxygens of n molecules in
// an order shuffled by rng.
func shuffledAtoms(n int, rng *rand.Rand) []Atom {
	atoms := make([]Atom, 0, 3*n)
	for i := 1; i <= n; i++ {
		atoms = append(atoms, h(2*i-1), h(2*i), o(i))
	}
	rng.Shuffle(len(atoms), func(i, j int) { atoms[i], atoms[j] = atoms[j], atoms[i] })
	return atoms
}

func spawnAllLogged(t *testing.T, w *TaskWater, n int, seed uint64, abortOdds float64) (*Log, int) {
	t.Helper()
	log := NewLog()
	rng := rand.New(rand.NewPCG(seed, 3))
	atoms := shuffledAtoms(n, rng)
	handles := make([]async.JoinHandle[struct{}], len(atoms))
	aborted := map[int]bool{}
	for i, a := range atoms {
		handles[i] = w.Spawn(a.Element, log.Record(a, nil))
		if rng.Float64() < abortOdds {
			victim := rng.IntN(i + 1)
			handles[victim].Abort()
			aborted[victim] = true
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var live []async.JoinHandle[struct{}]
	var liveAtoms []Atom
	bonding := map[Element]int{} // atoms that have bonded or will
	for i, a := range atoms {
		if !aborted[i] {
			live = append(live, handles[i])
			liveAtoms = append(liveAtoms, a)
			bonding[a.Element]++
			continue
		}
		if _, err := handles[i].Join(ctx); err != nil && !errors.Is(err, async.ErrAborted) {
			t.Fatalf("aborted atom %s: %v", a, err)
		}
	}
	if len(aborted) > 0 {
		abortedAtoms := map[Atom]bool{}
		for i := range aborted {
			abortedAtoms[atoms[i]] = true
		}
		bondedAnyway := 0
		for _, b := range log.Bonds() { // every aborted atom has bonded by now, or never will
			if abortedAtoms[b.Atom] {
				bonding[b.Atom.Element]++
				bondedAnyway++
			}
		}
		t.Logf("%d atoms aborted, %d of which bonded all the same", len(aborted), bondedAnyway)
		extra := map[Element]int{}
		if need := 2*bonding[O] - bonding[H]; need > 0 {
			extra[H] = need
		} else {
			extra[H] = -need % 2
			extra[O] = (bonding[H]+extra[H])/2 - bonding[O]
		}
		for el, k := range extra {
			for id := range k {
				a := Atom{el, 10*n + id}
				live = append(live, w.Spawn(el, log.Record(a, nil)))
				liveAtoms = append(liveAtoms, a)
				bonding[el]++
			}
		}
	}
	_, err := async.BlockOn[struct{}](ctx, &async.JoinAll[struct{}]{
		Handles: live,
		Each: func(i int, _ struct{}, err error) {
			if err != nil {
				t.Errorf("atom %s: %v", liveAtoms[i], err)
			}
		},
	})
	if err != nil {
		t.Fatalf("the atoms did not all bond: %v", err)
	}
	return log, bonding[H] + bonding[O]
}

// The tutorial's workload as tasks: every atom spawned at once, in a
// shuffled order, joined with JoinAll.
func TestTaskWaterSpawnAll(t *testing.T) {
	const n = 20_000
	w := NewTaskWater(testExecutor(t))
	log, _ := spawnAllLogged(t, w, n, 1, 0)
	checkAllBonded(t, w, log, n)
}

// checkAllBonded checks that n molecules formed, each H-H-O and none
// overlapping the next, and that the factory is as new.
func checkAllBonded(t *testing.T, w *TaskWater, log *Log, n int) {
	t.Helper()
	bonds := log.Bonds()
	if err := Check(bonds); err != nil {
		t.Fatal(err)
	}
	if len(bonds) != 3*n {
		t.Fatalf("%d bonds, want %d", len(bonds), 3*n)
	}
	checkIdle(t, w)
}

// The same workload on an executor without workers, whose tasks the test's
// goroutine polls while it joins them (async.RunOn: tokio's current_thread
// runtime).
func TestTaskWaterSpawnAllOnTheCurrentGoroutine(t *testing.T) {
	const n = 20_000
	e := async.NewExecutor(async.Config{Workers: async.NoWorkers})
	defer e.Close()
	w := NewTaskWater(e)
	log := NewLog()
	atoms := shuffledAtoms(n, rand.New(rand.NewPCG(5, 3)))
	handles := make([]async.JoinHandle[struct{}], len(atoms))
	for i, a := range atoms {
		handles[i] = w.Spawn(a.Element, log.Record(a, nil))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := async.RunOn[struct{}](ctx, e, &async.JoinAll[struct{}]{Handles: handles}); err != nil {
		t.Fatal(err)
	}
	checkAllBonded(t, w, log, n)
}

// Atoms aborted wherever they are while the others bond: every molecule is
// still H-H-O and none overlaps the next, no atom that was not aborted is
// lost, and once every task has completed or been dropped the factory is
// as new.
func TestTaskWaterSpawnAllWithAborts(t *testing.T) {
	const n = 5_000
	for seed := range uint64(4) {
		w := NewTaskWater(testExecutor(t))
		log, bonding := spawnAllLogged(t, w, n, seed, 0.05)
		bonds := log.Bonds()
		if err := Check(bonds); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if len(bonds) != bonding {
			t.Fatalf("seed %d: %d bonds, want %d", seed, len(bonds), bonding)
		}
		checkIdle(t, w)
	}
}

// TestAtomAllocatesOncePerAtom pins a spawned atom at one heap allocation,
// its task: the atom's sub-futures live inside it, and neither the
// semaphores nor the barrier allocate to queue or wake it.
func TestAtomAllocatesOncePerAtom(t *testing.T) {
	e := testExecutor(t)
	const k = 300 // molecules
	handles := make([]async.JoinHandle[struct{}], 6*k)
	nop := func() {}
	run := func(molecules int) float64 {
		return testing.AllocsPerRun(10, func() {
			w := NewTaskWater(e)
			for i := range molecules {
				handles[3*i] = w.Spawn(H, nop)
				handles[3*i+1] = w.Spawn(O, nop)
				handles[3*i+2] = w.Spawn(H, nop)
			}
			join := async.JoinAll[struct{}]{Handles: handles[:3*molecules]}
			async.BlockOn[struct{}](context.Background(), &join)
		})
	}
	perAtom := (run(2*k) - run(k)) / (3 * k)
	// Under the race detector AllocsPerRun adds an allocation of its own
	// now and then.
	if perAtom != 1 && !(raceEnabled && math.Abs(perAtom-1) <= 0.01) {
		t.Fatalf("%v heap allocations per atom, want exactly 1 (its task)", perAtom)
	}
}
