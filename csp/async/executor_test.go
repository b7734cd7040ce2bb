package async

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"unsafe"

	"github.com/chansync/chansync/csp"
)

// bubble runs f in a synctest bubble with an executor of the given workers
// and queue capacity, and closes it at the end.
func bubble(t *testing.T, c Config, f func(t *testing.T, e *Executor)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(c)
		defer e.Close()
		f(t, e)
	})
}

func TestSpawnIsEagerAndJoinReturnsOutput(t *testing.T) {
	bubble(t, Config{Workers: 2}, func(t *testing.T, e *Executor) {
		r := &record{readyAt: 1}
		h := Spawn[int](e, probe{r})
		synctest.Wait()
		if r.polls != 1 {
			t.Fatalf("spawned task polled %d times before anyone joined it, want 1 (spawn is eager)", r.polls)
		}
		v, err := h.Join(context.Background())
		if v != 1 || err != nil {
			t.Fatalf("Join = %d, %v; want 1, nil", v, err)
		}
		// A second Join, and a Join from another goroutine, see the same.
		if v, err := h.Join(context.Background()); v != 1 || err != nil {
			t.Fatalf("second Join = %d, %v", v, err)
		}
	})
}

func TestWakeRepollsPendingTask(t *testing.T) {
	bubble(t, Config{Workers: 2}, func(t *testing.T, e *Executor) {
		r := &record{readyAt: 3}
		h := Spawn[int](e, probe{r})
		for want := 1; want <= 3; want++ {
			synctest.Wait()
			if r.polls != want {
				t.Fatalf("after %d wakes: %d polls, want %d", want-1, r.polls, want)
			}
			r.waker.Wake()
		}
		if v, err := h.Join(context.Background()); v != 3 || err != nil {
			t.Fatalf("Join = %d, %v", v, err)
		}
	})
}

// The JoinHandle's Wake is the task's own wake: the idle task is polled
// again, a completed one is not.
func TestJoinHandleWakeRepollsTask(t *testing.T) {
	bubble(t, Config{Workers: 2}, func(t *testing.T, e *Executor) {
		r := &record{readyAt: 2}
		h := Spawn[int](e, probe{r})
		synctest.Wait()
		if r.polls != 1 {
			t.Fatalf("%d polls before the wake, want 1", r.polls)
		}
		h.Wake()
		synctest.Wait()
		if r.polls != 2 {
			t.Fatalf("%d polls after the handle's wake, want 2", r.polls)
		}
		if v, err := h.Join(context.Background()); v != 2 || err != nil {
			t.Fatalf("Join = %d, %v", v, err)
		}
		h.Wake()
		synctest.Wait()
		if r.polls != 2 || r.pollsAfter != 0 {
			t.Fatalf("completed task polled again after the handle's wake: %d polls", r.polls)
		}
	})
}

// A wake that arrives while the task is being polled, after the future has
// looked at what it waits for but before it returns Pending, must cause
// another poll: otherwise the task sleeps forever on an event that has
// already happened (a lost wake-up).
func TestWakeDuringPollIsNotLost(t *testing.T) {
	bubble(t, Config{Workers: 1}, func(t *testing.T, e *Executor) {
		inPoll, wokeIt := make(chan Waker), make(chan struct{})
		r := &record{readyAt: 2}
		r.onPoll = func(r *record) {
			if r.polls == 1 {
				inPoll <- r.waker // the test wakes us now, mid-poll
				<-wokeIt
			}
		}
		h := Spawn[int](e, probe{r})
		w := <-inPoll
		w.Wake()
		w.Wake() // twice in a row: still one more poll
		close(wokeIt)
		synctest.Wait()
		if r.polls != 2 {
			t.Fatalf("task polled %d times, want 2: the wake during the first poll was lost", r.polls)
		}
		if v, err := h.Join(context.Background()); v != 2 || err != nil {
			t.Fatalf("Join = %d, %v", v, err)
		}
	})
}

func TestWakeAfterCompletionIsIgnored(t *testing.T) {
	bubble(t, Config{Workers: 2}, func(t *testing.T, e *Executor) {
		r := &record{readyAt: 1}
		h := Spawn[int](e, probe{r})
		if _, err := h.Join(context.Background()); err != nil {
			t.Fatal(err)
		}
		for range 10 {
			r.waker.Wake()
		}
		synctest.Wait()
		if r.polls != 1 || r.pollsAfter != 0 {
			t.Fatalf("completed task polled again: %d polls, %d after Ready", r.polls, r.pollsAfter)
		}
	})
}

