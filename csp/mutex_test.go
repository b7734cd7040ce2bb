package csp

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sourcegraph/conc"
)

func TestMutexFIFO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMutex()
		if err := m.Lock(context.Background()); err != nil {
			t.Fatal(err)
		}
		order := make(chan int, 5)
		for i := range 5 {
			go func() {
				m.Lock(context.Background())
				order <- i
			}()
			synctest.Wait()
		}
		if m.TryLock() {
			t.Fatal("TryLock took a locked mutex")
		}
		for want := range 5 {
			m.Unlock()
			synctest.Wait()
			if m.TryLock() {
				t.Fatal("TryLock barged in ahead of a waiting locker")
			}
			if got := <-order; got != want {
				t.Fatalf("lock went to %d, want %d", got, want)
			}
		}
		m.Unlock()
		if !m.TryLock() {
			t.Fatal("TryLock on a free mutex failed")
		}
		m.Unlock()
	})
}

func TestMutexCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMutex()
		m.Lock(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		errc := make(chan error, 1)
		go func() { errc <- m.Lock(ctx) }()
		got := make(chan bool, 1)
		go func() {
			m.Lock(context.Background())
			got <- true
		}()
		time.Sleep(time.Second) // fake time: the first waiter's deadline passes
		synctest.Wait()
		if err := <-errc; !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Lock returned %v, want DeadlineExceeded", err)
		}
		m.Unlock()
		synctest.Wait()
		select {
		case <-got:
		default:
			t.Fatal("the waiter behind a timed-out one did not get the lock")
		}
		m.Unlock()
	})
}

// The lock may be held across a blocking wait, and the goroutine it waits
// for may itself wait for the lock with a deadline and give up.
func TestMutexHeldAcrossBlockingCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMutex()
		reply := make(chan int)
		m.Lock(context.Background())
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			if err := m.Lock(ctx); err == nil {
				m.Unlock()
				reply <- 1
				return
			}
			reply <- 2 // gave up on the lock, answers anyway
		}()
		if got := <-reply; got != 2 {
			t.Fatalf("helper got the lock while it was held")
		}
		m.Unlock()
	})
}

func TestMutexUnlockUnlockedPanics(t *testing.T) {
	m := NewMutex()
	mustPanic(t, "Unlock of unlocked Mutex", m.Unlock)
}

// TestMutexStress checks mutual exclusion with a plain counter that the race
// detector watches, under lockers that give up at random.
func TestMutexStress(t *testing.T) {
	const workers, rounds = 16, 500
	m := NewMutex()
	inside, counter, acquired := 0, 0, 0
	var wg conc.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 3))
			for range rounds {
				ctx, cancel := context.WithCancel(context.Background())
				if r.IntN(4) == 0 {
					go cancel()
				}
				if err := m.Lock(ctx); err != nil {
					cancel()
					continue
				}
				inside++
				if inside != 1 {
					t.Errorf("%d goroutines inside the critical section", inside)
				}
				counter++
				acquired++
				inside--
				m.Unlock()
				cancel()
			}
		})
	}
	wg.Wait()
	if counter != acquired || counter == 0 {
		t.Fatalf("counter %d, acquisitions %d", counter, acquired)
	}
	if !m.TryLock() {
		t.Fatal("mutex left locked")
	}
}

// A Lock whose context is done when it is called fails at once and leaves a
// free mutex free.
func TestMutexDoneContext(t *testing.T) {
	m := NewMutex()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Lock(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock of a free mutex with a done ctx returned %v, want context.Canceled", err)
	}
	if !m.TryLock() {
		t.Fatal("a Lock with a done ctx took the mutex")
	}
	if err := m.Lock(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock of a held mutex with a done ctx returned %v, want context.Canceled", err)
	}
	m.Unlock()
}
