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

// queue starts acquirers one at a time, each fully queued before the next
// starts, and returns a channel on which each reports its index once it
// holds its permits, and the error channels of each.
func queue(t *testing.T, s *Semaphore, ctxs []context.Context, ks []int) (order chan int, errs []chan error) {
	t.Helper()
	order = make(chan int, len(ks))
	for i, k := range ks {
		errc := make(chan error, 1)
		errs = append(errs, errc)
		go func() {
			err := s.AcquireN(ctxs[i], k)
			if err == nil {
				order <- i
			}
			errc <- err
		}()
		synctest.Wait() // i is durably blocked in line before i+1 arrives
	}
	return order, errs
}

func backgrounds(n int) []context.Context {
	c := make([]context.Context, n)
	for i := range c {
		c[i] = context.Background()
	}
	return c
}

func TestSemaphoreFIFO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewSemaphore(1)
		if !s.TryAcquire() {
			t.Fatal("TryAcquire on a fresh semaphore failed")
		}
		order, _ := queue(t, s, backgrounds(5), []int{1, 1, 1, 1, 1})
		if len(order) != 0 {
			t.Fatal("an acquirer got a permit while none was free")
		}
		for want := range 5 {
			s.Release()
			synctest.Wait()
			select {
			case got := <-order:
				if got != want {
					t.Fatalf("permit went to acquirer %d, want %d (arrival order)", got, want)
				}
			default:
				t.Fatalf("release %d woke nobody", want)
			}
		}
		s.Release()
		if got := s.Available(); got != 1 {
			t.Fatalf("Available() = %d at the end, want 1", got)
		}
	})
}

func TestSemaphoreLargeAcquireNotStarved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewSemaphore(3)
		ctx := context.Background()
		if err := s.AcquireN(ctx, 2); err != nil {
			t.Fatal(err)
		}
		// The big acquire waits at the head for 3; the small ones queue behind
		// it even though one permit is free.
		order, _ := queue(t, s, backgrounds(3), []int{3, 1, 1})
		if got := len(order); got != 0 {
			t.Fatalf("%d acquirers overtook the waiting AcquireN(3)", got)
		}
		if s.TryAcquire() {
			t.Fatal("TryAcquire jumped the queue")
		}
		s.ReleaseN(2)
		synctest.Wait()
		if got := <-order; got != 0 {
			t.Fatalf("first served: %d, want the AcquireN(3)", got)
		}
		if len(order) != 0 {
			t.Fatal("a small acquire was served while AcquireN(3) held every permit")
		}
		s.ReleaseN(3)
		synctest.Wait()
		if a, b := <-order, <-order; a != 1 || b != 2 {
			t.Fatalf("then served %d, %d; want 1, 2", a, b)
		}
		s.ReleaseN(2)
		if got := s.Available(); got != 3 {
			t.Fatalf("Available() = %d, want 3", got)
		}
	})
}

func TestSemaphoreCancelWhileQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewSemaphore(1)
		s.Acquire(context.Background())
		ctxs := backgrounds(3)
		ctx1, cancel1 := context.WithCancel(context.Background())
		ctxs[1] = ctx1
		order, errs := queue(t, s, ctxs, []int{1, 1, 1})
		cancel1()
		synctest.Wait()
		if err := <-errs[1]; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled acquirer returned %v, want context.Canceled", err)
		}
		if got := s.Available(); got != 0 {
			t.Fatalf("cancel changed the permits: Available() = %d, want 0", got)
		}
		s.Release()
		synctest.Wait()
		if got := <-order; got != 0 {
			t.Fatalf("served %d, want 0", got)
		}
		s.Release()
		synctest.Wait()
		if got := <-order; got != 2 {
			t.Fatalf("served %d, want 2 (1 was cancelled)", got)
		}
		s.Release()
		if got := s.Available(); got != 1 {
			t.Fatalf("Available() = %d, want 1", got)
		}
	})
}

func TestSemaphoreCancelAtHeadReturnsCollectedPermits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewSemaphore(3)
		if err := s.AcquireN(context.Background(), 2); err != nil {
			t.Fatal(err)
		}
		ctxs := backgrounds(2)
		ctx0, cancel0 := context.WithCancel(context.Background())
		ctxs[0] = ctx0
		// Acquirer 0 wants 3, collects the one free permit and waits at the
		// head; acquirer 1 wants 1 and waits behind it.
		order, errs := queue(t, s, ctxs, []int{3, 1})
		if got := s.Available(); got != 0 {
			t.Fatalf("Available() = %d while the head holds a partial grant, want 0", got)
		}
		cancel0()
		synctest.Wait()
		if err := <-errs[0]; !errors.Is(err, context.Canceled) {
			t.Fatalf("head returned %v, want context.Canceled", err)
		}
		// The head's collected permit went back and the waiter behind it got it.
		select {
		case got := <-order:
			if got != 1 {
				t.Fatalf("served %d, want 1", got)
			}
		default:
			t.Fatal("the queue did not move after the head was cancelled")
		}
		s.ReleaseN(3)
		if got := s.Available(); got != 3 {
			t.Fatalf("Available() = %d, want 3: a permit was lost", got)
		}
	})
}

func TestSemaphoreTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewSemaphore(1)
		s.Acquire(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		err := s.Acquire(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Acquire returned %v, want DeadlineExceeded", err)
		}
		if waited := time.Since(start); waited != 5*time.Second {
			t.Fatalf("gave up after %v, want exactly 5s", waited)
		}
		s.Release()
		if !s.TryAcquire() {
			t.Fatal("permit lost after a timed-out acquire")
		}
	})
}

func TestSemaphoreClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewSemaphore(2)
		s.AcquireN(context.Background(), 2)
		_, errs := queue(t, s, backgrounds(3), []int{1, 2, 1})
		s.Close()
		synctest.Wait()
		for i, errc := range errs {
			if err := <-errc; !errors.Is(err, ErrClosed) {
				t.Errorf("waiter %d returned %v, want ErrClosed", i, err)
			}
		}
		if err := s.Acquire(context.Background()); !errors.Is(err, ErrClosed) {
			t.Errorf("Acquire after Close returned %v, want ErrClosed", err)
		}
		s.Release()
		if s.TryAcquire() {
			t.Error("TryAcquire succeeded after Close")
		}
		s.Close() // idempotent
		s.Release()
		if got := s.Available(); got != 2 {
			t.Errorf("Available() = %d after releasing everything, want 2", got)
		}
	})
}

func TestSemaphoreTryAcquireN(t *testing.T) {
	s := NewSemaphore(3)
	if !s.TryAcquireN(2) {
		t.Fatal("TryAcquireN(2) of 3 failed")
	}
	if s.TryAcquireN(2) {
		t.Fatal("TryAcquireN(2) with 1 free succeeded")
	}
	if got := s.Available(); got != 1 {
		t.Fatalf("a failed TryAcquireN took permits: Available() = %d, want 1", got)
	}
	if !s.TryAcquireN(0) {
		t.Fatal("TryAcquireN(0) failed")
	}
	s.ReleaseN(2)
	if got := s.Available(); got != 3 {
		t.Fatalf("Available() = %d, want 3", got)
	}
}

func TestSemaphoreMisusePanics(t *testing.T) {
	mustPanic(t, "NewSemaphore(0)", func() { NewSemaphore(0) })
	s := NewSemaphore(2)
	mustPanic(t, "Release with nothing held", func() { s.Release() })
	mustPanic(t, "AcquireN over capacity", func() { s.AcquireN(context.Background(), 3) })
	mustPanic(t, "AcquireN(-1)", func() { s.AcquireN(context.Background(), -1) })
	s.Acquire(context.Background())
	mustPanic(t, "ReleaseN(2) with 1 held", func() { s.ReleaseN(2) })
}

// TestSemaphoreStress runs many acquirers with random sizes and random
// cancellations and checks that the permits held never exceed the capacity
// and that every permit is back at the end.
func TestSemaphoreStress(t *testing.T) {
	const capacity, workers, rounds = 5, 32, 300
	s := NewSemaphore(capacity)
	var holding, maxHolding, granted, cancelled atomic.Int64
	var wg conc.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for range rounds {
				k := 1 + r.IntN(3)
				ctx, cancel := context.WithCancel(context.Background())
				if r.IntN(4) == 0 {
					go cancel() // races with the acquire at a random point
				}
				if err := s.AcquireN(ctx, k); err != nil {
					cancel()
					if !errors.Is(err, context.Canceled) {
						t.Errorf("AcquireN: %v", err)
						return
					}
					cancelled.Add(1)
					continue
				}
				n := holding.Add(int64(k))
				for {
					m := maxHolding.Load()
					if n <= m || maxHolding.CompareAndSwap(m, n) {
						break
					}
				}
				if n > capacity {
					t.Errorf("%d permits held at once, capacity %d", n, capacity)
				}
				granted.Add(1)
				holding.Add(-int64(k))
				s.ReleaseN(k)
				cancel()
			}
		})
	}
	wg.Wait()
	if got := s.Available(); got != capacity {
		t.Fatalf("Available() = %d at the end, want %d: permits lost", got, capacity)
	}
	if granted.Load() == 0 || maxHolding.Load() < 2 {
		t.Fatalf("stress did not exercise the semaphore: %d grants, at most %d held", granted.Load(), maxHolding.Load())
	}
	t.Logf("%d grants, %d cancelled, at most %d permits held", granted.Load(), cancelled.Load(), maxHolding.Load())
}
