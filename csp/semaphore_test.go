package csp

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
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
	closed := NewSemaphore(1)
	closed.Close()
	mustPanic(t, "Release with nothing held after Close", func() { closed.Release() })
	if got := closed.Available(); got != 1 {
		t.Errorf("Available() = %d after a refused Release, want 1", got)
	}
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

// Close reaches every kind of waiter: single acquirers parked on the token
// channel alone (a context that cannot end) or in a select (one that can),
// a multi-permit acquirer at the head, and acquirers queued at the gate.
func TestSemaphoreCloseWakesEveryWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewSemaphore(3)
		if err := s.AcquireN(context.Background(), 3); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ks := []int{1, 1, 1, 1, 2, 1, 3, 1, 1}
		ctxs := backgrounds(len(ks))
		ctxs[1], ctxs[5] = ctx, ctx // these wait in a select
		_, errs := queue(t, s, ctxs, ks)
		s.Close()
		synctest.Wait()
		for i, errc := range errs {
			select {
			case err := <-errc:
				if !errors.Is(err, ErrClosed) {
					t.Errorf("waiter %d (k=%d) returned %v, want ErrClosed", i, ks[i], err)
				}
			default:
				t.Errorf("waiter %d (k=%d) still waits after Close", i, ks[i])
			}
		}
		if got := s.Available(); got != 0 {
			t.Errorf("Available() = %d after Close with all permits held, want 0", got)
		}
		s.ReleaseN(3)
		if got := s.Available(); got != 3 {
			t.Errorf("Available() = %d after releasing everything, want 3", got)
		}
	})
}

// A permit released right after Close does not go to a waiter that was
// already waiting when Close was called: that waiter fails and the permit
// stays free.
func TestSemaphoreReleaseAfterCloseServesNoWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewSemaphore(2)
		if err := s.AcquireN(context.Background(), 2); err != nil {
			t.Fatal(err)
		}
		_, errs := queue(t, s, backgrounds(4), []int{1, 1, 1, 1})
		s.Close()
		s.ReleaseN(2) // before any waiter has run: the permits meet the waiters first
		synctest.Wait()
		for i, errc := range errs {
			if err := <-errc; !errors.Is(err, ErrClosed) {
				t.Errorf("waiter %d returned %v, want ErrClosed", i, err)
			}
		}
		if got := s.Available(); got != 2 {
			t.Errorf("Available() = %d, want 2: a permit was kept or lost", got)
		}
	})
}

// TestSemaphoreCloseStress closes a semaphore while acquirers of random sizes,
// some with contexts cancelled at random, come and go. Every acquirer must
// return, none may succeed once it has seen Close return, the capacity is
// never exceeded and every permit is back at the end.
func TestSemaphoreCloseStress(t *testing.T) {
	const capacity, workers = 3, 16
	var total int64
	for round := range 20 {
		s := NewSemaphore(capacity)
		var holding, granted, afterClose, failedByClose atomic.Int64
		var closedDone atomic.Bool
		var wg conc.WaitGroup
		for w := range workers {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(round), uint64(w)))
				for {
					k := 1 + r.IntN(capacity)
					ctx, cancel := context.Background(), context.CancelFunc(func() {})
					if r.IntN(3) == 0 {
						ctx, cancel = context.WithCancel(ctx)
						go cancel()
					}
					sawClose := closedDone.Load()
					err := s.AcquireN(ctx, k)
					cancel()
					switch {
					case errors.Is(err, ErrClosed):
						if !sawClose {
							failedByClose.Add(1)
						}
						return
					case errors.Is(err, context.Canceled):
						continue
					case err != nil:
						t.Errorf("AcquireN: %v", err)
						return
					}
					if sawClose {
						afterClose.Add(1)
					}
					if n := holding.Add(int64(k)); n > capacity {
						t.Errorf("%d permits held at once, capacity %d", n, capacity)
					}
					granted.Add(1)
					holding.Add(-int64(k))
					s.ReleaseN(k)
				}
			})
		}
		for granted.Load() < int64(100+round*50) {
			runtime.Gosched()
		}
		s.Close()
		closedDone.Store(true)
		wg.Wait()
		if n := afterClose.Load(); n != 0 {
			t.Fatalf("round %d: %d acquires succeeded after Close had returned", round, n)
		}
		if got := s.Available(); got != capacity {
			t.Fatalf("round %d: Available() = %d at the end, want %d", round, got, capacity)
		}
		total += failedByClose.Load()
	}
	if total == 0 {
		t.Fatal("no acquire in flight was failed by Close: the test did not exercise Close")
	}
	t.Logf("%d acquires in flight failed by Close", total)
}

// An acquirer that checked for Close just before it happened finds the
// closed token in the channel instead of a permit: it fails and leaves the
// token for the next one. Close's two steps are done by hand here so that
// the token is in place while the closed channel is still open.
func TestSemaphoreAcquirerThatMissedCloseFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewSemaphore(2)
		if !s.TryAcquire() {
			t.Fatal("TryAcquire on a fresh semaphore failed")
		}
		s.free <- closedToken // Close's token, behind the one free permit
		if err := s.take(context.Background()); err != nil {
			t.Fatalf("first take got %v, want the free permit", err)
		}
		for i := range 3 {
			done := make(chan error, 1)
			go func() { done <- s.take(context.Background()) }()
			synctest.Wait()
			select {
			case err := <-done:
				if !errors.Is(err, ErrClosed) {
					t.Fatalf("take %d after the token returned %v, want ErrClosed", i, err)
				}
			default:
				t.Fatalf("take %d after the token blocks: the token was not passed on", i)
			}
			if s.TryAcquireN(1) {
				t.Fatalf("TryAcquireN %d took the closed token as a permit", i)
			}
		}
		if got := len(s.free); got != 1 {
			t.Fatalf("%d tokens in the channel, want the closed token alone", got)
		}
	})
}

// An acquire whose context is done when it is called fails at once and takes
// nothing, even when every permit is free, and reports the context rather
// than Close.
func TestSemaphoreDoneContext(t *testing.T) {
	s := NewSemaphore(3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire of a free semaphore with a done ctx returned %v, want context.Canceled", err)
	}
	for _, k := range []int{0, 1, 2, 3} {
		if err := s.AcquireN(ctx, k); !errors.Is(err, context.Canceled) {
			t.Fatalf("AcquireN(%d) of a free semaphore with a done ctx returned %v, want context.Canceled", k, err)
		}
	}
	if got := s.Available(); got != 3 {
		t.Fatalf("Available = %d after acquires with a done ctx, want 3", got)
	}
	if !s.TryAcquireN(3) { // nothing was taken, the gate included
		t.Fatal("TryAcquireN(3) failed after acquires with a done ctx")
	}
	s.ReleaseN(3)
	s.Close()
	if err := s.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire of a closed semaphore with a done ctx returned %v, want context.Canceled", err)
	}
	if err := s.AcquireN(ctx, 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("AcquireN(2) of a closed semaphore with a done ctx returned %v, want context.Canceled", err)
	}
}
