package async

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestBlockOnPollsOnTheCallingGoroutine(t *testing.T) {
	r := &record{readyAt: 1}
	f := probe{r}
	if r.polls != 0 {
		t.Fatal("a future ran before it was polled")
	}
	v, err := BlockOn[int](context.Background(), &f)
	if v != 1 || err != nil || r.polls != 1 {
		t.Fatalf("BlockOn = %d, %v after %d polls; want 1, nil after 1", v, err, r.polls)
	}
}

func TestBlockOnSleepsUntilWoken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		woken := make(chan Waker, 1)
		r := &record{readyAt: 2, onPoll: func(r *record) {
			if r.polls == 1 {
				woken <- r.waker
			}
		}}
		done := make(chan int)
		go func() {
			v, _ := BlockOn[int](context.Background(), &probe{r})
			done <- v
		}()
		w := <-woken
		synctest.Wait()
		select {
		case <-done:
			t.Fatal("BlockOn returned before the wake")
		default:
		}
		w.Wake()
		w.Wake() // a second wake is remembered as one
		if v := <-done; v != 2 {
			t.Fatalf("BlockOn = %d, want 2", v)
		}
	})
}

func TestBlockOnWakeDuringPollIsNotLost(t *testing.T) {
	// The future wakes itself before returning Pending: the wake must make
	// BlockOn poll again rather than sleep.
	r := &record{readyAt: 3, onPoll: func(r *record) { r.waker.Wake() }}
	v, err := BlockOn[int](context.Background(), &probe{r})
	if v != 3 || err != nil {
		t.Fatalf("BlockOn = %d, %v", v, err)
	}
}

func TestBlockOnContextDropsTheFuture(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &record{}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := BlockOn[int](ctx, &probe{r})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("BlockOn = %v, want DeadlineExceeded", err)
		}
		if r.drops != 1 {
			t.Fatalf("future dropped %d times, want 1", r.drops)
		}
	})
}

func TestBlockOnPanicPropagatesAndDrops(t *testing.T) {
	r := &record{panicOnPoll: 1}
	defer func() {
		if v := recover(); v != "probe panics on poll 1" {
			t.Fatalf("recovered %v", v)
		}
		if r.drops != 1 {
			t.Fatalf("the future that panicked was dropped %d times, want 1", r.drops)
		}
	}()
	BlockOn[int](context.Background(), &probe{r})
	t.Fatal("BlockOn returned")
}

func TestBlockOnDoesNotDropAReadyFuture(t *testing.T) {
	r := &record{readyAt: 2, onPoll: func(r *record) { r.waker.Wake() }}
	if v, err := BlockOn[int](context.Background(), &probe{r}); v != 2 || err != nil || r.drops != 0 {
		t.Fatalf("BlockOn = %d, %v with %d drops; want 2, nil, no drop", v, err, r.drops)
	}
}

func TestZeroWakerDoesNothing(t *testing.T) {
	var w Waker
	if !w.IsZero() {
		t.Fatal("zero Waker is not IsZero")
	}
	w.Wake()
	n := 0
	w = NewWaker(WakerFunc(func() { n++ }))
	if w.IsZero() {
		t.Fatal("a WakerFunc waker is IsZero")
	}
	w.Wake()
	w.Wake()
	if n != 2 {
		t.Fatalf("WakerFunc called %d times, want 2", n)
	}
	NewContext(w).Waker().Wake()
	if n != 3 {
		t.Fatal("NewContext does not carry its waker")
	}
}

func TestBlockOnAllocatesOnlyItsWaker(t *testing.T) {
	f := &probe{&record{readyAt: 1}}
	allocs := testing.AllocsPerRun(100, func() {
		f.r.polls, f.r.finished = 0, false
		BlockOn[int](context.Background(), f)
	})
	if allocs > 2 {
		t.Fatalf("BlockOn allocates %v times per call, want at most 2 (its signal channel and its Context)", allocs)
	}
}
