package async

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Every method of a zero Executor, Reactor, ManualClock, Semaphore, Barrier
// and JoinHandle panics at once with a message naming what to use instead,
// rather than blocking on a nil channel.
func TestZeroValuesPanic(t *testing.T) {
	ctx := context.Background()
	var tm Timer
	cx := NewContext(Waker{})
	var w Waiter
	cases := []struct {
		name, want string
		call       func()
	}{
		{"Spawn", "Executor used without NewExecutor", func() { Spawn[int](&Executor{}, neverReady{}) }},
		{"Executor.Shutdown", "Executor used without NewExecutor", func() { (&Executor{}).Shutdown(ctx) }},
		{"Executor.Close", "Executor used without NewExecutor", func() { (&Executor{}).Close() }},
		{"Executor.RunQueued", "Executor used without NewExecutor", func() { (&Executor{}).RunQueued(1) }},
		{"RunOn", "Executor used without NewExecutor", func() { RunOn[int](ctx, &Executor{}, neverReady{}) }},

		{"Reactor.Drive", "Reactor used without NewReactor", func() { (&Reactor{}).Drive(NewExecutor(Config{Workers: NoWorkers})) }},
		{"Reactor.Close", "Reactor used without NewReactor", func() { (&Reactor{}).Close() }},
		{"Reactor.Register", "Reactor used without NewReactor", func() { (&Reactor{}).Register(0, Readable, Waker{}) }},
		{"Reactor.Reregister", "Reactor used without NewReactor", func() { (&Reactor{}).Reregister(0, Readable, Waker{}) }},
		{"Reactor.Deregister", "Reactor used without NewReactor", func() { (&Reactor{}).Deregister(0) }},
		{"Reactor.Registered", "Reactor used without NewReactor", func() { (&Reactor{}).Registered() }},
		{"Reactor.PeerClosed", "Reactor used without NewReactor", func() { (&Reactor{}).PeerClosed(0) }},
		{"Reactor.TakeReadiness", "Reactor used without NewReactor", func() { (&Reactor{}).TakeReadiness(0, Writable) }},
		{"Reactor.Now", "Reactor used without NewReactor", func() { (&Reactor{}).Now() }},
		{"Reactor.ResetTimer", "Reactor used without NewReactor", func() { (&Reactor{}).ResetTimer(&tm, time.Now(), Waker{}) }},
		{"Reactor.StopTimer", "Reactor used without NewReactor", func() { (&Reactor{}).StopTimer(&tm) }},
		{"Reactor.PollTimer", "Reactor used without NewReactor", func() { (&Reactor{}).PollTimer(&tm, cx) }},
		{"Reactor.PendingTimers", "Reactor used without NewReactor", func() { (&Reactor{}).PendingTimers() }},
		{"Reactor.Sleep", "Reactor used without NewReactor", func() { (&Reactor{}).Sleep(time.Second) }},
		{"Reactor.Deadline", "Reactor used without NewReactor", func() { (&Reactor{}).Deadline(time.Now()) }},

		{"ManualClock.Now", "ManualClock used without NewManualClock", func() { (&ManualClock{}).Now() }},
		{"ManualClock.ResetTimer", "ManualClock used without NewManualClock", func() { (&ManualClock{}).ResetTimer(&tm, time.Now(), Waker{}) }},
		{"ManualClock.StopTimer", "ManualClock used without NewManualClock", func() { (&ManualClock{}).StopTimer(&tm) }},
		{"ManualClock.PollTimer", "ManualClock used without NewManualClock", func() { (&ManualClock{}).PollTimer(&tm, cx) }},
		{"ManualClock.PendingTimers", "ManualClock used without NewManualClock", func() { (&ManualClock{}).PendingTimers() }},
		{"ManualClock.Next", "ManualClock used without NewManualClock", func() { (&ManualClock{}).Next() }},
		{"ManualClock.Advance", "ManualClock used without NewManualClock", func() { (&ManualClock{}).Advance(time.Second) }},
		{"ManualClock.AdvanceToNext", "ManualClock used without NewManualClock", func() { (&ManualClock{}).AdvanceToNext() }},
		{"ManualClock.Sleep", "ManualClock used without NewManualClock", func() { (&ManualClock{}).Sleep(time.Second) }},
		{"ManualClock.Deadline", "ManualClock used without NewManualClock", func() { (&ManualClock{}).Deadline(time.Now()) }},

		{"Semaphore.Acquire", "Semaphore used without NewSemaphore", func() { (&Semaphore{}).Acquire() }},
		{"Semaphore.AcquireN", "Semaphore used without NewSemaphore", func() { (&Semaphore{}).AcquireN(1) }},
		{"Semaphore.PollAcquire", "Semaphore used without NewSemaphore", func() { (&Semaphore{}).PollAcquire(cx, &w, 1) }},
		{"Semaphore.CancelAcquire", "Semaphore used without NewSemaphore", func() { (&Semaphore{}).CancelAcquire(&w) }},
		{"Semaphore.TryAcquire", "Semaphore used without NewSemaphore", func() { (&Semaphore{}).TryAcquire() }},
		{"Semaphore.TryAcquireN", "Semaphore used without NewSemaphore", func() { (&Semaphore{}).TryAcquireN(1) }},
		{"Semaphore.Release", "Semaphore used without NewSemaphore", func() { (&Semaphore{}).Release() }},
		{"Semaphore.ReleaseN", "Semaphore used without NewSemaphore", func() { (&Semaphore{}).ReleaseN(1) }},
		{"Semaphore.Close", "Semaphore used without NewSemaphore", func() { (&Semaphore{}).Close() }},
		{"Semaphore.Available", "Semaphore used without NewSemaphore", func() { (&Semaphore{}).Available() }},
		{"Semaphore.Waiting", "Semaphore used without NewSemaphore", func() { (&Semaphore{}).Waiting() }},
		{"Semaphore.Capacity", "Semaphore used without NewSemaphore", func() { (&Semaphore{}).Capacity() }},

		{"Barrier.Wait", "Barrier used without NewBarrier", func() { (&Barrier{}).Wait() }},
		{"Barrier.Parties", "Barrier used without NewBarrier", func() { (&Barrier{}).Parties() }},
		{"Barrier.Arrived", "Barrier used without NewBarrier", func() { (&Barrier{}).Arrived() }},
		{"Barrier.PollWait", "Barrier used without NewBarrier", func() { (&Barrier{}).PollWait(cx, &w) }},
		{"Barrier.CancelWait", "Barrier used without NewBarrier", func() { (&Barrier{}).CancelWait(&w) }},

		{"JoinHandle.Join", "zero JoinHandle", func() { JoinHandle[int]{}.Join(ctx) }},
		{"JoinHandle.PollJoin", "zero JoinHandle", func() { JoinHandle[int]{}.PollJoin(cx) }},
		{"JoinHandle.Abort", "zero JoinHandle", func() { JoinHandle[int]{}.Abort() }},
		{"JoinHandle.Wake", "zero JoinHandle", func() { JoinHandle[int]{}.Wake() }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan any, 1)
			go func() {
				defer func() { done <- recover() }()
				c.call()
			}()
			select {
			case v := <-done:
				if v == nil {
					t.Fatalf("%s on a zero value returned instead of panicking", c.name)
				}
				if msg, _ := v.(string); !strings.Contains(msg, c.want) {
					t.Fatalf("%s on a zero value panicked with %v, want a message containing %q", c.name, v, c.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s on a zero value blocked", c.name)
			}
		})
	}
}
