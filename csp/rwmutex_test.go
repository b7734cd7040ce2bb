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

// queueLockers starts RLock (r) or Lock (w) calls, one per letter of kinds,
// each queued before the next starts, and returns their result channels.
func queueLockers(m *RWMutex, kinds string, ctxs ...context.Context) []<-chan error {
	var res []<-chan error
	for i, k := range kinds {
		ctx := context.Background()
		if i < len(ctxs) && ctxs[i] != nil {
			ctx = ctxs[i]
		}
		lock := m.RLock
		if k == 'w' {
			lock = m.Lock
		}
		res = append(res, async(func() error { return lock(ctx) }))
		synctest.Wait()
	}
	return res
}

func TestRWMutexReadersShare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewRWMutex()
		r := queueLockers(m, "rrr")
		for i := range r {
			if err := returned(t, r[i], "a reader of a read-locked RWMutex"); err != nil {
				t.Fatal(err)
			}
		}
		if !m.TryRLock() {
			t.Fatal("TryRLock failed while only readers hold the lock")
		}
		if m.TryLock() {
			t.Fatal("TryLock succeeded while readers hold the lock")
		}
		w := queueLockers(m, "w")
		for range 3 {
			m.RUnlock()
			synctest.Wait()
			blocked(t, w[0], "a writer while readers hold the lock")
		}
		m.RUnlock()
		synctest.Wait()
		if err := returned(t, w[0], "the writer after the last reader left"); err != nil {
			t.Fatal(err)
		}
		m.Unlock()
	})
}

func TestRWMutexWriterExcludes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewRWMutex()
		if !m.TryLock() {
			t.Fatal("TryLock of a free RWMutex failed")
		}
		if m.TryRLock() || m.TryLock() {
			t.Fatal("a Try succeeded while a writer holds the lock")
		}
		q := queueLockers(m, "wr")
		blocked(t, q[0], "a writer while a writer holds the lock")
		blocked(t, q[1], "a reader while a writer holds the lock")
		m.Unlock()
		synctest.Wait()
		if err := returned(t, q[0], "the queued writer"); err != nil {
			t.Fatal(err)
		}
		blocked(t, q[1], "the reader behind the writer")
		m.Unlock()
		synctest.Wait()
		if err := returned(t, q[1], "the reader"); err != nil {
			t.Fatal(err)
		}
		m.RUnlock()
	})
}

// A writer that queues behind readers holds up the readers that arrive after
// it, so it cannot be starved.
func TestRWMutexQueuedWriterBlocksLaterReaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewRWMutex()
		q := queueLockers(m, "rwr")
		if err := returned(t, q[0], "the first reader"); err != nil {
			t.Fatal(err)
		}
		blocked(t, q[1], "the writer")
		blocked(t, q[2], "a reader that arrived after a queued writer")
		if m.TryRLock() {
			t.Fatal("TryRLock overtook the queued writer")
		}
		m.RUnlock()
		synctest.Wait()
		if err := returned(t, q[1], "the writer"); err != nil {
			t.Fatal(err)
		}
		blocked(t, q[2], "the reader while the writer holds the lock")
		m.Unlock()
		synctest.Wait()
		if err := returned(t, q[2], "the reader"); err != nil {
			t.Fatal(err)
		}
		m.RUnlock()
	})
}

// Consecutive queued readers are admitted together, up to the next writer.
func TestRWMutexReaderRunAdmittedTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewRWMutex()
		m.Lock(context.Background())
		q := queueLockers(m, "rrrwr")
		m.Unlock()
		synctest.Wait()
		for i := range 3 {
			if err := returned(t, q[i], "a reader of the first run"); err != nil {
				t.Fatal(err)
			}
		}
		blocked(t, q[3], "the writer behind the readers")
		blocked(t, q[4], "the reader behind the writer")
		for range 3 {
			m.RUnlock()
		}
		synctest.Wait()
		if err := returned(t, q[3], "the writer"); err != nil {
			t.Fatal(err)
		}
		blocked(t, q[4], "the last reader")
		m.Unlock()
		synctest.Wait()
		if err := returned(t, q[4], "the last reader"); err != nil {
			t.Fatal(err)
		}
		m.RUnlock()
	})
}

// A queued writer that gives up lets the readers it held up in at once; the
// writer behind them keeps its place.
func TestRWMutexCancelledWriterAdmitsReaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewRWMutex()
		m.RLock(context.Background())
		ctx, cancel := context.WithCancel(context.Background())
		q := queueLockers(m, "wrrw", ctx)
		blocked(t, q[1], "a reader behind the writer")
		cancel()
		synctest.Wait()
		if err := returned(t, q[0], "the cancelled writer"); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled writer returned %v, want context.Canceled", err)
		}
		for i := 1; i <= 2; i++ {
			if err := returned(t, q[i], "a reader the cancelled writer held up"); err != nil {
				t.Fatal(err)
			}
		}
		blocked(t, q[3], "the second writer")
		for range 3 {
			m.RUnlock()
		}
		synctest.Wait()
		if err := returned(t, q[3], "the second writer"); err != nil {
			t.Fatal(err)
		}
		m.Unlock()
		if !m.TryLock() {
			t.Fatal("lock left held")
		}
	})
}

