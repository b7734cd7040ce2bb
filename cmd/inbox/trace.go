package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/chansync/chansync/csp/async"
	"github.com/chansync/chansync/inbox"
)

// traceLatency is each request's latency in the trace: long enough that
// the wait shows in the timestamps.
const traceLatency = 2 * time.Millisecond

// runTrace runs two AddToInbox operations, one after the other, on an
// executor with one worker and a reactor, and prints who does what.
func runTrace(w io.Writer) error {
	r, err := async.NewReactor()
	if err != nil {
		return err
	}
	defer r.Close()
	e := async.NewExecutor(async.Config{Workers: 1, Record: true})
	defer e.Close()

	svc := inbox.NewServices(traceLatency, r)
	svc.AddMessage("msg-1", "hello")
	svc.AddMessage("msg-2", "hello again")
	svc.AddUser(1, "ada", 10, true) // cached
	svc.AddUser(2, "bob", 0, false) // not cached, no room
	tr := &tracer{w: w, lock: make(chan struct{}, 1), start: time.Now()}
	svc.Trace = tr.event

	fmt.Fprintf(w, "AddToInbox(\"msg-1\", user 1): user 1 is in the cache and has room\n\n")
	tr.op(e, svc, 1, "msg-1", 1)
	fmt.Fprintf(w, "\nAddToInbox(\"msg-2\", user 2): user 2 is not in the cache, and its inbox is full\n\n")
	tr.op(e, svc, 2, "msg-2", 2)
	if n := r.PendingTimers(); n != 0 {
		return fmt.Errorf("%d timers left in the reactor", n)
	}
	fmt.Fprintf(w, "\nThe executor's records of its tasks (async.Executor.Tasks), and its lints:\n\n")
	return async.WriteTasks(w, e.Tasks(), e.Lints(async.LintConfig{}), time.Now())
}

// A tracer prints the lines of the trace. Lines come from the main
// goroutine, the worker and the reactor; the lock keeps them whole, and
// since each line is printed before the action it reports, they come out
// in causal order.
type tracer struct {
	w     io.Writer
	lock  chan struct{} // guards everything below
	start time.Time
	task  int    // the task being traced
	last  string // the request in flight
	inner async.Waker
}

func (t *tracer) line(who, format string, args ...any) {
	t.lock <- struct{}{}
	defer func() { <-t.lock }()
	t.linef(who, format, args...)
}

func (t *tracer) linef(who, format string, args ...any) {
	fmt.Fprintf(t.w, "%6.2fms  %-8s  %s\n", float64(time.Since(t.start).Microseconds())/1000, who, fmt.Sprintf(format, args...))
}

// op spawns one traced AddToInbox and joins it.
func (t *tracer) op(e *async.Executor, svc *inbox.Services, id int, email string, user inbox.UserID) {
	t.lock <- struct{}{}
	t.task, t.last = id, ""
	<-t.lock
	f := tracedOp{AddToInboxFuture: inbox.NewAddToInbox(svc, email, user), t: t, id: id}
	t.line("executor", "spawn task %d: queued, not run yet (spawn is eager; the future is lazy)", id)
	h := async.SpawnNamed[error](e, fmt.Sprintf("AddToInbox(%q, user %d)", email, user), f)
	res, err := h.Join(context.Background())
	if err != nil {
		t.line("main", "Join(task %d) failed: %v", id, err)
		return
	}
	t.line("main", "Join(task %d) returns %v", id, outcome(res))
}

// event turns the services' events into lines.
func (t *tracer) event(e inbox.Event) {
	t.lock <- struct{}{}
	defer func() { <-t.lock }()
	who := fmt.Sprintf("task %d", t.task)
	switch e.Kind {
	case inbox.Transition:
		t.linef(who, "%s → %s", e.From, e.To)
	case inbox.Sent:
		t.last = e.Name
		t.linef(who, "%s sent: its timer (%v) holds the task's waker", e.Name, traceLatency)
	case inbox.CacheHit:
		t.linef(who, "%s: cache hit, ready at once (no Pending)", e.Name)
	}
}

// Wake is the waker the traced future hands out: it reports the wake,
// then passes it on to the task's own waker.
func (t *tracer) Wake() {
	t.lock <- struct{}{}
	t.linef("reactor", "timer expired: %s done → wake task %d", t.last, t.task)
	inner := t.inner
	<-t.lock
	inner.Wake()
}

// tracedOp is an AddToInboxFuture that reports each poll and its result,
// and gives the inner future the tracer's waker instead of the task's.
type tracedOp struct {
	inbox.AddToInboxFuture
	t  *tracer
	id int
}

func (f *tracedOp) Poll(cx *async.Context) (error, bool) {
	t := f.t
	t.lock <- struct{}{}
	t.inner = cx.Waker()
	t.linef("executor", "worker polls task %d (state %s)", f.id, f.State())
	<-t.lock
	res, ready := f.AddToInboxFuture.Poll(async.NewContext(async.NewWaker(t)))
	who := fmt.Sprintf("task %d", f.id)
	if !ready {
		t.line(who, "Poll returns Pending (waiting in %s)", f.State())
		return nil, false
	}
	t.line(who, "Poll returns Ready(%v)", outcome(res))
	return res, true
}

func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	return "error: " + err.Error()
}