// Wakes that arrive while a task is already queued do not queue it again:
// a hundred wakes cost at most one extra poll, never a hundred.
func TestTaskIsQueuedOncePerWakeUp(t *testing.T) {
	bubble(t, Config{Workers: 1}, func(t *testing.T, e *Executor) {
		// The only worker is held inside a blocker's poll, so whatever is
		// woken meanwhile stays queued.
		release := make(chan struct{})
		holding := make(chan struct{})
		blocker := &record{readyAt: 1, onPoll: func(*record) { holding <- struct{}{}; <-release }}
		r := &record{}
		Spawn[int](e, probe{r})
		synctest.Wait()
		if r.polls != 1 {
			t.Fatalf("%d polls before the wakes, want 1", r.polls)
		}
		Spawn[int](e, probe{blocker})
		<-holding
		for range 100 {
			r.waker.Wake()
		}
		close(release)
		synctest.Wait()
		if r.polls > 3 {
			t.Fatalf("100 wakes while queued caused %d polls: the task was queued more than once", r.polls-1)
		}
		if r.polls < 2 {
			t.Fatalf("100 wakes caused no poll")
		}
	})
}

// A wake from inside a worker must never wait for room in the run queue:
// the queue here holds 4 tasks, and on each of the two workers a parent
// task spawns 10,000 children and then wakes them all from within one poll.
func TestWakesFromWorkersNeverBlockOnAFullQueue(t *testing.T) {
	bubble(t, Config{Workers: 2, Queue: 4}, func(t *testing.T, e *Executor) {
		const children = 10000
		parents := make([]JoinHandle[int], 2)
		for p := range parents {
			parents[p] = Spawn[int](e, fanOut{e: e, n: children, g: &gate{lock: make(chan struct{}, 1)}})
		}
		synctest.Wait() // a deadlock would end the bubble here with an error
		for p, h := range parents {
			if v, err := h.Join(context.Background()); v != children || err != nil {
				t.Fatalf("parent %d: Join = %d, %v; want %d children complete", p, v, err, children)
			}
		}
	})
}

// A gate collects the wakers of the children of a fanOut.
type gate struct {
	lock   chan struct{} // guards the rest
	wakers []Waker
	parent Waker // woken when the last child has registered
}

// fanOut spawns n children that each wait for a wake, wakes them all from
// within one poll once they are all waiting, and is ready once every child
// has completed, with the number that did.
type fanOut struct {
	e       *Executor
	n       int
	g       *gate
	handles []JoinHandle[int]
	woken   bool
	joined  int
}

func (f *fanOut) Poll(cx *Context) (int, bool) {
	g := f.g
	if f.handles == nil {
		for range f.n {
			f.handles = append(f.handles, Spawn[int](f.e, waitForWake{g: g, n: f.n}))
		}
	}
	if !f.woken {
		g.lock <- struct{}{}
		if len(g.wakers) < f.n {
			g.parent = cx.Waker()
			<-g.lock
			return 0, false
		}
		wakers := g.wakers
		<-g.lock
		for _, w := range wakers {
			w.Wake()
		}
		f.woken = true
	}
	for ; f.joined < f.n; f.joined++ {
		v, err, ok := f.handles[f.joined].PollJoin(cx)
		if !ok {
			return 0, false
		}
		if v != 2 || err != nil {
			return -1, true
		}
	}
	return f.joined, true
}

// waitForWake registers its waker with the gate on its first poll and is
// ready on the next, reporting its poll count.
type waitForWake struct {
	g     *gate
	n     int
	polls int
}

func (w *waitForWake) Poll(cx *Context) (int, bool) {
	w.polls++
	if w.polls > 1 {
		return w.polls, true
	}
	g := w.g
	g.lock <- struct{}{}
	g.wakers = append(g.wakers, cx.Waker())
	last := len(g.wakers) == w.n
	parent := g.parent
	<-g.lock
	if last {
		parent.Wake()
	}
	return 0, false
}

