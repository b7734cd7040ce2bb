package async

import (
	"context"
	"errors"
	"runtime"
)

// An Executor runs tasks: it is the tutorial's executor (also called the
// runtime, the scheduler, the event loop), tokio's multi-threaded scheduler
// in miniature.
//
// Its run queue is a buffered channel of tasks, served by a fixed number of
// worker goroutines. A worker takes a task, polls it once, and takes the
// next. A task that returns Pending leaves the queue until something wakes
// it; Wake puts it back.
//
// The channel is bounded, and a wake must never block: a worker that wakes
// another task while the channel is full would wait for a worker (perhaps
// itself) to make room, and the reactor must keep going whatever the queue
// holds. So a push that finds the channel full appends the task to an
// overflow list (guarded by a one-slot lock channel) and drops a nil into
// the channel if there is room, to wake a parked worker. Workers look at
// the overflow list when the channel is empty, before they park, and every
// 61 tasks otherwise, so a task that overflowed is never starved (tokio's
// injection queue, checked every 61 ticks). No wake-up is lost between a
// worker's look at the list and its park: the push appends first and then
// tries to drop its nil in. If the channel has room, a parked worker wakes
// and looks again; if it has none, it holds tasks, and the worker that
// takes the last of them looks at the list before it parks.
//
// With Workers: NoWorkers the executor has no workers: the reactor that
// drives it (Reactor.Drive) polls the queued tasks in each of its turns
// (RunQueued), and a push from another goroutine kicks the reactor awake.
// Config.Helpers then adds goroutines that the reactor wakes, one token at
// a time, when a turn leaves more than a few tasks queued; a helper polls
// until the queue is empty and waits for the next token.
//
// A task's scheduling state (idle, scheduled, notified, complete) needs
// mutual exclusion, and without atomics that is a lock channel. One
// channel per task would cost an allocation and about 100 bytes, so tasks
// share 256 lock channels instead, each task given one at random when it
// is spawned (striped locks). Each stripe also counts its live tasks,
// which is how Shutdown knows when all are done.
//
// No lock is held while a task is pushed, polled, dropped or woken, or
// while a joiner is told: each of those may take a stripe lock of its own,
// perhaps the same one. Locks nest in one place only, Shutdown's look at
// every stripe under drainLock, and nobody takes drainLock while holding a
// stripe.
type Executor struct {
	runq chan runnable // nil entries are nudges: look at the overflow list

	overflowLock chan struct{} // guards overflow and overflowHead
	overflow     []runnable
	overflowHead int

	stripes [stripes]stripe

	workers int
	driver  *worker       // NoWorkers: the reactor's goroutine polls as this worker
	unpark  func()        // NoWorkers: wakes the reactor that drives the executor (set by Reactor.Drive)
	help    chan struct{} // NoWorkers: a token wakes a helper
	// NoWorkers: a token is left at each push, for RunOn to wait on when
	// the queue is empty (a push from another goroutine, or f's wake).
	queuedSignal signal
	stop         chan struct{} // closed: workers return
	stopToken    chan struct{} // holds one token: whoever takes it stops the workers
	exited       chan struct{} // one token per worker that returned
	stopped      chan struct{} // closed once every worker has returned

	closeToken chan struct{} // holds one token: whoever takes it closes the stripes
	drainLock  chan struct{} // guards pending
	pending    int           // stripes that still had live tasks when closing began
	idle       chan struct{} // closed when no task is live after closing began
}

const (
	stripes          = 256
	overflowInterval = 61 // polls between two looks at the overflow list
	overflowBatch    = 16 // tasks a worker takes from the overflow list at once
	defaultQueue     = 1024
)

// A stripe is one of the executor's task locks, padded to its own cache
// line so that two workers locking neighbouring stripes do not share one.
type stripe struct {
	lock    chan struct{}
	live    int  // tasks hashed here that have not completed
	closing bool // Shutdown or Close began: Spawn refuses new tasks
	_       [64 - 17]byte
}

