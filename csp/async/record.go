package async

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/trace"
	"slices"
	"strconv"
	"time"
)

// Task records: what tokio-console shows of each task, kept by the
// executor itself when Config.Record asks for them (or while runtime/trace
// is on, see trace.go), in a side table beside the tasks. Nothing of it is
// in a task's header: an executor that records nothing pays one branch per
// poll, and the holders of wakers (timers, registrations, wait lists,
// joiners) one type check per waker they store.
//
// A recorded task is polled with a Waker that points at its record, not at
// the task: the record counts each wake, knows whether it came during the
// task's own poll (a self-wake), and which task was being polled when it
// came (who woke whom, on an executor that one goroutine polls), before it
// wakes the task. A holder stores a waker with Waker.set, which tells a
// record that one more (or one fewer) place holds its waker: the count
// that the lost-waker lint reads (lint.go).

// TaskInfo is a snapshot of one task's record (Executor.Tasks).
type TaskInfo struct {
	ID    uint64 // 1 for the first task the executor recorded, then 2, 3, ...
	Name  string // given to SpawnNamed, or the file:line of the Spawn call
	State TaskState

	Polls     int // times it was polled
	Wakes     int // times its waker was woken, by anyone
	SelfWakes int // of those, the wakes that came during its own poll
	// Wakers is how many places hold its waker now: armed timers,
	// reactor registrations, places in a wait list, a task joining it.
	Wakers int

	Spawned     time.Time     // when it was spawned (or first polled while traced)
	LastPoll    time.Time     // when its last poll began; zero before the first
	PendingAt   time.Time     // when its last poll returned Pending
	Busy        time.Duration // time spent in its polls
	Scheduled   time.Duration // time between a wake and the poll it caused
	Idle        time.Duration // the rest of its life so far: neither polled nor queued
	LongestPoll time.Duration // its longest poll
	Ended       time.Time     // when it completed; zero while it lives
}

// TaskState is a task's state as Executor.Tasks reports it.
type TaskState uint8

const (
	// TaskIdle: its last poll returned Pending and nothing has woken it.
	TaskIdle TaskState = iota
	// TaskScheduled: woken (or just spawned), waiting in the run queue.
	TaskScheduled
	// TaskRunning: being polled.
	TaskRunning
	// TaskDone: complete (Ready, panicked, aborted or abandoned).
	TaskDone
)

func (s TaskState) String() string {
	switch s {
	case TaskIdle:
		return "idle"
	case TaskScheduled:
		return "scheduled"
	case TaskRunning:
		return "running"
	case TaskDone:
		return "done"
	}
	return "TaskState(" + strconv.Itoa(int(s)) + ")"
}

// TaskEvent is one poll or one wake of a recorded task, as
// Executor.Events reports them: the timeline of a run.
type TaskEvent struct {
	Task uint64 // the task polled, or woken
	Kind EventKind
	At   time.Time // when the poll began, or the wake came
	End  time.Time // Poll: when the poll returned
	// Wake: the task being polled when the wake came, on an executor that
	// one goroutine polls (0: none, or not known: a worker pool, the
	// reactor, another goroutine). Self is set when it is Task itself.
	By    uint64
	Self  bool
	Ready bool // Poll: the poll returned Ready (or panicked)
}

// EventKind tells a poll from a wake.
type EventKind uint8

const (
	Polled EventKind = iota
	Woken
)

func (k EventKind) String() string {
	if k == Polled {
		return "poll"
	}
	return "wake"
}

// doneKept is how many completed tasks Tasks reports, the latest ones:
// enough to see what just ended without keeping every task of a long run.
const doneKept = 1024

// A recorder is an executor's side table of task records.
type recorder struct {
	on     bool // Config.Record: set by NewExecutor, never written again
	single bool // one goroutine polls every task: a wake during a poll is by the polled task

	lock      chan struct{} // guards everything below; taken by nobody who holds it
	nextID    uint64
	live      map[*header]*taskRecord
	sites     map[uintptr]string // spawn sites' names, by program counter
	done      []*taskRecord      // the latest completed, a ring of doneKept
	doneNext  int
	polling   *taskRecord // with single: the task being polled
	events    []TaskEvent
	maxEvents int
}

func newRecorder(c Config, single bool) recorder {
	return recorder{
		on:        c.Record,
		single:    single,
		lock:      make(chan struct{}, 1),
		live:      make(map[*header]*taskRecord),
		sites:     make(map[uintptr]string),
		maxEvents: max(c.Events, 0),
	}
}

// active reports whether polls are recorded now: records are on, or
// runtime/trace is.
func (r *recorder) active() bool { return r.on || trace.IsEnabled() }

