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

// recvAsync calls r.Recv in a new goroutine; the value lands in *v.
func recvAsync(r *Subscription[int], ctx context.Context, v *int) <-chan error {
	return async(func() error {
		got, err := r.Recv(ctx)
		*v = got
		return err
	})
}

// expectValues receives want from r. Each value must be there already: a
// Recv that waits gives up after a second (at once, on a synctest bubble's
// clock, when nothing else can happen) and fails the test.
func expectValues(t *testing.T, r *Subscription[int], want ...int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, w := range want {
		if v, err := r.Recv(ctx); err != nil || v != w {
			t.Fatalf("Recv = %d, %v; want %d", v, err, w)
		}
	}
}

func TestBroadcastDeliversInOrderAfterSubscribe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBroadcast[int](8)
		if n := b.Send(0); n != 0 {
			t.Fatalf("Send with no subscriber returned %d", n)
		}
		a := b.Subscribe()
		for v := 1; v <= 2; v++ {
			if n := b.Send(v); n != 1 {
				t.Fatalf("Send returned %d subscribers, want 1", n)
			}
		}
		c := b.Subscribe()
		if n := b.Send(3); n != 2 {
			t.Fatalf("Send returned %d subscribers, want 2", n)
		}
		expectValues(t, a, 1, 2, 3)
		expectValues(t, c, 3) // not 0, 1, 2: sent before it subscribed
		var got int
		res := recvAsync(c, context.Background(), &got)
		synctest.Wait()
		blocked(t, res, "Recv with nothing sent")
		b.Send(4)
		synctest.Wait()
		if err := returned(t, res, "Recv after Send"); err != nil || got != 4 {
			t.Fatalf("Recv = %d, %v; want 4", got, err)
		}
		expectValues(t, a, 4)
	})
}

func TestBroadcastLaggedSubscriber(t *testing.T) {
	b := NewBroadcast[int](3)
	r := b.Subscribe()
	fast := b.Subscribe()
	for v := 1; v <= 7; v++ {
		b.Send(v) // never blocks, however far behind r is
		expectValues(t, fast, v)
	}
	_, err := r.Recv(context.Background())
	var lag *LaggedError
	if !errors.As(err, &lag) || lag.Missed != 4 {
		t.Fatalf("Recv after falling 7 behind with capacity 3 returned %v, want LaggedError{4}", err)
	}
	expectValues(t, r, 5, 6, 7) // then the oldest values kept
	b.Send(8)
	expectValues(t, r, 8)
	s := <-b.state
	defer func() { b.state <- s }()
	if len(s.ring) != 3 {
		t.Fatalf("the broadcast keeps %d values, want its capacity 3", len(s.ring))
	}
}

func TestBroadcastClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBroadcast[int](4)
		idle, behind := b.Subscribe(), b.Subscribe()
		var got int
		waiting := recvAsync(idle, context.Background(), &got)
		synctest.Wait()
		b.Send(1)
		b.Send(2)
		synctest.Wait()
		if err := returned(t, waiting, "Recv"); err != nil || got != 1 {
			t.Fatalf("Recv = %d, %v", got, err)
		}
		expectValues(t, idle, 2)
		waiting = recvAsync(idle, context.Background(), &got)
		synctest.Wait()
		b.Close()
		b.Close() // idempotent
		synctest.Wait()
		if err := returned(t, waiting, "Recv blocked at Close"); !errors.Is(err, ErrClosed) {
			t.Fatalf("blocked Recv returned %v at Close, want ErrClosed", err)
		}
		expectValues(t, behind, 1, 2) // what is kept is drained first
		if _, err := behind.Recv(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Recv after draining returned %v, want ErrClosed", err)
		}
		if _, err := b.Subscribe().Recv(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Recv on a subscription made after Close returned %v", err)
		}
		mustPanic(t, "Send after Close", func() { b.Send(3) })
	})
}

func TestBroadcastSubscriptionClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBroadcast[int](4)
		a, c := b.Subscribe(), b.Subscribe()
		var got int
		waiting := recvAsync(a, context.Background(), &got)
		synctest.Wait()
		a.Close()
		a.Close()
		synctest.Wait()
		if err := returned(t, waiting, "Recv on a subscription being closed"); !errors.Is(err, ErrClosed) {
			t.Fatalf("Recv returned %v, want ErrClosed", err)
		}
		if n := b.Send(1); n != 1 {
			t.Fatalf("Send counted %d subscribers after one unsubscribed, want 1", n)
		}
		if _, err := a.Recv(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Recv after unsubscribing returned %v", err)
		}
		expectValues(t, c, 1)
	})
}

func TestBroadcastCancelledRecvLosesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBroadcast[int](4)
		r := b.Subscribe()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		if _, err := r.Recv(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Recv returned %v, want DeadlineExceeded", err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Fatalf("gave up after %v, want exactly 1s", waited)
		}
		b.Send(1)
		expectValues(t, r, 1)
	})
}

func TestBroadcastMisusePanics(t *testing.T) {
	mustPanic(t, "NewBroadcast(0)", func() { NewBroadcast[int](0) })
}

// TestBroadcastStress has one sender and eight subscribers, some of them
// slow, with randomly cancelled Recvs. Every subscriber must see the values
// in order, with gaps exactly as long as the lag it was told about, and the
// values it received plus the values it missed must add up to all values
// sent.
func TestBroadcastStress(t *testing.T) {
	const subscribers, values, capacity = 8, 5000, 16
	b := NewBroadcast[int](capacity)
	subs := make([]*Subscription[int], subscribers)
	for i := range subs {
		subs[i] = b.Subscribe()
	}
	var lagged, cancelled atomic.Int64
	sentAll := make(chan struct{})
	var wg conc.WaitGroup
	for i, sub := range subs {
		wg.Go(func() {
			if i == 0 {
				<-sentAll // the slowest: it must lag by values-capacity
			}
			r := rand.New(rand.NewPCG(uint64(i), 9))
			next, received, missed := 0, 0, uint64(0)
			for {
				ctx, cancel := randomContext(r, 0)
				v, err := sub.Recv(ctx)
				cancel()
				var lag *LaggedError
				switch {
				case err == nil:
					if v != next {
						t.Errorf("subscriber %d got %d, want %d", i, v, next)
						return
					}
					next++
					received++
				case errors.As(err, &lag):
					next += int(lag.Missed)
					missed += lag.Missed
					lagged.Add(1)
				case errors.Is(err, ErrClosed):
					if received+int(missed) != values {
						t.Errorf("subscriber %d: %d received + %d missed, want %d sent", i, received, missed, values)
					}
					return
				case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
					cancelled.Add(1)
				default:
					t.Errorf("subscriber %d: %v", i, err)
					return
				}
				if i%2 == 0 && r.IntN(4) == 0 {
					runtime.Gosched() // a slow subscriber
				}
			}
		})
	}
	for v := range values {
		if n := b.Send(v); n != subscribers {
			t.Fatalf("Send counted %d subscribers, want %d", n, subscribers)
		}
		if v%50 == 0 {
			time.Sleep(20 * time.Microsecond) // let subscribers catch up and wait
		}
	}
	close(sentAll)
	b.Close()
	wg.Wait()
	if cancelled.Load() == 0 || lagged.Load() == 0 {
		t.Fatalf("stress did not exercise Recv: %d lag reports, %d cancelled", lagged.Load(), cancelled.Load())
	}
	t.Logf("%d lag reports, %d cancelled receives", lagged.Load(), cancelled.Load())
}

// A Recv whose context is done when it is called returns ctx.Err() whatever
// is waiting for it (a value, a lag, the end) and consumes none of it.
func TestBroadcastDoneContext(t *testing.T) {
	synctest.Test(t, testBroadcastDoneContext)
}

func testBroadcastDoneContext(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	b := NewBroadcast[int](2)
	r := b.Subscribe()
	recvDone := func(what string) {
		t.Helper()
		if _, err := r.Recv(done); !errors.Is(err, context.Canceled) {
			t.Fatalf("Recv with a done ctx and %s returned %v, want context.Canceled", what, err)
		}
	}
	b.Send(1)
	recvDone("a value waiting")
	expectValues(t, r, 1)
	for v := 2; v <= 5; v++ {
		b.Send(v)
	}
	recvDone("a lag")
	var lag *LaggedError
	if _, err := r.Recv(context.Background()); !errors.As(err, &lag) || lag.Missed != 2 {
		t.Fatalf("Recv after the done-ctx call returned %v, want a lag of 2", err)
	}
	b.Close()
	recvDone("values kept after Close")
	expectValues(t, r, 4, 5)
	recvDone("a closed Broadcast")
	if _, err := r.Recv(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Recv at the end returned %v, want ErrClosed", err)
	}
}
