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

// A waiter that NotifyOne chooses just as its context ends passes the
// notification on: to the next waiter, or, with none, to the permit. The
// test holds the Notify's state while the waiter's context ends, so that the
// waiter is parked on the state when NotifyOne's step chooses it.
func TestNotifyChosenAsCancelledPassesOn(t *testing.T) {
	for _, next := range []bool{true, false} {
		name := map[bool]string{true: "to the next waiter", false: "to the permit"}[next]
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := NewNotify()
				ctx, cancel := context.WithCancel(context.Background())
				ctxs := []context.Context{ctx}
				if next {
					ctxs = append(ctxs, context.Background())
				}
				w := queueWaiters(n, ctxs...)
				s := <-n.state
				cancel()
				synctest.Wait() // waiter 0 saw ctx end and waits for the state
				s.notifyOne()   // what NotifyOne does: it chooses waiter 0
				n.state <- s
				synctest.Wait()
				if err := returned(t, w[0], "the chosen waiter"); !errors.Is(err, context.Canceled) {
					t.Fatalf("chosen waiter whose ctx ended returned %v, want context.Canceled", err)
				}
				if next {
					if err := returned(t, w[1], "the next waiter"); err != nil {
						t.Fatalf("next waiter: %v", err)
					}
					return
				}
				if !permitTaken(t, n) {
					t.Fatal("the notification was lost: Wait found no permit")
				}
			})
		})
	}
}

// A waiter woken by NotifyWaiters as its context ends has nothing to pass
// on: NotifyWaiters stores nothing.
func TestNotifyWaitersAsCancelledPassesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNotify()
		ctx, cancel := context.WithCancel(context.Background())
		w := queueWaiters(n, ctx)
		s := <-n.state
		cancel()
		synctest.Wait()
		for x := s.waiters.pop(); x != nil; x = s.waiters.pop() { // what NotifyWaiters does
			close(x.ready)
		}
		n.state <- s
		synctest.Wait()
		if err := returned(t, w[0], "the woken waiter"); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		if permitTaken(t, n) {
			t.Fatal("a permit appeared from NotifyWaiters")
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
		s := <-n.state
		queued := !s.waiters.empty()
		n.state <- s
		if queued {
			t.Fatal("a Wait with a done ctx left a waiter queued")
		}
		if !permitTaken(t, n) {
			t.Fatal("a Wait with a done ctx consumed the permit")
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