// A push that finds the run queue full appends to the overflow list. If the
// only worker drains the queue, looks at the empty overflow list and parks
// between the push's failed send and its append, the push must still wake
// it: no wake-up is lost between a worker's look and its park.
func TestOverflowPushWakesParkedWorker(t *testing.T) {
	bubble(t, Config{Workers: 1, Queue: 1}, func(t *testing.T, e *Executor) {
		release := make(chan struct{})
		holding := make(chan struct{})
		Spawn[int](e, probe{&record{readyAt: 1, onPoll: func(*record) { holding <- struct{}{}; <-release }}})
		<-holding                                 // the worker is busy; the queue is empty
		Spawn[int](e, probe{&record{readyAt: 1}}) // the queue is full

		inHook, proceed := make(chan struct{}), make(chan struct{})
		testHookOverflow = func() { inHook <- struct{}{}; <-proceed }
		defer func() { testHookOverflow = nil }()
		late := &record{readyAt: 1}
		go Spawn[int](e, probe{late})
		<-inHook        // its send failed; it has not appended yet
		close(release)  // the worker drains the queue,
		synctest.Wait() // finds the overflow list empty and parks
		close(proceed)  // now the task is appended
		synctest.Wait()
		if late.polls != 1 {
			t.Fatalf("task pushed to the overflow list while the worker parked was polled %d times, want 1", late.polls)
		}
	})
}

func TestPanicReachesJoinerWithStack(t *testing.T) {
	bubble(t, Config{Workers: 2}, func(t *testing.T, e *Executor) {
		r := &record{panicOnPoll: 2}
		h := Spawn[int](e, probe{r})
		synctest.Wait()
		r.waker.Wake()
		_, err := h.Join(context.Background())
		var pe *csp.PanicError
		if !errors.As(err, &pe) {
			t.Fatalf("Join error = %v, want a *csp.PanicError", err)
		}
		if pe.Value != "probe panics on poll 2" {
			t.Errorf("panic value %v", pe.Value)
		}
		if !strings.Contains(string(pe.Stack), "probePanics") {
			t.Errorf("panic stack does not show the panicking function:\n%s", pe.Stack)
		}
		if r.drops != 1 {
			t.Errorf("panicked future dropped %d times, want 1", r.drops)
		}
		// The worker survived: the executor still runs tasks.
		if v, err := Spawn[int](e, probe{&record{readyAt: 1}}).Join(context.Background()); v != 1 || err != nil {
			t.Fatalf("after a panic: Join = %d, %v", v, err)
		}
	})
}

func TestNewExecutorDefaultsToGOMAXPROCSWorkers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(Config{})
		defer e.Close()
		if want := runtime.GOMAXPROCS(0); e.pool.workers != want {
			t.Fatalf("%d workers, want GOMAXPROCS = %d", e.pool.workers, want)
		}
	})
}

// A task's header stays 48 bytes, so that a task with a small future and
// output is one allocation of 64 bytes (as docs/results/inbox.md says),
// and a stripe fills one cache line.
func TestTaskHeaderSize(t *testing.T) {
	if n := unsafe.Sizeof(header{}); n != 48 {
		t.Errorf("header is %d bytes, want 48", n)
	}
	if n := unsafe.Sizeof(stripe{}); n != 64 {
		t.Errorf("stripe is %d bytes, want 64", n)
	}
}

// Tasks spawned one after another share a stripe in runs, so that the
// spawner and the worker that completes them in order find each stripe
// lock in their own cache, yet many tasks spread over most of the 256
// stripes, so that tasks spawned apart rarely wait for each other's lock.
func TestStripesFollowSpawnOrderAndSpread(t *testing.T) {
	e := NewExecutor(Config{Workers: NoWorkers})
	defer e.Close()
	const n = 4096
	used := make(map[*stripe]bool)
	var prev *stripe
	shared := 0
	for range n {
		s := Spawn[int](e, ready{}).t.hdr().stripe
		if s == prev {
			shared++
		}
		used[s], prev = true, s
	}
	if shared < n/2 {
		t.Errorf("%d of %d tasks spawned in a row share the stripe of the one before, want at least half", shared, n-1)
	}
	if len(used) < stripes/2 {
		t.Errorf("%d tasks use %d stripes, want at least %d of %d", n, len(used), stripes/2, stripes)
	}
}
