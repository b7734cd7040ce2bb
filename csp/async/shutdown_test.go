package async

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chansync/chansync/csp"
	"go.uber.org/goleak"
)

func TestShutdownWaitsForTasksAndRefusesNewOnes(t *testing.T) {
	bubble(t, Config{Workers: 2}, func(t *testing.T, e *Executor) {
		r := &record{readyAt: 2}
		h := Spawn[int](e, probe{r})
		synctest.Wait()
		done := make(chan error)
		go func() { done <- e.Shutdown(context.Background()) }()
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Shutdown returned %v while a task was still pending", err)
		default:
		}
		refused := &record{readyAt: 1}
		late := Spawn[int](e, probe{refused})
		if _, err := late.Join(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Join of a task spawned during Shutdown = %v, want ErrClosed", err)
		}
		if refused.polls != 0 || refused.drops != 1 {
			t.Fatalf("refused task: %d polls, %d drops; want 0 and 1", refused.polls, refused.drops)
		}
		r.waker.Wake()
		if err := <-done; err != nil {
			t.Fatalf("Shutdown = %v", err)
		}
		if v, err := h.Join(context.Background()); v != 2 || err != nil {
			t.Fatalf("Join = %d, %v", v, err)
		}
	})
}

// A Shutdown that gives up abandons the tasks still waiting: their Join
// reports ErrClosed, and with DropOnClose each is dropped once.
func TestShutdownDeadlineAbandonsPendingTasks(t *testing.T) {
	for _, drop := range []bool{false, true} {
		t.Run(fmt.Sprintf("DropOnClose=%v", drop), func(t *testing.T) {
			bubble(t, Config{Workers: 2, DropOnClose: drop}, func(t *testing.T, e *Executor) {
				r := &record{}
				h := Spawn[int](e, probe{r})
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				if err := e.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
				}
				if _, err := h.Join(context.Background()); !errors.Is(err, ErrClosed) {
					t.Fatalf("Join of an abandoned task = %v, want ErrClosed", err)
				}
				r.waker.Wake() // a wake after the executor stopped is ignored
				synctest.Wait()
				wantDrops := 0
				if drop {
					wantDrops = 1
				}
				if r.polls != 1 || r.drops != wantDrops {
					t.Fatalf("abandoned task polled %d times and dropped %d times, want 1 and %d", r.polls, r.drops, wantDrops)
				}
				e.Close() // idempotent
				if err := e.Shutdown(context.Background()); !errors.Is(err, ErrClosed) {
					t.Fatalf("Shutdown after Close, with a task abandoned = %v, want ErrClosed", err)
				}
			})
		})
	}
}

func TestConcurrentShutdowns(t *testing.T) {
	bubble(t, Config{Workers: 2}, func(t *testing.T, e *Executor) {
		r := &record{readyAt: 2}
		Spawn[int](e, probe{r})
		synctest.Wait()
		errs := make(chan error, 3)
		for range 3 {
			go func() { errs <- e.Shutdown(context.Background()) }()
		}
		synctest.Wait()
		r.waker.Wake()
		for range 3 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	})
}

// A goroutine waiting in Join when the executor is closed gets ErrClosed.
func TestJoinOfAnAbandonedTask(t *testing.T) {
	e := NewExecutor(Config{Workers: 1})
	h := Spawn[int](e, neverReady{})
	res := make(chan error, 1)
	go func() {
		_, err := h.Join(context.Background())
		res <- err
	}()
	time.Sleep(5 * time.Millisecond)
	e.Close()
	if err := <-res; !errors.Is(err, ErrClosed) {
		t.Fatalf("Join after Close = %v, want ErrClosed", err)
	}
}

// The tasks of one TestCloseDropsEveryAbandonedTask, one in each place a
// task can be when Close comes.
type closeCase struct {
	t                                     *testing.T
	done, idle, running, queued, aborted  *record
	hDone, hIdle, hRun, hQueued, hAborted JoinHandle[int]
	gate                                  chan struct{} // closed: running's poll returns
}

// spawnCloseCase spawns the tasks and lets each be polled once: done
// completes, the others return Pending. Then it wakes running, which stays
// in its second poll until gate is closed, and, while the one goroutine
// that polls is held there, wakes queued and aborted, which wait in the run
// queue, and aborts aborted. So every task but done has been idle once:
// running and queued are scheduled, but on their stripes' pended lists.
func spawnCloseCase(t *testing.T, e *Executor) *closeCase {
	c := &closeCase{t: t, gate: make(chan struct{})}
	c.done, c.idle, c.queued, c.aborted = &record{readyAt: 1}, &record{}, &record{}, &record{}
	c.running = &record{onPoll: func(r *record) {
		if r.polls == 2 {
			<-c.gate
		}
	}}
	c.hDone, c.hIdle = Spawn[int](e, probe{c.done}), Spawn[int](e, probe{c.idle})
	c.hRun, c.hQueued = Spawn[int](e, probe{c.running}), Spawn[int](e, probe{c.queued})
	c.hAborted = Spawn[int](e, probe{c.aborted})
	synctest.Wait()
	c.running.waker.Wake()
	synctest.Wait()
	c.queued.waker.Wake()
	c.aborted.waker.Wake()
	c.hAborted.Abort()
	return c
}

