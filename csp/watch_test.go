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

func changedAsync(r *Watcher[int], ctx context.Context) <-chan error {
	return async(func() error { return r.Changed(ctx) })
}

func TestWatchChangedAndBorrow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := NewWatch(0)
		if v := w.Borrow(); v != 0 {
			t.Fatalf("Borrow = %d, want the initial 0", v)
		}
		a, b := w.Subscribe(), w.Subscribe()
		ca, cb := changedAsync(a, context.Background()), changedAsync(b, context.Background())
		synctest.Wait()
		blocked(t, ca, "Changed before any Send (the current value counts as seen)")
		w.Send(1)
		synctest.Wait()
		for _, c := range []<-chan error{ca, cb} {
			if err := returned(t, c, "Changed after Send"); err != nil {
				t.Fatal(err)
			}
		}
		if v := a.Borrow(); v != 1 {
			t.Fatalf("Borrow = %d, want 1", v)
		}
		ca = changedAsync(a, context.Background())
		synctest.Wait()
		blocked(t, ca, "Changed with the latest value seen")
		w.Send(2)
		synctest.Wait()
		if err := returned(t, ca, "Changed"); err != nil {
			t.Fatal(err)
		}
	})
}

// A slow watcher sees only the latest value, never a backlog.
func TestWatchSlowWatcherSeesLatest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := NewWatch(0)
		r := w.Subscribe()
		for v := 1; v <= 3; v++ {
			w.Send(v)
		}
		if err := r.Changed(context.Background()); err != nil {
			t.Fatal(err)
		}
		if v := r.Borrow(); v != 3 {
			t.Fatalf("Borrow = %d, want the latest, 3", v)
		}
		c := changedAsync(r, context.Background())
		synctest.Wait()
		blocked(t, c, "Changed after the latest value was seen (values 1 and 2 are not a backlog)")
		w.Close()
		synctest.Wait()
		if err := returned(t, c, "Changed at Close"); !errors.Is(err, ErrClosed) {
			t.Fatalf("Changed returned %v at Close, want ErrClosed", err)
		}
	})
}

func TestWatchSubscribeSeesCurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := NewWatch("a")
		w.Send("b")
		r := w.Subscribe()
		c := async(func() error { return r.Changed(context.Background()) })
		synctest.Wait()
		blocked(t, c, "Changed of a watcher subscribed after the last Send")
		if v := r.Borrow(); v != "b" {
			t.Fatalf("Borrow = %q, want b", v)
		}
		w.Send("c")
		synctest.Wait()
		if err := returned(t, c, "Changed"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestWatchClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := NewWatch(0)
		idle, behind := w.Subscribe(), w.Subscribe()
		c := changedAsync(idle, context.Background())
		synctest.Wait()
		w.Send(1)
		synctest.Wait()
		if err := returned(t, c, "Changed"); err != nil {
			t.Fatal(err)
		}
		c = changedAsync(idle, context.Background())
		synctest.Wait()
		w.Close()
		w.Close() // idempotent
		synctest.Wait()
		if err := returned(t, c, "Changed blocked at Close"); !errors.Is(err, ErrClosed) {
			t.Fatalf("Changed returned %v, want ErrClosed", err)
		}
		// behind has not seen 1: it gets it, then ErrClosed.
		if err := behind.Changed(context.Background()); err != nil {
			t.Fatalf("Changed with an unseen value after Close returned %v, want nil", err)
		}
		if err := behind.Changed(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Changed returned %v, want ErrClosed", err)
		}
		if v := behind.Borrow(); v != 1 {
			t.Fatalf("Borrow after Close = %d, want the last value 1", v)
		}
		if err := w.Subscribe().Changed(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Changed of a watcher made after Close returned %v", err)
		}
		mustPanic(t, "Send after Close", func() { w.Send(2) })
	})
}

func TestWatchCancelledChangedMarksNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := NewWatch(0)
		r := w.Subscribe()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		if err := r.Changed(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Changed returned %v, want DeadlineExceeded", err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Fatalf("gave up after %v, want exactly 1s", waited)
		}
		w.Send(1)
		if err := r.Changed(context.Background()); err != nil {
			t.Fatalf("Changed after a cancelled Changed and a Send returned %v", err)
		}
	})
}

// A Changed whose context is done when it is called returns ctx.Err(), even
// with a newer value there or the Watch closed, and marks nothing seen.
func TestWatchDoneContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := NewWatch(0)
		r := w.Subscribe()
		done, cancel := context.WithCancel(context.Background())
		cancel()
		w.Send(1)
		if err := r.Changed(done); !errors.Is(err, context.Canceled) {
			t.Fatalf("Changed with a new value and a done ctx returned %v, want context.Canceled", err)
		}
		w.Close()
		if err := r.Changed(done); !errors.Is(err, context.Canceled) {
			t.Fatalf("Changed of a closed Watch with a done ctx returned %v, want context.Canceled", err)
		}
		if err := r.Changed(context.Background()); err != nil {
			t.Fatalf("Changed after the done-ctx calls returned %v; want the value they left unseen", err)
		}
		if v := r.Borrow(); v != 1 {
			t.Fatalf("Borrow = %d, want 1", v)
		}
		if err := r.Changed(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Changed after the last value was seen returned %v, want ErrClosed", err)
		}
	})
}

// TestWatchStress has a sender publish increasing values while eight
// watchers, with randomly cancelled waits, follow them. A watcher must never
// see the value go back, must be told of every change it has not seen (it
// ends on the last value), and ends with ErrClosed.
func TestWatchStress(t *testing.T) {
	const watchers, values = 8, 3000
	w := NewWatch(0)
	var changes, cancelled atomic.Int64
	var wg conc.WaitGroup
	for i := range watchers {
		r := w.Subscribe()
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(i), 13))
			last := 0
			for {
				ctx, cancel := randomContext(rnd, 0)
				err := r.Changed(ctx)
				cancel()
				switch {
				case err == nil:
					// Borrow may already show a value newer than the one
					// Changed marked seen: the next Changed then reports
					// that value again, so equal is fine, lower is not.
					v := r.Borrow()
					if v < last {
						t.Errorf("watcher %d: Changed, then value %d after %d", i, v, last)
						return
					}
					last = v
					changes.Add(1)
				case errors.Is(err, ErrClosed):
					if last != values {
						t.Errorf("watcher %d closed on %d, want the last value %d", i, last, values)
					}
					return
				case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
					cancelled.Add(1)
				default:
					t.Errorf("watcher %d: %v", i, err)
					return
				}
			}
		})
	}
	for v := 1; v <= values; v++ {
		w.Send(v)
		if v%50 == 0 {
			time.Sleep(20 * time.Microsecond) // let watchers catch up and wait
		}
	}
	w.Close()
	wg.Wait()
	if cancelled.Load() == 0 {
		t.Fatal("no Changed was cancelled")
	}
	t.Logf("%d changes seen by %d watchers of %d values, %d cancelled", changes.Load(), watchers, values, cancelled.Load())
}
