package async_test

import (
	"context"
	"fmt"
	"time"

	"github.com/chansync/chansync/csp/async"
)

// forgetful is the bug the lost-waker lint is for: it returns Pending
// without handing its waker to anyone, so nothing will ever wake it.
type forgetful struct{}

func (forgetful) Poll(*async.Context) (int, bool) { return 0, false }

// waitsForAPermit waits for a semaphore's permit: its place in the
// semaphore's queue holds its waker.
type waitsForAPermit struct{ acq async.Acquire }

func (w *waitsForAPermit) Poll(cx *async.Context) (int, bool) {
	_, ok := w.acq.Poll(cx)
	return 0, ok
}

// An executor made with Config.Record keeps a record of each task; Tasks
// returns them and Lints says which fail tokio-console's lints. Here one
// task forgets its waker and one waits for a semaphore that holds its
// waker: once both have been idle longer than LostAfter, only the first is
// reported.
func ExampleExecutor_Lints() {
	e := async.NewExecutor(async.Config{Workers: 1, Record: true})
	defer e.Close()
	sem := async.NewSemaphore(1)
	sem.TryAcquire() // nobody gives it back
	lost := async.SpawnNamed[int](e, "forgets its waker", forgetful{})
	waits := async.SpawnNamed[int](e, "waits for a permit", waitsForAPermit{acq: sem.Acquire()})
	for !idle(e, 2) {
		time.Sleep(time.Millisecond)
	}
	for _, t := range e.Tasks() {
		fmt.Printf("task %d %q: %v after %d poll, %d place(s) hold its waker\n", t.ID, t.Name, t.State, t.Polls, t.Wakers)
	}
	// As the lints would see the tasks two seconds later:
	for _, f := range async.LintTasks(e.Tasks(), time.Now().Add(2*time.Second), async.LintConfig{LostAfter: time.Second}) {
		fmt.Printf("%s: %v\n", f.Task.Name, f.Lint)
	}
	lost.Abort()
	waits.Abort()
	lost.Join(context.Background())
	// Output:
	// task 1 "forgets its waker": idle after 1 poll, 0 place(s) hold its waker
	// task 2 "waits for a permit": idle after 1 poll, 1 place(s) hold its waker
	// forgets its waker: lost its waker
}

// idle reports whether e has n tasks, all idle.
func idle(e *async.Executor, n int) bool {
	ts := e.Tasks()
	for _, t := range ts {
		if t.State != async.TaskIdle {
			return false
		}
	}
	return len(ts) == n
}
