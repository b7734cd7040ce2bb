package async

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"
)

// gated is a task that completes with its id once its gate is closed.
type gated struct {
	id   int
	gate chan struct{}
	w    *Waker // where the gate's closer finds the task's waker
	lock chan struct{}
}

func (g *gated) Poll(cx *Context) (int, bool) {
	g.lock <- struct{}{}
	defer func() { <-g.lock }()
	select {
	case <-g.gate:
		return g.id, true
	default:
		*g.w = cx.Waker()
		return 0, false
	}
}

// Goroutines join a task with contexts that end at random, close to the
// moment the task completes: some before it, some after, some exactly as it
// does. A Join returns the task's own output or its context's error, never
// a wake meant for another Join: the channels Joins wait on are reused, and
// one reused with a token still in it would let a later Join, of a later
// task, return before its task completed.
func TestJoinRacesItsContext(t *testing.T) {
	const tasks, joiners = 300, 3
	e := NewExecutor(Config{Workers: 2})
	defer e.Close()
	rng := rand.New(rand.NewPCG(1, 7))
	for k := range tasks {
		gate, lock := make(chan struct{}), make(chan struct{}, 1)
		var w Waker
		h := Spawn[int](e, gated{id: k + 1, gate: gate, w: &w, lock: lock})
		errs := make(chan error, joiners)
		for j := range joiners {
			timeout := time.Duration(rng.IntN(100)) * time.Microsecond
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				v, err := h.Join(ctx)
				switch {
				case errors.Is(err, context.DeadlineExceeded):
					err = nil
				case err != nil:
				case v != k+1:
					err = fmt.Errorf("joiner %d of task %d got %d: a wake meant for another Join", j, k+1, v)
				case !isClosed(gate):
					err = fmt.Errorf("joiner %d of task %d returned before the task completed", j, k+1)
				}
				errs <- err
			}()
		}
		time.Sleep(time.Duration(rng.IntN(100)) * time.Microsecond)
		lock <- struct{}{}
		close(gate)
		wk := w
		<-lock
		wk.Wake()
		for range joiners {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if v, err := h.Join(hangGuard(t)); v != k+1 || err != nil {
			t.Fatalf("task %d: Join = %d, %v", k+1, v, err)
		}
	}
}

// Two goroutines join the same task at once: the first waits on a reused
// channel, the second on one made for the task; both get the output, and
// so does a third that joins after completion.
func TestJoinByManyGoroutines(t *testing.T) {
	e := NewExecutor(Config{Workers: 1})
	defer e.Close()
	gate := make(chan struct{})
	var w Waker
	lock := make(chan struct{}, 1)
	h := Spawn[int](e, gated{id: 7, gate: gate, w: &w, lock: lock})
	got := make(chan int, 2)
	for range 2 {
		go func() {
			v, _ := h.Join(hangGuard(t))
			got <- v
		}()
	}
	time.Sleep(10 * time.Millisecond) // both waiting, most likely; either order is correct
	lock <- struct{}{}
	close(gate)
	wk := w
	<-lock
	wk.Wake()
	for range 2 {
		if v := <-got; v != 7 {
			t.Fatalf("a joiner got %d, want 7", v)
		}
	}
	if v, err := h.Join(hangGuard(t)); v != 7 || err != nil {
		t.Fatalf("Join after completion = %d, %v", v, err)
	}
}

func TestAbortIdleTaskDropsItAtOnce(t *testing.T) {
	bubble(t, Config{Workers: 2}, func(t *testing.T, e *Executor) {
		r := &record{}
		h := Spawn[int](e, probe{r})
		synctest.Wait()
		h.Abort()
		if r.drops != 1 {
			t.Fatalf("Abort returned with the idle task dropped %d times, want 1", r.drops)
		}
		if _, err := h.Join(context.Background()); !errors.Is(err, ErrAborted) {
			t.Fatalf("Join after Abort = %v, want ErrAborted", err)
		}
		h.Abort()
		r.waker.Wake()
		synctest.Wait()
		if r.drops != 1 || r.polls != 1 {
			t.Fatalf("after a second Abort and a wake: %d drops, %d polls", r.drops, r.polls)
		}
	})
}

func TestAbortDuringPoll(t *testing.T) {
	for _, readyAt := range []int{0, 1} {
		name := map[int]string{0: "poll returns Pending: dropped", 1: "poll returns Ready: output kept"}[readyAt]
		t.Run(name, func(t *testing.T) {
			bubble(t, Config{Workers: 1}, func(t *testing.T, e *Executor) {
				inPoll, aborted := make(chan struct{}), make(chan struct{})
				r := &record{readyAt: readyAt, onPoll: func(*record) { inPoll <- struct{}{}; <-aborted }}
				h := Spawn[int](e, probe{r})
				<-inPoll
				h.Abort() // the task is being polled: it finishes that poll first
				if r.drops != 0 {
					t.Fatal("Abort dropped a task in the middle of its poll")
				}
				close(aborted)
				v, err := h.Join(context.Background())
				synctest.Wait()
				if readyAt == 0 && (!errors.Is(err, ErrAborted) || r.drops != 1) {
					t.Fatalf("Join = %d, %v with %d drops; want ErrAborted and 1 drop", v, err, r.drops)
				}
				if readyAt == 1 && (err != nil || v != 1 || r.drops != 0) {
					t.Fatalf("Join = %d, %v with %d drops; want the output and no drop", v, err, r.drops)
				}
			})
		})
	}
}

