package async

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// counter is a task that returns Pending, waking itself, until it has been
// polled n times.
type counter struct{ n, polls int }

func (c *counter) Poll(cx *Context) (int, bool) {
	c.polls++
	if c.polls < c.n {
		cx.Waker().Wake()
		return 0, false
	}
	return c.polls, true
}

// An executor with NoWorkers polls nothing by itself: its tasks run only in
// RunQueued, as many as it is told, on the caller's goroutine.
func TestNoWorkersRunsOnlyInRunQueued(t *testing.T) {
	e := NewExecutor(Config{Workers: NoWorkers})
	defer e.Close()
	a := Spawn[int](e, counter{n: 1})
	b := Spawn[int](e, counter{n: 3})
	if _, _, done := a.PollJoin(NewContext(Waker{})); done {
		t.Fatal("a task of an executor without workers completed before anyone polled it")
	}
	// a completes in its first poll; b needs three, each after it woke
	// itself: 1 + 3 polls in all.
	if more := e.RunQueued(2); !more {
		t.Fatal("RunQueued(2) with four polls to make reported no more")
	}
	if more := e.RunQueued(10); more {
		t.Fatal("RunQueued(10) reported more after the last poll")
	}
	for name, h := range map[string]JoinHandle[int]{"a": a, "b": b} {
		v, err, done := h.PollJoin(NewContext(Waker{}))
		if !done || err != nil {
			t.Fatalf("%s: done %v, err %v after RunQueued", name, done, err)
		}
		if want := map[string]int{"a": 1, "b": 3}[name]; v != want {
			t.Fatalf("%s = %d polls, want %d", name, v, want)
		}
	}
	if e.RunQueued(10) {
		t.Fatal("RunQueued on an empty queue reported more")
	}
}

func TestRunQueuedNeedsNoWorkers(t *testing.T) {
	e := NewExecutor(Config{Workers: 1})
	defer e.Close()
	mustPanic(t, "RunQueued on an executor with workers", "needs an executor without workers", func() { e.RunQueued(1) })
	mustPanic(t, "helpers beside workers", "Helpers is for an executor with Workers: NoWorkers", func() { NewExecutor(Config{Workers: 2, Helpers: 1}) })
}

// A driven executor: the reactor's goroutine polls its tasks, those spawned
// from another goroutine (which kick the sleeping loop), those woken by
// readiness and timers, and a task that keeps waking itself past a turn's
// budget.
func TestReactorDrivesAnExecutor(t *testing.T) {
	for _, helpers := range []int{0, 1} {
		r := newReactor(t)
		e := NewExecutor(Config{Workers: NoWorkers, Helpers: helpers})
		if err := r.Drive(e); err != nil {
			t.Fatal(err)
		}
		// Spawned while the loop sleeps with nothing to do.
		time.Sleep(time.Millisecond)
		busy := Spawn[int](e, counter{n: 3 * driveBudget})
		a, b := pipe(t)
		reader := Spawn[string](e, readFuture{r: r, fd: a, want: 4})
		s := r.Sleep(2 * time.Millisecond)
		sleeper := Spawn[struct{}](e, s)
		writeFD(t, b, "ab")
		time.Sleep(time.Millisecond)
		writeFD(t, b, "cd")
		// More tasks than a helper is asked for.
		var many []JoinHandle[int]
		for range 4 * helpThreshold {
			many = append(many, Spawn[int](e, counter{n: 5}))
		}
		if n, err := busy.Join(hangGuard(t)); n != 3*driveBudget || err != nil {
			t.Fatalf("helpers %d: busy task = %d, %v", helpers, n, err)
		}
		if got, err := reader.Join(hangGuard(t)); got != "abcd" || err != nil {
			t.Fatalf("helpers %d: reader = %q, %v", helpers, got, err)
		}
		if _, err := sleeper.Join(hangGuard(t)); err != nil {
			t.Fatalf("helpers %d: sleeper: %v", helpers, err)
		}
		for _, h := range many {
			if n, err := h.Join(hangGuard(t)); n != 5 || err != nil {
				t.Fatalf("helpers %d: = %d, %v", helpers, n, err)
			}
		}
		// Shutdown waits for a task still running, which only the
		// reactor polls.
		late := r.Sleep(5 * time.Millisecond)
		Spawn[struct{}](e, late)
		if err := e.Shutdown(hangGuard(t)); err != nil {
			t.Fatalf("helpers %d: Shutdown: %v", helpers, err)
		}
		if n := r.PendingTimers(); n != 0 {
			t.Fatalf("helpers %d: %d timers pending after Shutdown", helpers, n)
		}
	}
}

// A task that wakes itself more often than a turn polls is polled again in
// the next turn, with nothing else to end the reactor's sleep.
func TestDrivenTaskBeyondTheBudget(t *testing.T) {
	r := newReactor(t)
	e := NewExecutor(Config{Workers: NoWorkers})
	defer e.Close()
	if err := r.Drive(e); err != nil {
		t.Fatal(err)
	}
	h := Spawn[int](e, counter{n: 5 * driveBudget / 2})
	if n, err := h.Join(hangGuard(t)); n != 5*driveBudget/2 || err != nil {
		t.Fatalf("busy task = %d, %v", n, err)
	}
}

