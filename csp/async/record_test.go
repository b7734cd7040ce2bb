package async

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// handOver returns Pending once, after handing its waker to the test
// through wakers, and Ready when polled again.
type handOver struct {
	wakers chan Waker
	polls  int
}

func (h *handOver) Poll(cx *Context) (int, bool) {
	h.polls++
	if h.polls == 1 {
		h.wakers <- cx.Waker()
		return 0, false
	}
	return h.polls, true
}

// taskNamed returns the record of the task named name in e's snapshot.
func taskNamed(t *testing.T, e *Executor, name string) TaskInfo {
	t.Helper()
	for _, ti := range e.Tasks() {
		if ti.Name == name {
			return ti
		}
	}
	t.Fatalf("no task named %q in %v", name, e.Tasks())
	return TaskInfo{}
}

func TestTasksRecordPollsWakesAndTimes(t *testing.T) {
	bubble(t, Config{Workers: 1, Record: true}, func(t *testing.T, e *Executor) {
		wakers := make(chan Waker, 1)
		h := SpawnNamed[int](e, "handover", handOver{wakers: wakers})
		w := <-wakers
		synctest.Wait()
		ti := taskNamed(t, e, "handover")
		if ti.ID != 1 || ti.State != TaskIdle || ti.Polls != 1 || ti.Wakes != 0 {
			t.Fatalf("after its first poll: %+v; want id 1, idle, 1 poll, no wake", ti)
		}
		time.Sleep(3 * time.Second) // idle, in the bubble's time
		w.Wake()
		if v, err := h.Join(context.Background()); v != 2 || err != nil {
			t.Fatalf("Join = %d, %v", v, err)
		}
		ti = taskNamed(t, e, "handover")
		if ti.State != TaskDone || ti.Polls != 2 || ti.Wakes != 1 || ti.SelfWakes != 0 {
			t.Fatalf("after it completed: %+v; want done, 2 polls, 1 wake by another", ti)
		}
		if ti.Idle < 3*time.Second || ti.Idle > 3*time.Second+time.Millisecond {
			t.Errorf("idle %v, want the 3 s it waited for its wake", ti.Idle)
		}
		if ti.Ended.IsZero() || ti.LastPoll.IsZero() || ti.LastPoll.Before(ti.Spawned) {
			t.Errorf("times out of order: spawned %v, last poll %v, ended %v", ti.Spawned, ti.LastPoll, ti.Ended)
		}
	})
}

func TestSpawnNamesTheTaskAfterItsCaller(t *testing.T) {
	bubble(t, Config{Workers: 1, Record: true}, func(t *testing.T, e *Executor) {
		_, _, line, _ := runtime.Caller(0)
		h := Spawn[int](e, pendingOnce{}) // no wake: it stays idle after its first poll
		synctest.Wait()
		ts := e.Tasks()
		if want := fmt.Sprintf("record_test.go:%d", line+1); len(ts) != 1 || ts[0].Name != want {
			t.Fatalf("tasks %+v, want one named %s, after its Spawn call", ts, want)
		}
		h.Abort()
		if ts := e.Tasks(); len(ts) != 1 || ts[0].State != TaskDone {
			t.Fatalf("after Abort: %+v, want the task done", ts)
		}
	})
}

func TestNoRecordsUnlessAsked(t *testing.T) {
	bubble(t, Config{Workers: 1}, func(t *testing.T, e *Executor) {
		h := Spawn[int](e, ready{})
		if _, err := h.Join(context.Background()); err != nil {
			t.Fatal(err)
		}
		if ts, fs, ev := e.Tasks(), e.Lints(LintConfig{}), e.Events(); ts != nil || fs != nil || ev != nil {
			t.Fatalf("without Config.Record: tasks %v, lints %v, events %v; want none", ts, fs, ev)
		}
		if n := len(e.rec.live); n != 0 {
			t.Fatalf("%d tasks recorded without Config.Record", n)
		}
	})
}