func TestJoinContextLeavesTaskRunning(t *testing.T) {
	bubble(t, Config{Workers: 2}, func(t *testing.T, e *Executor) {
		r := &record{readyAt: 2}
		h := Spawn[int](e, probe{r})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := h.Join(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Join = %v, want DeadlineExceeded", err)
		}
		synctest.Wait()
		r.waker.Wake()
		if v, err := h.Join(context.Background()); v != 2 || err != nil {
			t.Fatalf("Join after the timeout = %d, %v", v, err)
		}
	})
}

// joiner is a future that waits for another task through PollJoin.
type joiner struct {
	h     JoinHandle[int]
	polls *int
}

func (j *joiner) Poll(cx *Context) (int, bool) {
	*j.polls++
	v, err, ok := j.h.PollJoin(cx)
	if !ok {
		return 0, false
	}
	if err != nil {
		return -1, true
	}
	return v * 10, true
}

func TestPollJoinWakesTheJoiningTask(t *testing.T) {
	bubble(t, Config{Workers: 2}, func(t *testing.T, e *Executor) {
		r := &record{readyAt: 2}
		inner := Spawn[int](e, probe{r})
		polls := 0
		outer := Spawn[int](e, joiner{h: inner, polls: &polls})
		synctest.Wait()
		if polls != 1 {
			t.Fatalf("joiner polled %d times before the inner task completed, want 1", polls)
		}
		r.waker.Wake()
		if v, err := outer.Join(context.Background()); v != 20 || err != nil {
			t.Fatalf("outer Join = %d, %v; want 20", v, err)
		}
		if polls != 2 {
			t.Fatalf("joiner polled %d times, want 2: woken once, by the inner task's completion", polls)
		}
	})
}

// JoinAll collects, in order, every task complete before the first one
// that is not, gives its waker to that one alone (its neighbours mostly
// share its stripe, and are looked at under the same lock), and goes on
// from there when that task's completion wakes it. A zero handle among
// them panics as PollJoin does, with no stripe lock left held.
func TestJoinAllWaitsOnTheFirstIncompleteTask(t *testing.T) {
	e := NewExecutor(Config{Workers: NoWorkers})
	defer e.Close()
	const n = 40
	recs := make([]*record, n)
	hs := make([]JoinHandle[int], n)
	for i := range hs {
		recs[i] = &record{readyAt: 1}
		if i == 5 || i == 20 {
			recs[i].readyAt = 2 // waits for a wake
		}
		hs[i] = Spawn[int](e, probe{recs[i]})
	}
	e.RunQueued(-1)
	var got []int
	all := &JoinAll[int]{Handles: hs, Each: func(i, v int, err error) {
		if err != nil || v != recs[i].readyAt {
			t.Errorf("task %d: %d, %v; want %d, nil", i, v, err, recs[i].readyAt)
		}
		got = append(got, i)
	}}
	wakes := 0
	cx := NewContext(NewWaker(WakerFunc(func() { wakes++ })))
	check := func(wantReady bool, upTo, wantWakes int) {
		t.Helper()
		if _, ok := all.Poll(cx); ok != wantReady {
			t.Fatalf("JoinAll ready = %v after tasks 0 to %d, want %v", ok, upTo-1, wantReady)
		}
		if len(got) != upTo {
			t.Fatalf("Each called for %v, want tasks 0 to %d", got, upTo-1)
		}
		for i, v := range got {
			if v != i {
				t.Fatalf("Each called for %v, want tasks in order", got)
			}
		}
		if wakes != wantWakes {
			t.Fatalf("JoinAll woken %d times, want %d", wakes, wantWakes)
		}
	}
	check(false, 5, 0)
	recs[4].waker.Wake() // complete already: wakes nobody
	hs[5].Wake()
	e.RunQueued(-1) // task 5 completes and wakes JoinAll
	check(false, 20, 1)
	hs[20].Wake()
	e.RunQueued(-1)
	check(true, n, 2)
	for i, h := range hs {
		if h.t != nil {
			t.Fatalf("handle %d not cleared", i)
		}
	}

	a, b := Spawn[int](e, probe{&record{readyAt: 1}}), Spawn[int](e, probe{&record{readyAt: 1}})
	e.RunQueued(-1)
	zero := &JoinAll[int]{Handles: []JoinHandle[int]{a, {}, b}}
	mustPanic(t, "JoinAll with a zero handle", "zero JoinHandle", func() { zero.Poll(cx) })
	if v, err, ok := a.PollJoin(cx); !ok || v != 1 || err != nil {
		t.Fatalf("PollJoin after the panic = %d, %v, %v", v, err, ok)
	}
}