// Config sets up an Executor.
type Config struct {
	// Workers is the number of worker goroutines; 0 means
	// runtime.GOMAXPROCS(0), one per processor.
	Workers int
	// Helpers, with Workers: NoWorkers, is the number of goroutines that
	// help the reactor poll when a turn wakes more tasks than it polls
	// quickly alone.
	Helpers int
	// Queue is the capacity of the run-queue channel; 0 means 1024. Tasks
	// beyond it wait in the overflow list, so it bounds no count of tasks.
	Queue int
}

// NoWorkers, as Config.Workers, makes an executor without worker
// goroutines, whose tasks are polled by the reactor's goroutine instead
// (Reactor.Drive): tokio's current_thread runtime, where one thread waits
// for I/O and polls every task. Until a reactor drives it, its tasks wait.
const NoWorkers = -1

// NewExecutor starts an executor's workers. Stop it with Shutdown or Close.
func NewExecutor(c Config) *Executor {
	if c.Workers == NoWorkers {
		c.Workers = 0
	} else if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Queue <= 0 {
		c.Queue = defaultQueue
	}
	e := &Executor{
		runq:         make(chan runnable, c.Queue),
		overflowLock: make(chan struct{}, 1),
		workers:      c.Workers,
		stop:         make(chan struct{}),
		stopToken:    make(chan struct{}, 1),
		exited:       make(chan struct{}, c.Workers),
		stopped:      make(chan struct{}),
		closeToken:   make(chan struct{}, 1),
		drainLock:    make(chan struct{}, 1),
		idle:         make(chan struct{}),
	}
	e.stopToken <- struct{}{}
	e.closeToken <- struct{}{}
	for i := range e.stripes {
		e.stripes[i].lock = make(chan struct{}, 1)
	}
	if c.Workers == 0 {
		e.driver = &worker{e: e, local: make([]runnable, 0, overflowBatch)}
		e.queuedSignal = make(signal, 1)
		e.workers = max(c.Helpers, 0)
		e.exited = make(chan struct{}, e.workers)
		e.help = make(chan struct{}, 1)
		for range e.workers {
			go e.helper()
		}
	}
	for range c.Workers {
		go e.work()
	}
	return e
}

// RunQueued polls the queued tasks on the calling goroutine, at most max of
// them, and reports whether it stopped at max (there may be more). Only an
// executor made with NoWorkers has it, and only one goroutine at a time may
// call it: the reactor's, once Reactor.Drive has handed it the executor.
func (e *Executor) RunQueued(max int) (more bool) {
	w := e.driver
	if w == nil {
		panic("async: RunQueued on an executor with workers of its own (make it with Workers: NoWorkers)")
	}
	for range max {
		r := w.tryNext()
		if r == nil {
			return false
		}
		r.run(w)
	}
	return true
}

// RunOn polls f and e's tasks on the calling goroutine until f is ready,
// and returns f's result: tokio's block_on on a current_thread runtime,
// where the thread that waits for f runs every task meanwhile. e must be
// made with Workers: NoWorkers and not be driven by a reactor; its tasks
// run only while RunOn does (a task spawned or woken from another
// goroutine meanwhile is run too). Between bursts of polls RunOn polls f
// again if it was woken; when nothing is queued it sleeps until a task is
// queued or f is woken. If ctx ends first it returns ctx.Err(), and f is
// dropped as BlockOn drops it.
func RunOn[T any](ctx context.Context, e *Executor, f Future[T]) (v T, err error) {
	if e.driver == nil || e.unpark != nil {
		var zero T
		return zero, errors.New("async: RunOn needs an executor made with Workers: NoWorkers and not driven by a reactor")
	}
	return blockOn(ctx, f, e)
}

