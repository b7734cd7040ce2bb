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

// queueWaiters starts a Wait per context, each queued before the next starts,
// and returns their result channels in arrival order.
func queueWaiters(n *Notify, ctxs ...context.Context) []<-chan error {
	var res []<-chan error
	for _, ctx := range ctxs {
		res = append(res, async(func() error { return n.Wait(ctx) }))
		synctest.Wait()
	}
	return res
}

// permitTaken reports whether a Wait returned at once, which it does only by
// consuming a stored permit. It must run in a synctest bubble with nobody
// else waiting on n: a Wait that parks instead is released by a NotifyOne,
// so n holds no permit afterwards either way.
func permitTaken(t *testing.T, n *Notify) bool {
	t.Helper()
	w := async(func() error { return n.Wait(context.Background()) })
	synctest.Wait()
	select {
	case err := <-w:
		if err != nil {
			t.Fatalf("Wait(Background) returned %v", err)
		}
		return true
	default:
		n.NotifyOne()
		if err := <-w; err != nil {
			t.Fatalf("Wait(Background) returned %v", err)
		}
		return false
	}
}

func TestNotifyStoresOnePermit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNotify()
		n.NotifyOne()
		n.NotifyOne() // nobody waits: still one permit
		if err := n.Wait(context.Background()); err != nil {
			t.Fatalf("Wait with a stored permit: %v", err)
		}
		w := queueWaiters(n, context.Background())
		blocked(t, w[0], "Wait after the one permit was consumed")
		n.NotifyOne()
		synctest.Wait()
		if err := returned(t, w[0], "Wait after NotifyOne"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestNotifyOneWakesOldest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNotify()
		bg := context.Background()
		w := queueWaiters(n, bg, bg, bg, bg)
		for i := range w {
			n.NotifyOne()
			synctest.Wait()
			if err := returned(t, w[i], "the oldest waiter"); err != nil {
				t.Fatal(err)
			}
			for j := i + 1; j < len(w); j++ {
				blocked(t, w[j], "a younger waiter")
			}
		}
		// Every NotifyOne went to a waiter: none left a permit.
		if permitTaken(t, n) {
			t.Fatal("Wait found a permit after every notification was taken")
		}
	})
}

func TestNotifyWaitersWakesAllStoresNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNotify()
		bg := context.Background()
		w := queueWaiters(n, bg, bg, bg)
		n.NotifyWaiters()
		synctest.Wait()
		for i := range w {
			if err := returned(t, w[i], "a waiter after NotifyWaiters"); err != nil {
				t.Fatal(err)
			}
		}
		late := queueWaiters(n, bg)
		blocked(t, late[0], "a Wait after NotifyWaiters (it stores nothing)")
		n.NotifyOne()
		synctest.Wait()
		if err := returned(t, late[0], "the late waiter"); err != nil {
			t.Fatal(err)
		}

		// A stored permit survives NotifyWaiters.
		n.NotifyOne()
		n.NotifyWaiters()
		if !permitTaken(t, n) {
			t.Fatal("the permit stored before NotifyWaiters is gone")
		}
	})
}

func TestNotifyCancelledWaiterLeavesNoTrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNotify()
		bg := context.Background()
		ctx, cancel := context.WithCancel(bg)
		w := queueWaiters(n, bg, ctx, bg)
		cancel()
		synctest.Wait()
		if err := returned(t, w[1], "the cancelled waiter"); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled waiter returned %v, want context.Canceled", err)
		}
		n.NotifyOne()
		n.NotifyOne()
		synctest.Wait()
		for _, i := range []int{0, 2} {
			if err := returned(t, w[i], "a live waiter"); err != nil {
				t.Fatal(err)
			}
		}
		// The cancelled waiter took neither notification, and no permit is left.
		if permitTaken(t, n) {
			t.Fatal("Wait found a permit")
		}
	})
}