// A taskRecord is one task's record. A Waker pointing at it wakes the task.
type taskRecord struct {
	r    *recorder
	id   uint64
	name string

	// Guarded by r.lock.
	task                            recorded // nil once it completed
	polls, wakes, selfWakes, wakers int
	spawned, pollStart, pendingAt   time.Time
	wokenAt, ended                  time.Time // wokenAt: the first wake since its last poll
	busy, sched, longest            time.Duration
	polling, wokenInPoll            bool

	// The trace.Task that shows it in an execution trace (trace.go): set
	// under r.lock by its first poll while tracing, read by its polls and
	// its wakes. region is its poller's alone: the poll's region.
	ctx    context.Context
	tt     *trace.Task
	region *trace.Region
}

// recorded is a task as its record sees it.
type recorded interface {
	Wake()
	hdr() *header
}

func (h *header) hdr() *header { return h }

// SpawnNamed is Spawn, naming the task for its record (Executor.Tasks),
// for the lints and for execution traces. Without a name a recorded task
// is named after the file and line of its Spawn call.
func SpawnNamed[T any, F any, PF interface {
	*F
	Future[T]
}](e *Executor, name string, f F) JoinHandle[T] {
	return spawn[T, F, PF](e, name, f)
}

// add makes the record of t, just spawned. The name is the spawn site if
// none was given: the caller of Spawn, three frames up (add, spawn,
// Spawn), whose name is worked out once per call site.
func (r *recorder) add(t recorded, name string) {
	var pc [1]uintptr
	if name == "" {
		runtime.Callers(4, pc[:]) // runtime.Callers, add, spawn, Spawn
	}
	now := time.Now()
	r.lock <- struct{}{}
	if name == "" {
		name = r.siteLocked(pc[0])
	}
	r.nextID++
	r.live[t.hdr()] = &taskRecord{r: r, task: t, id: r.nextID, name: name, spawned: now, wokenAt: now}
	<-r.lock
}

// siteLocked returns the file:line of the call at pc.
func (r *recorder) siteLocked(pc uintptr) string {
	if s, ok := r.sites[pc]; ok {
		return s
	}
	s := "task"
	if f, _ := runtime.CallersFrames([]uintptr{pc}).Next(); f.File != "" {
		s = filepath.Base(f.File) + ":" + strconv.Itoa(f.Line)
	}
	r.sites[pc] = s
	return s
}

// startPoll returns t's record (making one if t was spawned while nothing
// was recorded: it is being traced now), marks it polled, and makes cx's
// waker point at it.
func (r *recorder) startPoll(t recorded, cx *Context) *taskRecord {
	now := time.Now()
	r.lock <- struct{}{}
	tr := r.live[t.hdr()]
	if tr == nil {
		r.nextID++
		tr = &taskRecord{r: r, task: t, id: r.nextID, spawned: now}
		tr.name = "task " + strconv.FormatUint(tr.id, 10)
		r.live[t.hdr()] = tr
	}
	tr.polls++
	tr.polling = true
	tr.pollStart = now
	if !tr.wokenAt.IsZero() {
		tr.sched += now.Sub(tr.wokenAt)
		tr.wokenAt = time.Time{}
	}
	if r.single {
		r.polling = tr
	}
	<-r.lock
	cx.waker = Waker{w: tr}
	tr.traceStart()
	return tr
}

// endPoll marks the poll that startPoll began as ended, and the task
// complete if it is.
func (tr *taskRecord) endPoll(complete bool) {
	tr.traceEnd()
	now := time.Now()
	r := tr.r
	r.lock <- struct{}{}
	d := now.Sub(tr.pollStart)
	tr.busy += d
	tr.longest = max(tr.longest, d)
	tr.polling = false
	tr.pendingAt = now
	if tr.wokenInPoll {
		tr.wokenAt, tr.wokenInPoll = now, false
	}
	if r.polling == tr {
		r.polling = nil
	}
	if len(r.events) < r.maxEvents {
		r.events = append(r.events, TaskEvent{Task: tr.id, Kind: Polled, At: tr.pollStart, End: now, Ready: complete})
	}
	if complete {
		tr.endLocked(now)
	}
	<-r.lock
	if complete {
		tr.traceDone()
	}
}

// finish marks t complete: it was dropped (aborted, or abandoned by
// Close). It does nothing if t has no record.
func (r *recorder) finish(t recorded) {
	r.lock <- struct{}{}
	tr := r.live[t.hdr()]
	if tr != nil {
		tr.endLocked(time.Now())
	}
	<-r.lock
	if tr != nil {
		tr.traceDone()
	}
}

// endLocked moves a completed task's record from the live table to the
// ring of the latest completed.
func (tr *taskRecord) endLocked(now time.Time) {
	r := tr.r
	tr.ended = now
	delete(r.live, tr.task.hdr())
	tr.task = nil // kept no longer than the task lives: a late wake of it does nothing
	if len(r.done) < doneKept {
		r.done = append(r.done, tr)
		return
	}
	r.done[r.doneNext] = tr
	r.doneNext = (r.doneNext + 1) % doneKept
}