func TestRWMutexCancelledReaderLeavesNoTrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewRWMutex()
		m.Lock(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		q := queueLockers(m, "rw", ctx)
		time.Sleep(time.Second)
		synctest.Wait()
		if err := returned(t, q[0], "the timed-out reader"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("reader returned %v, want DeadlineExceeded", err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Fatalf("gave up after %v, want exactly 1s", waited)
		}
		m.Unlock()
		synctest.Wait()
		if err := returned(t, q[1], "the writer behind the timed-out reader"); err != nil {
			t.Fatal(err)
		}
		m.Unlock()
		m.RLock(context.Background())
		mustPanic(t, "a second RUnlock (the timed-out reader held nothing)", func() {
			m.RUnlock()
			m.RUnlock()
		})
	})
}

// A waiter admitted just as its context ends holds the lock and reports
// success: an error always means the lock is not held. The test holds the
// state while the context ends, then lets Unlock's step admit the waiter.
func TestRWMutexAdmittedAsCancelledHoldsLock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewRWMutex()
		m.Lock(context.Background())
		ctx, cancel := context.WithCancel(context.Background())
		q := queueLockers(m, "r", ctx)
		s := <-m.state
		cancel()
		synctest.Wait() // the reader saw ctx end and waits for the state
		s.writer = false
		s.admit() // what Unlock does: it admits the reader
		m.state <- s
		synctest.Wait()
		if err := returned(t, q[0], "the admitted reader"); err != nil {
			t.Fatalf("reader admitted as its ctx ended returned %v, want nil", err)
		}
		if m.TryLock() {
			t.Fatal("TryLock succeeded: the admitted reader does not hold the lock")
		}
		m.RUnlock()
		if !m.TryLock() {
			t.Fatal("lock left held")
		}
	})
}

// RLock and Lock whose context is done when they are called fail at once,
// whether the lock is free or not, and take nothing and queue nothing.
func TestRWMutexDoneContext(t *testing.T) {
	m := NewRWMutex()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	mustBeIdle := func(when string) {
		t.Helper()
		s := <-m.state
		defer func() { m.state <- s }()
		if !s.queue.empty() || s.readers != 0 || s.writer {
			t.Fatalf("%s: state %+v, want free and nobody queued", when, s)
		}
	}
	if err := m.RLock(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("RLock of a free RWMutex with a done ctx returned %v, want context.Canceled", err)
	}
	mustBeIdle("after RLock with a done ctx")
	if err := m.Lock(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock of a free RWMutex with a done ctx returned %v, want context.Canceled", err)
	}
	mustBeIdle("after Lock with a done ctx")
	if !m.TryRLock() {
		t.Fatal("TryRLock of a free RWMutex failed")
	}
	if err := m.RLock(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("RLock of a read-locked RWMutex with a done ctx returned %v", err)
	}
	if err := m.Lock(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock of a read-locked RWMutex with a done ctx returned %v", err)
	}
	m.RUnlock()
	mustBeIdle("after RUnlock")
}

func TestRWMutexMisusePanics(t *testing.T) {
	m := NewRWMutex()
	mustPanic(t, "RUnlock of an unlocked RWMutex", m.RUnlock)
	mustPanic(t, "Unlock of an unlocked RWMutex", m.Unlock)
	m.RLock(context.Background())
	mustPanic(t, "Unlock of a read-locked RWMutex", m.Unlock)
	m.RUnlock()
	m.Lock(context.Background())
	mustPanic(t, "RUnlock of a write-locked RWMutex", m.RUnlock)
	m.Unlock()
	if !m.TryLock() { // the panics put the state back
		t.Fatal("RWMutex unusable after misuse panics")
	}
}

// TestRWMutexStress has readers and writers with random cancellations check
// writer exclusion (a writer inside sees no other writer and no reader, and
// increments a plain counter that the race detector watches) and that
// readers do hold the lock together.
func TestRWMutexStress(t *testing.T) {
	const workers, rounds = 16, 400
	m := NewRWMutex()
	var readers, writers, maxReaders, cancelled atomic.Int64
	counter, writes := 0, 0
	var wg conc.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 5))
			for range rounds {
				ctx, cancel := randomContext(r, 0)
				if r.IntN(5) == 0 {
					if err := m.Lock(ctx); err != nil {
						cancel()
						cancelled.Add(1)
						continue
					}
					if n := writers.Add(1); n != 1 || readers.Load() != 0 {
						t.Errorf("writer inside with %d writers and %d readers", n, readers.Load())
					}
					counter++
					writes++
					writers.Add(-1)
					m.Unlock()
				} else {
					if err := m.RLock(ctx); err != nil {
						cancel()
						cancelled.Add(1)
						continue
					}
					n := readers.Add(1)
					for top := maxReaders.Load(); n > top && !maxReaders.CompareAndSwap(top, n); top = maxReaders.Load() {
					}
					if writers.Load() != 0 {
						t.Errorf("reader inside with a writer")
					}
					_ = counter
					runtime.Gosched() // stay a little, so that readers overlap
					readers.Add(-1)
					m.RUnlock()
				}
				cancel()
			}
		})
	}
	wg.Wait()
	if counter != writes || writes == 0 {
		t.Fatalf("counter %d after %d writes", counter, writes)
	}
	if maxReaders.Load() < 2 {
		t.Fatalf("readers never held the lock together (at most %d)", maxReaders.Load())
	}
	if cancelled.Load() == 0 {
		t.Fatal("no lock attempt was cancelled")
	}
	if !m.TryLock() {
		t.Fatal("lock left held")
	}
	t.Logf("%d writes, up to %d readers together, %d cancelled", writes, maxReaders.Load(), cancelled.Load())
}
