package async

import (
	"context"
	"runtime/trace"
	"strconv"
)

// Execution traces: while runtime/trace is on (trace.IsEnabled), each task
// the executor polls is a trace.Task named as its record is (SpawnNamed,
// or the spawn site), each poll a region "poll" in it, and each wake a log
// message "wake" in it that says who woke it, so that `go tool trace`
// shows the tasks being polled, on which goroutines, and for how long (its
// "User-defined tasks" and "User-defined regions" views). A task spawned
// before the trace began becomes a trace.Task at its first poll in it.
// When tracing is off, this costs a poll one check of trace.IsEnabled.

// pollRegion is the name of a poll's region in an execution trace.
const pollRegion = "poll"

// traceStart opens the region of the poll that begins, making tr's
// trace.Task first if it has none.
func (tr *taskRecord) traceStart() {
	if !trace.IsEnabled() {
		return
	}
	r := tr.r
	r.lock <- struct{}{}
	if tr.tt == nil {
		tr.ctx, tr.tt = trace.NewTask(context.Background(), tr.name)
	}
	ctx := tr.ctx
	<-r.lock
	tr.region = trace.StartRegion(ctx, pollRegion)
}

// traceEnd closes the region traceStart opened, if it did.
func (tr *taskRecord) traceEnd() {
	if tr.region != nil {
		tr.region.End()
		tr.region = nil
	}
}

// traceWake logs a wake of tr in its trace.Task: "self", "by task N", or
// "by another goroutine" (the reactor, a timer, a goroutine outside the
// executor, or, on a worker pool, a task that cannot be told apart).
func (tr *taskRecord) traceWake(self bool, by uint64) {
	if !trace.IsEnabled() {
		return
	}
	ctx := context.Background() // a wake before its first traced poll
	if c := tr.traceCtx(); c != nil {
		ctx = c
	}
	msg := "by another goroutine"
	switch {
	case self:
		msg = "self"
	case by != 0:
		msg = "by task " + strconv.FormatUint(by, 10)
	}
	trace.Log(ctx, "wake", msg)
}

// traceCtx returns tr's trace context, nil before its first traced poll.
func (tr *taskRecord) traceCtx() context.Context {
	r := tr.r
	r.lock <- struct{}{}
	ctx := tr.ctx
	<-r.lock
	return ctx
}

// traceDone ends tr's trace.Task, if it has one.
func (tr *taskRecord) traceDone() {
	if tt := tr.takeTraceTask(); tt != nil {
		tt.End()
	}
}

func (tr *taskRecord) takeTraceTask() *trace.Task {
	r := tr.r
	r.lock <- struct{}{}
	tt := tr.tt
	tr.tt = nil
	<-r.lock
	return tt
}