// Wake counts the wake and wakes the task.
func (tr *taskRecord) Wake() {
	now := time.Now()
	r := tr.r
	r.lock <- struct{}{}
	tr.wakes++
	self := tr.polling
	if self {
		tr.selfWakes++
	}
	switch {
	case tr.polling:
		tr.wokenInPoll = true // it is queued again when the poll ends
	case tr.wokenAt.IsZero() && tr.ended.IsZero():
		tr.wokenAt = now
	}
	var by uint64
	if r.polling != nil {
		by = r.polling.id
	}
	if len(r.events) < r.maxEvents {
		r.events = append(r.events, TaskEvent{Task: tr.id, Kind: Woken, At: now, By: by, Self: self})
	}
	t := tr.task
	<-r.lock
	tr.traceWake(self, by)
	if t != nil {
		t.Wake()
	}
}

// held adds d to the count of places that hold tr's waker.
func (tr *taskRecord) held(d int) {
	r := tr.r
	r.lock <- struct{}{}
	tr.wakers += d
	<-r.lock
}

// set stores v in *w. Every holder of wakers (a timer, a reactor
// registration, a place in a wait list, a joiner) stores and clears them
// with set, so that a recorded task knows how many places hold its waker:
// a task that is idle and whose waker nobody holds has lost it (lint.go).
// For a waker of an unrecorded task it costs two type checks.
func (w *Waker) set(v Waker) {
	if tr, ok := w.w.(*taskRecord); ok {
		tr.held(-1)
	}
	if tr, ok := v.w.(*taskRecord); ok {
		tr.held(+1)
	}
	*w = v
}

// Tasks returns a snapshot of the records of e's tasks, in the order they
// were spawned: every live task, and the latest completed ones (up to
// 1024). It returns nil unless e was made with Config.Record.
func (e *Executor) Tasks() []TaskInfo {
	e.made()
	r := &e.rec
	if !r.on {
		return nil
	}
	now := time.Now()
	r.lock <- struct{}{}
	infos := make([]TaskInfo, 0, len(r.live)+len(r.done))
	live := make([]*header, 0, len(r.live))
	for h, tr := range r.live {
		infos = append(infos, tr.infoLocked(now))
		live = append(live, h)
	}
	for _, tr := range r.done {
		infos = append(infos, tr.infoLocked(now))
	}
	<-r.lock
	// The scheduling state is the header's, under its stripe lock, taken
	// with the recorder's released: a waker's holder takes the recorder's
	// lock inside its own, so nobody takes another inside it.
	for i, h := range live {
		if infos[i].State == TaskRunning {
			continue
		}
		s := h.lock()
		switch h.state {
		case idle:
			infos[i].State = TaskIdle
		case scheduled, notified:
			infos[i].State = TaskScheduled
		case complete:
			infos[i].State = TaskDone
		}
		s.release()
	}
	slices.SortFunc(infos, func(a, b TaskInfo) int { return compareID(a.ID, b.ID) })
	return infos
}

func compareID(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// infoLocked is the snapshot of tr at now.
func (tr *taskRecord) infoLocked(now time.Time) TaskInfo {
	end := now
	if !tr.ended.IsZero() {
		end = tr.ended
	}
	busy, sched := tr.busy, tr.sched
	if tr.polling {
		busy += now.Sub(tr.pollStart)
	} else if !tr.wokenAt.IsZero() && tr.ended.IsZero() {
		sched += now.Sub(tr.wokenAt)
	}
	info := TaskInfo{
		ID: tr.id, Name: tr.name,
		Polls: tr.polls, Wakes: tr.wakes, SelfWakes: tr.selfWakes, Wakers: tr.wakers,
		Spawned: tr.spawned, LastPoll: tr.pollStart, PendingAt: tr.pendingAt,
		Busy: busy, Scheduled: sched, Idle: max(end.Sub(tr.spawned)-busy-sched, 0),
		LongestPoll: tr.longest, Ended: tr.ended,
	}
	switch {
	case !tr.ended.IsZero():
		info.State = TaskDone
	case tr.polling:
		info.State = TaskRunning
	}
	return info
}

// Events returns the first polls and wakes of e's recorded tasks, as many
// as Config.Events asked it to keep, in the order they were recorded.
func (e *Executor) Events() []TaskEvent {
	e.made()
	r := &e.rec
	r.lock <- struct{}{}
	ev := slices.Clone(r.events)
	<-r.lock
	return ev
}

func (tr *taskRecord) String() string {
	return fmt.Sprintf("task %d (%s)", tr.id, tr.name)
}
