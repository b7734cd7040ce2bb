package async

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// TestTimerHeapAgainstModel applies random resets, stops and expiries to
// the heap and to a plain map, and checks after each step that they agree:
// the same timers pending, the same earliest deadline, expiries in
// deadline order, each Timer's index pointing at its own entry.
func TestTimerHeapAgainstModel(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		var h timerHeap
		timers := make([]Timer, 50)
		model := map[int]int64{} // timer index → deadline, for pending timers
		fired := map[int]bool{}
		now := int64(0)
		for step := range 2000 {
			i := rng.IntN(len(timers))
			switch op := rng.IntN(10); {
			case op < 5:
				when := now + rng.Int64N(1000)
				h.reset(&timers[i], when, Waker{})
				model[i] = when
				delete(fired, i)
			case op < 7:
				_, pending := model[i]
				if got := h.stop(&timers[i]); got != pending {
					t.Fatalf("seed %d step %d: stop(%d) = %v, want %v", seed, step, i, got, pending)
				}
				delete(model, i)
				delete(fired, i)
			default:
				now += rng.Int64N(300)
				batch := h.expire(now, 1<<30, nil)
				var due []int64
				for j, when := range model {
					if when <= now {
						due = append(due, when)
						delete(model, j)
						fired[j] = true
					}
				}
				if len(batch) != len(due) {
					t.Fatalf("seed %d step %d: %d timers fired, want %d", seed, step, len(batch), len(due))
				}
			}
			if h.len() != len(model) {
				t.Fatalf("seed %d step %d: heap holds %d, model %d", seed, step, h.len(), len(model))
			}
			for j := range timers {
				tm := &timers[j]
				when, pending := model[j]
				switch {
				case pending && (tm.index == 0 || h.entries[tm.index-1].t != tm || tm.when != when || tm.state != timerPending):
					t.Fatalf("seed %d step %d: timer %d pending at %d, but index %d state %d when %d", seed, step, j, when, tm.index, tm.state, tm.when)
				case !pending && tm.index != 0:
					t.Fatalf("seed %d step %d: timer %d not pending, but in the heap", seed, step, j)
				case fired[j] && tm.state != timerFired:
					t.Fatalf("seed %d step %d: timer %d fired, but state %d", seed, step, j, tm.state)
				}
			}
			if next, ok := h.next(); ok {
				min := slices.Min(mapValues(model))
				if next != min {
					t.Fatalf("seed %d step %d: next = %d, want %d", seed, step, next, min)
				}
			}
		}
	}
}

func mapValues(m map[int]int64) []int64 {
	var v []int64
	for _, x := range m {
		v = append(v, x)
	}
	return v
}

func TestTimerHeapExpiresInDeadlineOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var h timerHeap
	timers := make([]Timer, 1000)
	order := map[*Timer]int64{}
	var fired []int64
	for i := range timers {
		when := rng.Int64N(1 << 20)
		tm := &timers[i]
		order[tm] = when
		h.reset(tm, when, NewWaker(WakerFunc(func() { fired = append(fired, order[tm]) })))
	}
	for h.len() > 0 {
		for _, w := range h.expire(1<<21, 7, nil) { // small batches
			w.Wake()
		}
	}
	if len(fired) != len(timers) || !slices.IsSorted(fired) {
		t.Fatalf("%d timers fired, in deadline order: %v", len(fired), slices.IsSorted(fired))
	}
}

func TestManualClockFiresDueTimersInOrder(t *testing.T) {
	start := time.Unix(1000, 0)
	c := NewManualClock(start)
	var got []string
	var timers [3]Timer
	for i, d := range []time.Duration{30, 10, 20} {
		name := string(rune('a' + i))
		c.ResetTimer(&timers[i], start.Add(d*time.Millisecond), NewWaker(WakerFunc(func() { got = append(got, name) })))
	}
	if n := c.Advance(15 * time.Millisecond); n != 1 || !slices.Equal(got, []string{"b"}) {
		t.Fatalf("after 15ms: %d fired, %v", n, got)
	}
	if !c.AdvanceToNext() || !slices.Equal(got, []string{"b", "c"}) || !c.Now().Equal(start.Add(20*time.Millisecond)) {
		t.Fatalf("AdvanceToNext: %v at %v", got, c.Now())
	}
	if !c.StopTimer(&timers[0]) || c.StopTimer(&timers[0]) {
		t.Fatal("StopTimer of a pending timer, then again: want true, false")
	}
	if c.AdvanceToNext() || c.PendingTimers() != 0 {
		t.Fatal("AdvanceToNext with nothing pending reported true")
	}
}

func TestManualClockFiresTimersArmedByWakers(t *testing.T) {
	start := time.Unix(0, 0)
	c := NewManualClock(start)
	var first, second Timer
	fired := 0
	c.ResetTimer(&first, start.Add(time.Second), NewWaker(WakerFunc(func() {
		fired++
		// Armed by a waker for a deadline already reached: fires in the
		// same Advance.
		c.ResetTimer(&second, start.Add(time.Second), NewWaker(WakerFunc(func() { fired++ })))
	})))
	if n := c.Advance(time.Second); n != 2 || fired != 2 {
		t.Fatalf("Advance fired %d (wakers ran %d), want 2", n, fired)
	}
}

func TestSleepOnManualClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(Config{Workers: 1})
		defer e.Close()
		c := NewManualClock(time.Unix(0, 0))
		s := c.Sleep(time.Second)
		h := Spawn[struct{}](e, s)
		synctest.Wait()
		if c.PendingTimers() != 1 {
			t.Fatalf("%d timers pending after the first poll, want 1", c.PendingTimers())
		}
		c.Advance(999 * time.Millisecond)
		synctest.Wait()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := h.Join(ctx); err == nil {
			t.Fatal("Sleep(1s) was ready after 999ms")
		}
		c.Advance(time.Millisecond)
		if _, err := h.Join(context.Background()); err != nil {
			t.Fatal(err)
		}
		// A Sleep whose deadline has passed is ready at its first poll,
		// without a timer.
		past := c.Deadline(time.Unix(0, 0))
		if _, ok := past.Poll(NewContext(Waker{})); !ok || c.PendingTimers() != 0 {
			t.Fatal("a Sleep to a past deadline was not ready at once")
		}
	})
}

func TestSleepDropStopsItsTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(Config{Workers: 1})
		defer e.Close()
		c := NewManualClock(time.Unix(0, 0))
		h := Spawn[struct{}](e, c.Sleep(time.Hour))
		synctest.Wait()
		h.Abort()
		if c.PendingTimers() != 0 {
			t.Fatalf("%d timers pending after the Sleep was aborted, want 0", c.PendingTimers())
		}
	})
}