// driveBudget bounds the polls of one turn of a reactor that drives an
// executor, and of one burst of RunOn, so that the descriptors (or the
// future RunOn waits for) are looked at again between bursts.
const driveBudget = 256

// helper is the goroutine of a helper: it waits for the driving reactor to
// ask for help, then polls queued tasks until there are none.
func (e *Executor) helper() {
	defer func() { e.exited <- struct{}{} }()
	w := &worker{e: e, local: make([]runnable, 0, overflowBatch)}
	for {
		select {
		case <-e.help:
		case <-e.stop:
			return
		}
		for r := w.tryNext(); r != nil; r = w.tryNext() {
			r.run(w)
		}
	}
}

// askHelp wakes a helper if more than helpThreshold tasks are queued.
func (e *Executor) askHelp() {
	if e.workers > 0 && len(e.runq) > helpThreshold {
		select {
		case e.help <- struct{}{}:
		default: // one is on its way already
		}
	}
}

// helpThreshold is how many queued tasks make the driving reactor wake a
// helper: fewer are polled by the reactor alone, since waking a goroutine
// that another processor runs costs more than polling a few tasks.
const helpThreshold = 4

// queued reports whether a task waits on the run queue or the overflow
// list.
func (e *Executor) queued() bool {
	if len(e.runq) > 0 || len(e.driver.local) > 0 {
		return true
	}
	e.overflowLock <- struct{}{}
	n := len(e.overflow) - e.overflowHead
	<-e.overflowLock
	return n > 0
}

// push puts a scheduled task on the run queue. It never blocks.
func (e *Executor) push(r runnable) {
	select {
	case e.runq <- r:
		e.unparkDriver()
		return
	default:
	}
	select {
	case <-e.stop:
		return // nobody will run it: forget it
	default:
	}
	if testHookOverflow != nil {
		testHookOverflow()
	}
	e.overflowLock <- struct{}{}
	e.overflow = append(e.overflow, r)
	<-e.overflowLock
	// A worker may have parked after its last look at the overflow list;
	// if the channel has room, a nil wakes it. If it has none, the workers
	// are busy with what it holds and will look again before parking.
	select {
	case e.runq <- nil:
	default:
	}
	e.unparkDriver()
}

// unparkDriver wakes the reactor that drives an executor without workers,
// if it sleeps: a task was queued from outside its goroutine.
func (e *Executor) unparkDriver() {
	switch {
	case e.unpark != nil:
		e.unpark()
	case e.queuedSignal != nil:
		e.queuedSignal.Wake() // for RunOn
	}
}

// testHookOverflow, if set by a test, is called by a push that found the
// run queue full, before it appends to the overflow list.
var testHookOverflow func()

// A worker is the state of one worker goroutine.
type worker struct {
	e     *Executor
	cx    Context    // reused for every poll: a Context is valid only during Poll
	tick  uint32     // polls so far, to look at the overflow list now and then
	local []runnable // tasks taken from the overflow list, polled before others
}

func (e *Executor) work() {
	defer func() { e.exited <- struct{}{} }()
	w := &worker{e: e, local: make([]runnable, 0, overflowBatch)}
	for {
		r := w.next()
		if r == nil {
			return
		}
		r.run(w)
	}
}

// next returns the next task to poll, or nil when the executor stops.
func (w *worker) next() runnable {
	e := w.e
	for {
		if r := w.tryNext(); r != nil {
			return r
		}
		// Nothing queued (or stopping): park until a push or the stop.
		select {
		case r := <-e.runq:
			if r != nil {
				return r
			}
			// A nudge: look at the overflow list again.
		case <-e.stop:
			return nil
		}
	}
}

