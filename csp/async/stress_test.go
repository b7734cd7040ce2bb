package async

import (
	"context"
	"errors"
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

// holding is a task that acquires k permits, holds them across a few
// polls (waking itself to get them), and releases them; if it is aborted
// while it holds them, its Drop releases them, and if it is aborted while
// it waits, its Drop drops the Acquire. It counts the permits held at
// once in shared, and fails the count if the semaphore ever lets more
// than its capacity be held.
type holding struct {
	acq    Acquire
	sem    *Semaphore
	k      int
	hold   int // polls left to hold
	has    bool
	shared *holders
}

type holders struct {
	lock     chan struct{}
	now, max int
}

func (h *holders) add(k int) {
	h.lock <- struct{}{}
	h.now += k
	h.max = max(h.max, h.now)
	<-h.lock
}

func (f *holding) Poll(cx *Context) (int, bool) {
	if !f.has {
		if err, ready := f.acq.Poll(cx); !ready {
			return 0, false
		} else if err != nil {
			panic(err)
		}
		f.has = true
		f.shared.add(f.k)
	}
	if f.hold > 0 {
		f.hold--
		cx.Waker().Wake()
		return 0, false
	}
	f.release()
	return f.k, true
}

func (f *holding) release() {
	f.has = false
	f.shared.add(-f.k)
	f.sem.ReleaseN(f.k)
}

func (f *holding) Drop() {
	if f.has {
		f.release()
		return
	}
	f.acq.Drop()
}

// TestSemaphoreStressWithAborts runs tasks that acquire one to three of
// four permits on a real executor while another goroutine aborts tasks at
// random, wherever they are, and checks what must hold: never more than
// four permits held at once, every task not aborted completes (no wake-up
// is lost, no permit leaks), and at the end every permit is free and
// nobody is queued.
func TestSemaphoreStressWithAborts(t *testing.T) {
	const capacity, tasks = 4, 2000
	for round := range stressRounds(t) / 4 {
		e := NewExecutor(Config{Workers: 2, Queue: 8})
		s := NewSemaphore(capacity)
		shared := &holders{lock: make(chan struct{}, 1)}
		rng := rand.New(rand.NewPCG(uint64(round), 1))
		handles := make([]JoinHandle[int], tasks)
		aborts := make(chan int, tasks)
		aborted := make([]bool, tasks)
		for i := range handles {
			k := 1 + rng.IntN(3)
			handles[i] = Spawn[int](e, holding{acq: s.AcquireN(k), sem: s, k: k, hold: rng.IntN(3), shared: shared})
			if rng.IntN(5) == 0 {
				aborted[i] = true
				aborts <- i
			}
		}
		close(aborts)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := range aborts {
				handles[i].Abort()
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		for i, h := range handles {
			k, err := h.Join(ctx)
			switch {
			case aborted[i] && (err == nil || errors.Is(err, ErrAborted)):
			case err != nil:
				t.Fatalf("round %d: task %d: %v (a wake-up or a permit was lost)", round, i, err)
			case k < 1:
				t.Fatalf("round %d: task %d returned %d", round, i, k)
			}
		}
		cancel()
		<-done
		e.Close()
		if shared.max > capacity {
			t.Fatalf("round %d: %d permits held at once, capacity %d", round, shared.max, capacity)
		}
		if shared.now != 0 {
			t.Fatalf("round %d: %d permits still counted as held", round, shared.now)
		}
		checkSemaphore(t, s, capacity, 0)
	}
}
