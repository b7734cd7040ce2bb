package csp

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sourcegraph/conc"
)

type waitResult struct {
	id     int
	leader bool
	err    error
}

func startWaiter(b *Barrier, ctx context.Context, id int, out chan<- waitResult) {
	go func() {
		leader, err := b.Wait(ctx)
		out <- waitResult{id, leader, err}
	}()
}

func TestBarrierGenerations(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 3
		b := NewBarrier(n)
		out := make(chan waitResult, n)
		for gen := range 4 {
			for i := range n - 1 {
				startWaiter(b, context.Background(), i, out)
			}
			synctest.Wait()
			if len(out) != 0 {
				t.Fatalf("gen %d: a waiter passed with only %d of %d arrivals", gen, n-1, n)
			}
			startWaiter(b, context.Background(), n-1, out)
			synctest.Wait()
			if len(out) != n {
				t.Fatalf("gen %d: %d of %d waiters released", gen, len(out), n)
			}
			leaders := 0
			for range n {
				r := <-out
				if r.err != nil {
					t.Fatalf("gen %d: waiter %d: %v", gen, r.id, r.err)
				}
				if r.leader {
					leaders++
					if r.id != n-1 {
						t.Errorf("gen %d: leader is waiter %d, want the last arrival", gen, r.id)
					}
				}
			}
			if leaders != 1 {
				t.Fatalf("gen %d: %d leaders, want 1", gen, leaders)
			}
		}
	})
}

func TestBarrierSingleParty(t *testing.T) {
	b := NewBarrier(1)
	for range 3 {
		if leader, err := b.Wait(context.Background()); !leader || err != nil {
			t.Fatalf("Wait() = %v, %v; want true, nil", leader, err)
		}
	}
}

// A waiter that gives up withdraws its arrival: the generation still needs n
// live arrivals.
func TestBarrierCancelWithdraws(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBarrier(3)
		out := make(chan waitResult, 4)
		ctx, cancel := context.WithCancel(context.Background())
		startWaiter(b, context.Background(), 0, out)
		startWaiter(b, ctx, 1, out)
		synctest.Wait()
		cancel()
		synctest.Wait()
		r := <-out
		if r.id != 1 || !errors.Is(r.err, context.Canceled) || r.leader {
			t.Fatalf("cancelled waiter got %+v, want id 1 with context.Canceled", r)
		}
		// One live arrival remains; a third party alone must not complete it.
		startWaiter(b, context.Background(), 2, out)
		synctest.Wait()
		if len(out) != 0 {
			t.Fatal("generation completed with a withdrawn arrival counted")
		}
		startWaiter(b, context.Background(), 3, out)
		synctest.Wait()
		if len(out) != 3 {
			t.Fatalf("%d released, want 3", len(out))
		}
		for range 3 {
			if r := <-out; r.err != nil || r.id == 1 {
				t.Fatalf("unexpected result %+v", r)
			}
		}
	})
}

// Once its generation is complete, Wait reports success even if its context
// ends before the waiter gets back the barrier's lock to withdraw.
func TestBarrierCompletedBeatsCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBarrier(2)
		ctx, cancel := context.WithCancel(context.Background())
		out := make(chan waitResult, 2)
		startWaiter(b, ctx, 0, out) // arrives, 1 of 2
		synctest.Wait()
		s := <-b.state // hold the lock
		startWaiter(b, context.Background(), 1, out)
		synctest.Wait() // waiter 1 is first in line for the lock
		cancel()
		synctest.Wait() // waiter 0 saw ctx.Done and is second in line to withdraw
		b.state <- s
		synctest.Wait()
		results := map[int]waitResult{}
		for range 2 {
			r := <-out
			results[r.id] = r
		}
		if r := results[0]; r.err != nil || r.leader {
			t.Errorf("cancelled waiter whose generation completed got %+v, want success, not leader", r)
		}
		if r := results[1]; r.err != nil || !r.leader {
			t.Errorf("completing waiter got %+v, want leader", r)
		}
		s = <-b.state
		if s.arrived != 0 {
			t.Errorf("%d arrivals pending after the generation, want 0", s.arrived)
		}
		b.state <- s
	})
}

// TestBarrierStress has parties wait with random short deadlines, so that
// withdrawals race with completions. Every generation must be passed by
// exactly n waiters, one of them the leader, and nothing may stay counted.
func TestBarrierStress(t *testing.T) {
	const n, workers, rounds = 4, 10, 400
	b := NewBarrier(n)
	var passed, leaders, withdrawn atomic.Int64
	var wg conc.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 11))
			for range rounds {
				timeout := time.Duration(r.IntN(200)) * time.Microsecond
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				leader, err := b.Wait(ctx)
				cancel()
				switch {
				case err == nil:
					passed.Add(1)
					if leader {
						leaders.Add(1)
					}
				case errors.Is(err, context.DeadlineExceeded):
					withdrawn.Add(1)
				default:
					t.Errorf("Wait: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if p, l := passed.Load(), leaders.Load(); p != n*l {
		t.Errorf("%d waiters passed in %d generations, want exactly %d each", p, l, n)
	}
	if leaders.Load() == 0 || withdrawn.Load() == 0 {
		t.Errorf("stress did not exercise both paths: %d generations, %d withdrawals", leaders.Load(), withdrawn.Load())
	}
	s := <-b.state
	if s.arrived != 0 {
		t.Errorf("%d arrivals still counted after every waiter returned", s.arrived)
	}
	b.state <- s
	t.Logf("%d generations, %d withdrawals", leaders.Load(), withdrawn.Load())
}

// A Wait whose context is done when it is called does not arrive, even when
// its arrival would complete the generation.
func TestBarrierDoneContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		done, cancel := context.WithCancel(context.Background())
		cancel()
		if leader, err := NewBarrier(1).Wait(done); leader || !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait on a 1-party barrier with a done ctx = %v, %v; want false, context.Canceled", leader, err)
		}
		b := NewBarrier(2)
		out := make(chan waitResult, 2)
		startWaiter(b, context.Background(), 0, out)
		synctest.Wait()
		if leader, err := b.Wait(done); leader || !errors.Is(err, context.Canceled) {
			t.Fatalf("second arrival with a done ctx = %v, %v; want false, context.Canceled", leader, err)
		}
		synctest.Wait()
		if len(out) != 0 {
			t.Fatal("an arrival with a done ctx completed the generation")
		}
		startWaiter(b, context.Background(), 1, out)
		synctest.Wait()
		for range 2 {
			if r := <-out; r.err != nil || r.leader != (r.id == 1) {
				t.Fatalf("got %+v; want both released, waiter 1 leading", r)
			}
		}
	})
}

// Parties reports the n that completes a generation.
func TestBarrierParties(t *testing.T) {
	for _, n := range []int{1, 3, 16} {
		if got := NewBarrier(n).Parties(); got != n {
			t.Errorf("NewBarrier(%d).Parties() = %d", n, got)
		}
	}
}