// closeDuringPoll calls Close on another goroutine while running is in
// its poll, and checks, once every goroutine of the bubble is blocked,
// that Close has not returned and has not dropped running. It returns a
// channel closed when Close returns. (The checks while running is held
// report with Errorf, so that the test goes on to let it go, and the
// bubble ends.)
func (c *closeCase) closeDuringPoll(e *Executor) chan struct{} {
	c.t.Helper()
	closed := make(chan struct{})
	go func() { e.Close(); close(closed) }()
	synctest.Wait()
	if isClosed(closed) || c.running.drops != 0 {
		c.t.Errorf("during a poll: Close returned %v, the task in its poll dropped %d times; want false, 0",
			isClosed(closed), c.running.drops)
	}
	return closed
}

// check checks the drops, the polls and the Joins once Close has
// returned, and that a wake polls nothing any more.
func (c *closeCase) check() {
	t := c.t
	t.Helper()
	for name, r := range map[string]*record{"idle": c.idle, "running": c.running, "queued": c.queued, "aborted": c.aborted} {
		if r.drops != 1 {
			t.Errorf("%s task dropped %d times, want 1", name, r.drops)
		}
	}
	if c.done.drops != 0 {
		t.Errorf("completed task dropped %d times", c.done.drops)
	}
	if c.queued.polls != 1 || c.aborted.polls != 1 || c.running.polls != 2 {
		t.Errorf("queued, aborted and running tasks polled %d, %d and %d times; want 1, 1 and 2",
			c.queued.polls, c.aborted.polls, c.running.polls)
	}
	ctx := context.Background()
	for name, h := range map[string]JoinHandle[int]{"idle": c.hIdle, "running": c.hRun, "queued": c.hQueued} {
		if _, err := h.Join(ctx); !errors.Is(err, ErrClosed) {
			t.Errorf("Join of the %s task = %v, want ErrClosed", name, err)
		}
	}
	if _, err := c.hAborted.Join(ctx); !errors.Is(err, ErrAborted) {
		t.Errorf("Join of the task aborted before Close = %v, want ErrAborted", err)
	}
	if v, err := c.hDone.Join(ctx); v != 1 || err != nil {
		t.Errorf("Join of the completed task = %d, %v", v, err)
	}
	polls := c.idle.polls + c.running.polls
	c.idle.waker.Wake()
	c.running.waker.Wake()
	synctest.Wait()
	if n := c.idle.polls + c.running.polls; n != polls {
		t.Errorf("%d polls after Close returned", n-polls)
	}
}

// Close drops, exactly once, every task it abandons, wherever it is: one
// that waits for a wake (dropped by Close), one in the run queue (taken
// off it and dropped by Close, not polled), one aborted in the run queue
// (whose Join keeps ErrAborted), and one in the middle of its poll, which
// is dropped after that poll, never during it. A task that completed is
// not dropped.
func TestCloseDropsEveryAbandonedTask(t *testing.T) {
	t.Run("workers", func(t *testing.T) {
		// Close waits for the worker to finish its poll, then drops
		// every task left, the one it polled included.
		bubble(t, Config{Workers: 1, DropOnClose: true}, func(t *testing.T, e *Executor) {
			c := spawnCloseCase(t, e)
			closed := c.closeDuringPoll(e)
			close(c.gate)
			<-closed
			c.check()
		})
	})
	t.Run("current-thread", func(t *testing.T) {
		// The goroutine in RunOn polls. Close drops at once what it
		// does not poll, and that goroutine drops the task in its poll
		// once the poll returns.
		bubble(t, Config{Workers: NoWorkers, DropOnClose: true}, func(t *testing.T, e *Executor) {
			ctx, cancel := context.WithCancel(context.Background())
			ran := make(chan error, 1)
			go func() {
				_, err := RunOn[int](ctx, e, neverReady{})
				ran <- err
			}()
			c := spawnCloseCase(t, e)
			closed := c.closeDuringPoll(e)
			if c.idle.drops != 1 || c.queued.drops != 1 || c.aborted.drops != 1 {
				t.Errorf("while RunOn polls: idle, queued and aborted tasks dropped %d, %d, %d times; want 1 each",
					c.idle.drops, c.queued.drops, c.aborted.drops)
			}
			close(c.gate)
			<-closed
			c.check()
			cancel()
			if err := <-ran; !errors.Is(err, context.Canceled) {
				t.Fatalf("RunOn = %v, want context.Canceled", err)
			}
		})
	})
}

