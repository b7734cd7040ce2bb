package async

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// A cell is the shared state of one counting task: wakers add to count and
// wake the task, which completes once count reaches its target.
type cell struct {
	lock    chan struct{} // guards the rest
	count   int
	waker   Waker
	inPoll  bool
	done    bool
	badPoll string // set by a poll that broke a rule
}

// counting is a task that completes once its cell's count reaches target.
type counting struct {
	c      *cell
	target int
}

func (f *counting) Poll(cx *Context) (int, bool) {
	c := f.c
	c.lock <- struct{}{}
	defer func() { <-c.lock }()
	switch {
	case c.done:
		c.badPoll = "polled after it returned Ready"
	case c.inPoll:
		c.badPoll = "polled by two workers at once"
	}
	c.inPoll = true
	defer func() { c.inPoll = false }()
	if c.count >= f.target {
		c.done = true
		return c.count, true
	}
	c.waker = cx.Waker()
	return 0, false
}

// stressRounds is how many rounds TestStressWakes runs; set
// ASYNC_STRESS_ROUNDS for a longer soak.
func stressRounds(t *testing.T) int {
	if s := os.Getenv("ASYNC_STRESS_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("ASYNC_STRESS_ROUNDS=%q", s)
		}
		return n
	}
	return 20
}

// TestStressWakes runs rounds of tasks on a small run queue while several
// goroutines wake them at random (real wakes that advance a count, stale
// wakes of tasks that already completed, wakes in bursts from outside the
// workers), and checks what must hold: every task completes (no wake-up is
// lost, even when the run queue overflows), none is polled after it
// completed or by two workers at once, and each reports the count it
// reached.
func TestStressWakes(t *testing.T) {
	const tasks, target, wakers = 300, 10, 4
	for round := range stressRounds(t) {
		e := NewExecutor(Config{Workers: 2, Queue: 2})
		cells := make([]*cell, tasks)
		handles := make([]JoinHandle[int], tasks)
		for i := range cells {
			cells[i] = &cell{lock: make(chan struct{}, 1)}
			handles[i] = Spawn[int](e, counting{c: cells[i], target: target})
		}
		stop := make(chan struct{})
		exited := make(chan struct{}, wakers)
		for w := range wakers {
			go func() {
				defer func() { exited <- struct{}{} }()
				rng := rand.New(rand.NewPCG(uint64(round), uint64(w)))
				for {
					select {
					case <-stop:
						return
					default:
					}
					c := cells[rng.IntN(tasks)]
					c.lock <- struct{}{}
					if !c.done && rng.IntN(4) > 0 {
						c.count++
					}
					wk := c.waker
					<-c.lock
					for range 1 + rng.IntN(3) { // wake once, or a burst
						wk.Wake()
					}
				}
			}()
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		for i, h := range handles {
			v, err := h.Join(ctx)
			if err != nil {
				t.Fatalf("round %d: task %d never completed (%v): a wake-up was lost", round, i, err)
			}
			if v < target {
				t.Fatalf("round %d: task %d completed at count %d, want at least %d", round, i, v, target)
			}
		}
		cancel()
		close(stop)
		for range wakers {
			<-exited
		}
		e.Close()
		for i, c := range cells {
			if c.badPoll != "" {
				t.Fatalf("round %d: task %d %s", round, i, c.badPoll)
			}
		}
	}
}

// TestStressSpawnFromOutside spawns bursts of ready tasks from several
// goroutines onto a run queue of capacity 1, so that most of them pass
// through the overflow list, and joins every one.
func TestStressSpawnFromOutside(t *testing.T) {
	const spawners, burst = 4, 500
	for round := range stressRounds(t) {
		e := NewExecutor(Config{Workers: 2, Queue: 1})
		results := make(chan error, spawners)
		for range spawners {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				hs := make([]JoinHandle[int], burst)
				for i := range hs {
					hs[i] = Spawn[int](e, probe{&record{readyAt: 1}})
				}
				for _, h := range hs {
					if v, err := h.Join(ctx); v != 1 || err != nil {
						results <- err
						return
					}
				}
				results <- nil
			}()
		}
		for range spawners {
			if err := <-results; err != nil {
				t.Fatalf("round %d: a spawned task never completed (%v): it was lost in the overflow list", round, err)
			}
		}
		e.Close()
	}
}
