package async

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// arrival is a BarrierWait and the waker it is polled with.
type arrival struct {
	*polled
	w BarrierWait
}

func arrive(b *Barrier) *arrival {
	return &arrival{polled: newPolled(), w: b.Wait()}
}

// poll polls the wait and fails the test unless it is in the expected
// state.
func (a *arrival) poll(t *testing.T, wantReady, wantLeader bool, what string) {
	t.Helper()
	leader, ready := a.w.Poll(a.cx)
	if ready != wantReady || leader != wantLeader {
		t.Fatalf("%s: Poll = leader %v, ready %v; want leader %v, ready %v", what, leader, ready, wantLeader, wantReady)
	}
}

func TestBarrierGenerations(t *testing.T) {
	b := NewBarrier(3)
	for gen := 1; gen <= 3; gen++ {
		x, y, z := arrive(b), arrive(b), arrive(b)
		x.poll(t, false, false, "first arrival")
		y.poll(t, false, false, "second arrival")
		x.poll(t, false, false, "a spurious poll")
		if b.Arrived() != 2 || x.wakes+y.wakes != 0 {
			t.Fatalf("gen %d: Arrived = %d, wakes %d and %d; want 2 and none", gen, b.Arrived(), x.wakes, y.wakes)
		}
		z.poll(t, true, true, "the third arrival leads")
		if x.wakes != 1 || y.wakes != 1 {
			t.Fatalf("gen %d: the waiters were woken %d and %d times, want once each", gen, x.wakes, y.wakes)
		}
		if b.Arrived() != 0 {
			t.Fatalf("gen %d: Arrived = %d after it completed", gen, b.Arrived())
		}
		x.poll(t, true, false, "first arrival, after the generation completed")
		y.poll(t, true, false, "second arrival, after the generation completed")
	}
}

func TestBarrierOfOneAlwaysLeads(t *testing.T) {
	b := NewBarrier(1)
	for range 3 {
		arrive(b).poll(t, true, true, "the only party")
	}
}

// A wait dropped before its generation completes withdraws its arrival:
// the generation still needs n live arrivals, and the dropped one is never
// woken.
func TestBarrierDroppedWaitWithdraws(t *testing.T) {
	b := NewBarrier(3)
	x, y := arrive(b), arrive(b)
	x.poll(t, false, false, "x")
	y.poll(t, false, false, "y")
	if passed := x.w.Cancel(); passed {
		t.Fatal("Cancel before the generation completed reported that it passed")
	}
	if x.w.Cancel() {
		t.Fatal("a second Cancel reported that it passed")
	}
	if b.Arrived() != 1 {
		t.Fatalf("Arrived = %d after a withdrawal, want 1", b.Arrived())
	}
	z := arrive(b)
	z.poll(t, false, false, "z: two live arrivals, not three")
	never := arrive(b)
	never.w.Drop() // never polled: never arrived
	last := arrive(b)
	last.poll(t, true, true, "the third live arrival leads")
	if x.wakes != 0 || y.wakes != 1 || z.wakes != 1 {
		t.Fatalf("wakes: withdrawn %d, y %d, z %d; want 0, 1, 1", x.wakes, y.wakes, z.wakes)
	}
	y.poll(t, true, false, "y")
	z.poll(t, true, false, "z")
}

// Once its generation has completed, a wait that has not yet seen it has
// still passed: Cancel says so and withdraws nothing from the next
// generation.
func TestBarrierCancelAfterGenerationCompleted(t *testing.T) {
	b := NewBarrier(2)
	x := arrive(b)
	x.poll(t, false, false, "x")
	arrive(b).poll(t, true, true, "the leader")
	if !x.w.Cancel() {
		t.Fatal("Cancel after the generation completed reported that the arrival did not count")
	}
	if !x.w.Cancel() {
		t.Fatal("a second Cancel forgot that the arrival counted")
	}
	if b.Arrived() != 0 {
		t.Fatalf("Arrived = %d", b.Arrived())
	}
	y := arrive(b)
	y.poll(t, false, false, "the next generation starts empty")
	arrive(b).poll(t, true, true, "and completes with two")
	y.poll(t, true, false, "y")
}