// A driver that stops at its budget holding tasks it moved from the
// overflow list gives them back, so that Close finds them: if it kept
// them, Close would wait for them for ever (and the bubble would report
// the deadlock).
func TestCloseFindsTheTasksADriverLeft(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(Config{Workers: NoWorkers, Queue: 2, DropOnClose: true})
		recs := make([]*record, 40) // 2 in the channel, the rest overflow
		for i := range recs {
			recs[i] = &record{}
			Spawn[int](e, probe{recs[i]})
		}
		if !e.RunQueued(3) {
			t.Fatal("RunQueued(3) of 40 tasks reported no more")
		}
		e.Close()
		polled := 0
		for i, r := range recs {
			polled += r.polls
			if r.drops != 1 {
				t.Errorf("task %d dropped %d times, want 1", i, r.drops)
			}
		}
		if polled != 3 {
			t.Errorf("%d polls, want 3", polled)
		}
	})
}

// panicDrop is a probe whose Drop panics.
type panicDrop struct{ probe }

func (p *panicDrop) Drop() {
	p.probe.Drop()
	panic("Drop panics")
}

// A Drop that panics during Close does not stop Close; the task's Join
// reports the panic.
func TestCloseReportsAPanickingDrop(t *testing.T) {
	bubble(t, Config{Workers: 1, DropOnClose: true}, func(t *testing.T, e *Executor) {
		bad, good := &record{}, &record{}
		hBad := Spawn[int](e, panicDrop{probe{bad}})
		hGood := Spawn[int](e, probe{good})
		synctest.Wait()
		e.Close()
		var pe *csp.PanicError
		if _, err := hBad.Join(context.Background()); !errors.As(err, &pe) || pe.Value != "Drop panics" {
			t.Fatalf("Join of a task whose Drop panicked = %v, want its *csp.PanicError", err)
		}
		if _, err := hGood.Join(context.Background()); !errors.Is(err, ErrClosed) || good.drops != 1 || bad.drops != 1 {
			t.Fatalf("other task: Join = %v, dropped %d times; the panicking one %d times", err, good.drops, bad.drops)
		}
	})
}

// owner is a task that starts a goroutine at its first poll and ends it in
// its Drop, as a future that owns a resource gives it back: a task that
// Close abandons without dropping it leaves the goroutine behind, which
// goleak reports.
type owner struct {
	started chan<- struct{}
	end     chan struct{}
}

func (o *owner) Poll(*Context) (int, bool) {
	if o.end == nil {
		o.end = make(chan struct{})
		go func(end chan struct{}) { <-end }(o.end)
		o.started <- struct{}{}
	}
	return 0, false
}

func (o *owner) Drop() {
	if o.end != nil {
		close(o.end)
	}
}

// allStarted is a future that is ready once n tasks have started.
type allStarted struct {
	started chan struct{}
	n       int
}

func (a *allStarted) Poll(cx *Context) (struct{}, bool) {
	if len(a.started) == a.n {
		return struct{}{}, true
	}
	cx.Waker().Wake() // look again after RunOn has polled the tasks
	return struct{}{}, false
}

// Once Close returns, no goroutine that an abandoned task owned is left:
// on a worker pool, on a current-thread executor run by RunOn, and on one
// driven by a reactor with a helper.
func TestCloseLeavesNoGoroutineOfItsTasks(t *testing.T) {
	const n = 100
	for _, c := range []struct {
		name   string
		config Config
		driver string
	}{
		{"workers", Config{Workers: 2, DropOnClose: true}, ""},
		{"run-on", Config{Workers: NoWorkers, DropOnClose: true}, "RunOn"},
		{"driven", Config{Workers: NoWorkers, Helpers: 1, DropOnClose: true}, "reactor"},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			var r *Reactor
			if c.driver == "reactor" {
				r = newReactor(t)
			}
			e := NewExecutor(c.config)
			if r != nil {
				if err := r.Drive(e); err != nil {
					t.Fatal(err)
				}
			}
			started := make(chan struct{}, n)
			for range n {
				Spawn[int](e, owner{started: started})
			}
			if c.driver == "RunOn" {
				if _, err := RunOn[struct{}](hangGuard(t), e, &allStarted{started, n}); err != nil {
					t.Fatal(err)
				}
			} else {
				for range n {
					<-started
				}
			}
			e.Close()
			if r != nil {
				if err := r.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