// Driving what cannot be driven is a mistake of the program, and panics
// with a message that says which; driving on a closed reactor is an error.
func TestDriveErrors(t *testing.T) {
	r := newReactor(t)
	withWorkers := NewExecutor(Config{Workers: 1})
	defer withWorkers.Close()
	mustPanic(t, "Drive of an executor with workers", "needs an executor without workers", func() { r.Drive(withWorkers) })
	e := NewExecutor(Config{Workers: NoWorkers})
	defer e.Close()
	if err := r.Drive(e); err != nil {
		t.Fatal(err)
	}
	second := NewExecutor(Config{Workers: NoWorkers})
	defer second.Close()
	mustPanic(t, "a reactor driving a second executor", "drives an executor already", func() { r.Drive(second) })
	r2 := newReactor(t)
	mustPanic(t, "an executor driven by a second reactor", "drives an executor already", func() { r2.Drive(e) })
	registered := make(chan int, 1)
	go func() { registered <- r.Registered() }() // takes the reactor's lock
	select {
	case <-registered:
	case <-time.After(10 * time.Second):
		t.Fatal("the reactor's lock was left held by a Drive that panicked")
	}
	r3 := newReactor(t)
	r3.Close()
	if err := r3.Drive(NewExecutor(Config{Workers: NoWorkers})); !errors.Is(err, ErrClosed) {
		t.Fatalf("Drive after Close = %v, want ErrClosed", err)
	}
}

// Timers one after another, with nothing else for the reactor to do: each
// sleep ends by the deadline the loop slept for, and the next is armed
// after it passed.
func TestReactorSleepsOneAfterAnother(t *testing.T) {
	r := newReactor(t)
	for i := range 20 {
		start := time.Now()
		s := r.Sleep(time.Millisecond)
		if _, err := BlockOn[struct{}](hangGuard(t), &s); err != nil {
			t.Fatalf("sleep %d: %v", i, err)
		}
		if elapsed := time.Since(start); elapsed < time.Millisecond {
			t.Fatalf("sleep %d ended after %v", i, elapsed)
		}
	}
}

// RunOn runs an executor's tasks on the calling goroutine until the future
// it waits for is ready: tasks that wake each other, a task woken from
// another goroutine while RunOn sleeps, and a cancelled wait.
func TestRunOn(t *testing.T) {
	e := NewExecutor(Config{Workers: NoWorkers})
	defer e.Close()
	var handles []JoinHandle[int]
	for i := range 10 {
		handles = append(handles, Spawn[int](e, counter{n: 1 + i*driveBudget/4}))
	}
	// One more task waits for a wake from outside.
	ww := Spawn[int](e, pendingOnce{})
	go func() {
		time.Sleep(5 * time.Millisecond)
		ww.Wake()
	}()
	got := make([]int, len(handles)+1)
	all := JoinAll[int]{Handles: append(handles, ww), Each: func(i, v int, err error) {
		if err != nil {
			t.Errorf("task %d: %v", i, err)
		}
		got[i] = v
	}}
	if _, err := RunOn[struct{}](hangGuard(t), e, &all); err != nil {
		t.Fatal(err)
	}
	for i := range handles {
		if got[i] != 1+i*driveBudget/4 {
			t.Fatalf("task %d: %d polls, want %d", i, got[i], 1+i*driveBudget/4)
		}
	}
	if got[len(handles)] != 2 {
		t.Fatalf("the task woken from outside was polled %d times, want 2", got[len(handles)])
	}
	// Nothing left to run, and a future that never becomes ready: RunOn
	// sleeps until its context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := RunOn[int](ctx, e, neverReady{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RunOn on a future that never completes = %v", err)
	}
	withWorkers := NewExecutor(Config{Workers: 1})
	defer withWorkers.Close()
	mustPanic(t, "RunOn on an executor with workers", "needs an executor without workers", func() { RunOn[int](ctx, withWorkers, neverReady{}) })
	r := newReactor(t)
	driven := NewExecutor(Config{Workers: NoWorkers})
	defer driven.Close()
	if err := r.Drive(driven); err != nil {
		t.Fatal(err)
	}
	mustPanic(t, "RunOn on a driven executor", "a reactor drives", func() { RunOn[int](ctx, driven, neverReady{}) })
}

// mustPanic checks that f panics with a message containing want.
func mustPanic(t *testing.T, what, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		v := recover()
		if v == nil {
			t.Fatalf("%s did not panic", what)
		}
		if msg := fmt.Sprint(v); !strings.Contains(msg, want) {
			t.Fatalf("%s panicked with %q, want a message containing %q", what, msg, want)
		}
	}()
	f()
}

// pendingOnce is Pending at its first poll and Ready at the next.
type pendingOnce struct{ polls int }

func (p *pendingOnce) Poll(*Context) (int, bool) { p.polls++; return p.polls, p.polls > 1 }

// neverReady is never ready.
type neverReady struct{}

func (neverReady) Poll(*Context) (int, bool) { return 0, false }