// tryNext is next without waiting: it returns nil when no task is queued,
// or when the executor stops.
func (w *worker) tryNext() runnable {
	e := w.e
	for {
		select {
		case <-e.stop:
			return nil
		default:
		}
		if n := len(w.local); n > 0 {
			r := w.local[0]
			copy(w.local, w.local[1:])
			w.local[n-1] = nil
			w.local = w.local[:n-1]
			return r
		}
		w.tick++
		if w.tick%overflowInterval == 0 && w.takeOverflow() {
			continue
		}
		select {
		case r := <-e.runq:
			if r != nil {
				return r
			}
			continue // a nudge
		default:
		}
		if !w.takeOverflow() {
			return nil
		}
	}
}

// takeOverflow moves a batch of tasks from the overflow list to w.local and
// reports whether there were any.
func (w *worker) takeOverflow() bool {
	e := w.e
	e.overflowLock <- struct{}{}
	n := min(len(e.overflow)-e.overflowHead, overflowBatch)
	for i := range n {
		w.local = append(w.local, e.overflow[e.overflowHead+i])
		e.overflow[e.overflowHead+i] = nil
	}
	e.overflowHead += n
	more := e.overflowHead < len(e.overflow)
	switch {
	case !more:
		e.overflow, e.overflowHead = e.overflow[:0], 0
	case e.overflowHead > cap(e.overflow)/2:
		rest := copy(e.overflow, e.overflow[e.overflowHead:])
		clear(e.overflow[rest:])
		e.overflow, e.overflowHead = e.overflow[:rest], 0
	}
	<-e.overflowLock
	if more {
		// Let another worker share what is left.
		select {
		case e.runq <- nil:
		default:
		}
	}
	return n > 0
}

// Shutdown stops the executor gracefully: Spawn refuses new tasks at once
// (their Join reports ErrClosed), Shutdown waits until every task already
// spawned has completed, then stops the workers and returns nil. If ctx
// ends first, it stops the workers anyway and returns ctx.Err(): the tasks
// still waiting are abandoned, never polled again nor dropped, and their
// Join reports ErrClosed. If the workers were stopped by Close or by an
// earlier Shutdown that gave up, it returns ErrClosed. In every case no
// worker goroutine is left when it returns. Shutdown may be called more than once and from several
// goroutines, but not from a task: it would wait for its own worker.
func (e *Executor) Shutdown(ctx context.Context) error {
	e.beginClosing()
	var err error
	select {
	case <-e.idle:
	case <-ctx.Done():
		err = ctx.Err()
	case <-e.stopped:
		err = ErrClosed // Close (or an earlier Shutdown) gave up on the tasks
	}
	e.stopWorkers()
	return err
}

// Close stops the executor at once: Spawn refuses new tasks, each worker
// returns after the poll it is in, and the tasks not complete are
// abandoned (their Join reports ErrClosed). Like Shutdown, it returns when
// no worker is left and must not be called from a task.
func (e *Executor) Close() {
	e.beginClosing()
	e.stopWorkers()
}

// beginClosing marks every stripe closing, so Spawn refuses new tasks, and
// counts the stripes that still have live tasks; the last of them to drain
// closes idle.
func (e *Executor) beginClosing() {
	select {
	case <-e.closeToken:
	default:
		return // done already, or under way in another goroutine
	}
	e.drainLock <- struct{}{}
	for i := range e.stripes {
		s := &e.stripes[i]
		s.lock <- struct{}{}
		s.closing = true
		if s.live > 0 {
			e.pending++
		}
		<-s.lock
	}
	if e.pending == 0 {
		close(e.idle)
	}
	<-e.drainLock
}

// stripeDrained is called, with no lock held, by the task whose completion
// left its closing stripe with no live task.
func (e *Executor) stripeDrained() {
	e.drainLock <- struct{}{}
	e.pending--
	if e.pending == 0 {
		close(e.idle)
	}
	<-e.drainLock
}

func (e *Executor) stopWorkers() {
	select {
	case <-e.stopToken:
		close(e.stop)
		for range e.workers {
			<-e.exited
		}
		close(e.stopped)
	default:
		<-e.stopped
	}
}