// A waiter that NotifyOne chooses just as its context ends reports the
// notification: it took it, so returning ctx.Err() would lose it. NotifyOne
// hands the notification over before it returns; the context is cancelled
// right after, usually before the chosen waiter has run, and the round is
// repeated so that some rounds surely take that order. Nothing is passed
// on: the next waiter stays blocked and no permit is left.
func TestNotifyChosenAsCancelledReports(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNotify()
		for range 100 {
			ctx, cancel := context.WithCancel(context.Background())
			w := queueWaiters(n, ctx, context.Background())
			n.NotifyOne()
			cancel()
			synctest.Wait()
			if err := returned(t, w[0], "the chosen waiter"); err != nil {
				t.Fatalf("chosen waiter whose ctx ended returned %v, want nil", err)
			}
			blocked(t, w[1], "the next waiter (the notification was passed on)")
			n.NotifyOne()
			synctest.Wait()
			if err := returned(t, w[1], "the next waiter"); err != nil {
				t.Fatal(err)
			}
			if permitTaken(t, n) {
				t.Fatal("a permit was left behind")
			}
		}
	})
}

// A waiter woken by NotifyWaiters as its context ends reports the wake-up,
// and has nothing to pass on: NotifyWaiters stores nothing.
func TestNotifyWaitersAsCancelledReports(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNotify()
		for range 100 {
			ctx, cancel := context.WithCancel(context.Background())
			w := queueWaiters(n, ctx)
			n.NotifyWaiters()
			cancel()
			synctest.Wait()
			if err := returned(t, w[0], "the woken waiter"); err != nil {
				t.Fatalf("woken waiter whose ctx ended returned %v, want nil", err)
			}
			if permitTaken(t, n) {
				t.Fatal("a permit appeared from NotifyWaiters")
			}
		}
	})
}

// NotifyWaiters with nobody waiting parks its round's value in the empty
// buffer and must take it out again: it stores nothing.
func TestNotifyWaitersWithNobodyStoresNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNotify()
		n.NotifyWaiters()
		n.NotifyWaiters()
		if permitTaken(t, n) {
			t.Fatal("NotifyWaiters with nobody waiting left a permit")
		}
	})
}

// A goroutine woken by a round of NotifyWaiters returns only once the round
// is over, so that it cannot wait again and be woken by the same round. The
// test plays the round's part by hand: it hands the waiter the round's
// value, then ends the round.
func TestNotifyWaitersWokenWaiterWaitsForTheRound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNotify()
		w := queueWaiters(n, context.Background())
		round := make(chan struct{})
		n.round <- struct{}{}
		n.wake <- round // taken by the blocked waiter
		synctest.Wait()
		blocked(t, w[0], "a waiter woken by a round that is not over")
		close(round)
		<-n.round
		synctest.Wait()
		if err := returned(t, w[0], "the woken waiter once the round is over"); err != nil {
			t.Fatal(err)
		}
	})
}

// A NotifyOne that finds a round's value parked in the buffer waits for the
// round to take it out, then stores its permit: the notification is not
// mistaken for a stored permit and dropped. The test plays the round's part
// by hand.
func TestNotifyOneDuringARoundIsKept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNotify()
		n.round <- struct{}{}
		n.wake <- make(chan struct{}) // the round's value, parked: nobody waits
		one := async(func() error { n.NotifyOne(); return nil })
		synctest.Wait()
		blocked(t, one, "NotifyOne while a round's value is in the buffer")
		<-n.wake // the round takes its value out and ends
		<-n.round
		synctest.Wait()
		if err := returned(t, one, "NotifyOne after the round"); err != nil {
			t.Fatal(err)
		}
		if !permitTaken(t, n) {
			t.Fatal("the NotifyOne that met a round was lost")
		}
	})
}

func TestNotifyTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNotify()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		if err := n.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait returned %v, want DeadlineExceeded", err)
		}
		if waited := time.Since(start); waited != 5*time.Second {
			t.Fatalf("gave up after %v, want exactly 5s", waited)
		}
		n.NotifyOne() // nobody waits: the timed-out waiter must not take it
		if err := n.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// A Wait whose context is done when it is called fails at once, and leaves
// a stored permit where it is: the notification goes to the next Wait.
func TestNotifyDoneContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNotify()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := n.Wait(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait with a done ctx and no permit returned %v", err)
		}
		n.NotifyOne()
		if err := n.Wait(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait with a done ctx and a permit returned %v, want context.Canceled", err)
		}
		// A waiter left queued by the first call would have taken the
		// NotifyOne.
		if !permitTaken(t, n) {
			t.Fatal("a Wait with a done ctx consumed the permit, or left a waiter queued")
		}
	})
}