func TestBarrierMisusePanics(t *testing.T) {
	for name, f := range map[string]func(){
		"no parties": func() { NewBarrier(0) },
		"poll after Ready": func() {
			w := NewBarrier(1).Wait()
			cx := NewContext(Waker{})
			w.Poll(cx)
			w.Poll(cx)
		},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

// passing is a task that waits once at a barrier; if it is aborted, its
// Drop cancels the wait and counts the arrival if it had passed.
type passing struct {
	w      BarrierWait
	passes *passCount
}

type passCount struct {
	lock            chan struct{}
	passed, leaders int
}

func (c *passCount) add(leader bool) {
	c.lock <- struct{}{}
	c.passed++
	if leader {
		c.leaders++
	}
	<-c.lock
}

func (f *passing) Poll(cx *Context) (bool, bool) {
	leader, ready := f.w.Poll(cx)
	if ready {
		f.passes.add(leader)
	}
	return leader, ready
}

func (f *passing) Drop() {
	if f.w.Cancel() {
		f.passes.add(false)
	}
}

// TestBarrierStressWithAborts spawns waits at a barrier of 3 on a real
// executor while another goroutine aborts some at random, then aborts
// every wait still pending. What must hold: every generation is exactly 3
// arrivals that passed (the passes, counted by the tasks and by their
// Drops, are three times the leaders), and nothing is left at the
// barrier.
func TestBarrierStressWithAborts(t *testing.T) {
	const parties, tasks = 3, 3000
	for round := range stressRounds(t) / 4 {
		e := NewExecutor(Config{Workers: 2, Queue: 8})
		b := NewBarrier(parties)
		passes := &passCount{lock: make(chan struct{}, 1)}
		rng := rand.New(rand.NewPCG(uint64(round), 2))
		handles := make([]JoinHandle[bool], tasks)
		aborts := make(chan int, tasks)
		for i := range handles {
			handles[i] = Spawn[bool](e, passing{w: b.Wait(), passes: passes})
			if rng.IntN(4) == 0 {
				aborts <- i
			}
		}
		close(aborts)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := range aborts {
				handles[i].Abort()
			}
		}()
		<-done
		// Whatever is still waiting is stuck for want of parties: abort it.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		for _, h := range handles {
			h.Abort()
			if _, err := h.Join(ctx); err != nil && !errors.Is(err, ErrAborted) {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		cancel()
		e.Close()
		if passes.passed != parties*passes.leaders {
			t.Fatalf("round %d: %d arrivals passed in %d generations: a generation did not have exactly %d",
				round, passes.passed, passes.leaders, parties)
		}
		if passes.leaders == 0 {
			t.Fatalf("round %d: no generation completed", round)
		}
		if b.Arrived() != 0 || b.waiters.len != 0 {
			t.Fatalf("round %d: %d arrivals and %d waiters left at the barrier", round, b.Arrived(), b.waiters.len)
		}
	}
}

// One Waiter serves a semaphore and then a barrier, in turn, as a state
// machine's single slot does; using it for a second wait before the first
// has ended is caught.
func TestWaiterReusedInTurn(t *testing.T) {
	s, b := NewSemaphore(1), NewBarrier(2)
	p := newPolled()
	var w Waiter
	if err, ready := s.PollAcquire(p.cx, &w, 1); !ready || err != nil {
		t.Fatalf("PollAcquire = %v, %v", err, ready)
	}
	if _, ready := s.PollAcquire(p.cx, &w, 1); ready {
		t.Fatal("a second acquire of the only permit was ready")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("a Waiter queued at a semaphore was polled at a barrier without a panic")
			}
		}()
		b.PollWait(p.cx, &w)
	}()
	s.CancelAcquire(&w) // the waiter is free again
	if _, ready := b.PollWait(p.cx, &w); ready {
		t.Fatal("the first of two parties passed the barrier")
	}
	var other Waiter
	if leader, ready := b.PollWait(p.cx, &other); !leader || !ready {
		t.Fatal("the second party did not lead")
	}
	if leader, ready := b.PollWait(p.cx, &w); leader || !ready {
		t.Fatalf("the first party: leader %v, ready %v; want false, true", leader, ready)
	}
	if w.busy != notWaiting || other.busy != notWaiting || w.state != waiterIdle || !w.waker.IsZero() {
		t.Fatal("a Waiter is not free after its wait returned Ready")
	}
	s.Release()
	checkSemaphore(t, s, 1, 0)
}