// wakeChain is task number i of a chain: it waits on its semaphore and,
// once it has its permit, gives one to the next task's.
type wakeChain struct {
	mine, next *Semaphore
	acq        Acquire
	started    bool
}

func (c *wakeChain) Poll(cx *Context) (struct{}, bool) {
	if !c.started {
		c.acq, c.started = c.mine.Acquire(), true
	}
	if _, ok := c.acq.Poll(cx); !ok {
		return struct{}{}, false
	}
	if c.next != nil {
		c.next.Release()
	}
	return struct{}{}, true
}

func TestEventsSayWhoWokeWhom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(Config{Workers: NoWorkers, Record: true, Events: 100})
		defer e.Close()
		a, b := emptySemaphore(20), emptySemaphore(20)
		ha := SpawnNamed[struct{}](e, "a", wakeChain{mine: a, next: b})
		hb := SpawnNamed[struct{}](e, "b", wakeChain{mine: b})
		e.RunQueued(-1) // both wait for a permit
		a.Release()     // from outside: wakes a, which wakes b
		e.RunQueued(-1)
		for _, h := range []JoinHandle[struct{}]{ha, hb} {
			if _, err := h.Join(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		var wakes []string
		polls := 0
		for _, ev := range e.Events() {
			switch ev.Kind {
			case Woken:
				wakes = append(wakes, fmt.Sprintf("%d by %d", ev.Task, ev.By))
			case Polled:
				polls++
				if ev.End.Before(ev.At) {
					t.Errorf("poll event ends before it begins: %+v", ev)
				}
			}
		}
		want := []string{"1 by 0", "2 by 1"} // a woken from outside, b by a
		if strings.Join(wakes, ",") != strings.Join(want, ",") || polls != 4 {
			t.Fatalf("wakes %v and %d polls, want %v and 4", wakes, polls, want)
		}
	})
}

// emptySemaphore returns a semaphore of n permits, all of them taken.
func emptySemaphore(n int) *Semaphore {
	s := NewSemaphore(n)
	s.TryAcquireN(n)
	return s
}

// registers registers fd with its reactor at its first poll, and stays
// Pending.
type registers struct {
	r  *Reactor
	fd int
}

func (f registers) Poll(cx *Context) (int, bool) {
	if err := f.r.Reregister(f.fd, Readable, cx.Waker()); err != nil {
		if err := f.r.Register(f.fd, Readable, cx.Waker()); err != nil {
			panic(err)
		}
	}
	return 0, false
}

// TestRegistrationHoldsTheWaker: a reactor registration counts as a
// holder of its task's waker while it lasts, however often the task
// registers again.
func TestRegistrationHoldsTheWaker(t *testing.T) {
	r := newReactor(t)
	a, b, err := socketpair()
	if err != nil {
		t.Fatal(err)
	}
	defer closeFD(a)
	defer closeFD(b)
	e := NewExecutor(Config{Workers: NoWorkers, Record: true})
	defer e.Close()
	h := SpawnNamed[int](e, "registered", registers{r, a})
	e.RunQueued(-1)
	h.Wake() // polled again: registers its waker again
	e.RunQueued(-1)
	if ti := taskNamed(t, e, "registered"); ti.Wakers != 1 || ti.Polls != 2 || ti.State != TaskIdle {
		t.Fatalf("registered twice: %+v; want 1 holder, 2 polls, idle", ti)
	}
	if err := r.Deregister(a); err != nil {
		t.Fatal(err)
	}
	if ti := taskNamed(t, e, "registered"); ti.Wakers != 0 {
		t.Fatalf("deregistered: %d holders, want 0", ti.Wakers)
	}
	if fs := LintTasks(e.Tasks(), time.Now().Add(2*time.Second), LintConfig{}); len(fs) != 1 || fs[0].Lint != LostWaker {
		t.Fatalf("lints 2 s later: %v, want its waker lost", fs)
	}
}