// TestNotifyStress checks that no notification is lost, and none counted
// twice, under random cancellations. A baton protocol makes every
// notification count: the producer calls NotifyOne and waits for the
// acknowledgement of the consumer that took it before it sends the next, so
// notifications never collapse into one permit. Consumers wait with contexts
// that racing goroutines cancel at random moments, often just as NotifyOne
// chooses them; a cancelled consumer simply waits again, so it relies on the
// notification having been passed on. A lost notification leaves the
// producer waiting for an acknowledgement forever; the test runs in a
// synctest bubble, which reports that as a deadlock instead of hanging.
// Contexts are cancelled by goroutines, not timers, since the bubble's fake
// clock would fire timers exactly when a deadlock should be seen.
func TestNotifyStress(t *testing.T) {
	const consumers, notifications = 4, 3000
	synctest.Test(t, func(t *testing.T) {
		n := NewNotify()
		ack := make(chan int, notifications+consumers)
		stop, stopAll := context.WithCancel(context.Background())
		var woken, cancelled atomic.Int64
		var wg conc.WaitGroup
		for c := range consumers {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(c), 2))
				for stop.Err() == nil {
					ctx, cancel := context.WithCancel(stop)
					if r.IntN(2) == 0 {
						yields := r.IntN(4)
						go func() {
							for range yields {
								runtime.Gosched()
							}
							cancel()
						}()
					}
					err := n.Wait(ctx)
					cancel()
					if err != nil {
						cancelled.Add(1)
						continue
					}
					woken.Add(1)
					ack <- c
				}
			})
		}
		for range notifications {
			n.NotifyOne()
			<-ack
		}
		stopAll()
		wg.Wait()
		if extra := len(ack); extra != 0 {
			t.Fatalf("%d wake-ups more than the %d notifications", extra, notifications)
		}
		if got := woken.Load(); got != notifications {
			t.Fatalf("%d wake-ups for %d notifications", got, notifications)
		}
		if cancelled.Load() == 0 {
			t.Fatal("stress did not cancel any Wait")
		}
		t.Logf("%d notifications, %d cancelled waits", notifications, cancelled.Load())
	})
}

// TestNotifyWaitersStress races rounds of NotifyWaiters with waiters that
// wait again as soon as they are woken, and with NotifyOne. It checks that
// one round wakes a goroutine at most once (each waiter counts its wake-ups,
// which cannot exceed the number of rounds), that rounds store nothing, and
// that a NotifyOne that meets a round, whose value may be parked in the
// buffer for want of a waiter, still leaves its permit.
func TestNotifyWaitersStress(t *testing.T) {
	t.Run("a round wakes a goroutine once", func(t *testing.T) {
		const waiters, rounds = 64, 500
		synctest.Test(t, func(t *testing.T) {
			n := NewNotify()
			stop, stopAll := context.WithCancel(context.Background())
			wakes := make([]int, waiters)
			var wg conc.WaitGroup
			for i := range waiters {
				wg.Go(func() {
					for n.Wait(stop) == nil {
						wakes[i]++
					}
				})
			}
			for range rounds {
				n.NotifyWaiters()
				runtime.Gosched() // let the woken wait again
			}
			stopAll()
			wg.Wait()
			total := 0
			for i, w := range wakes {
				if w > rounds {
					t.Fatalf("waiter %d woken %d times by %d rounds", i, w, rounds)
				}
				total += w
			}
			if permitTaken(t, n) {
				t.Fatal("rounds of NotifyWaiters left a permit")
			}
			t.Logf("%d wake-ups by %d rounds of %d waiters", total, rounds, waiters)
		})
	})
	t.Run("NotifyOne during a round", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			n := NewNotify()
			for range 2000 {
				var wg conc.WaitGroup
				wg.Go(n.NotifyWaiters)
				wg.Go(n.NotifyOne)
				wg.Wait()
				if !permitTaken(t, n) {
					t.Fatal("a NotifyOne that raced with NotifyWaiters left no permit")
				}
			}
		})
	})
}
