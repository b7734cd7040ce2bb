package async

import "runtime"

// An Executor runs tasks: it is the tutorial's executor (also called the
// runtime, the scheduler, the event loop), tokio's scheduler in miniature.
// It comes in two forms, chosen by Config.Workers:
//
//   - a worker pool (worker.go): worker goroutines take tasks from the run
//     queue and poll them, tokio's multi-threaded runtime;
//   - a current-thread executor (current.go), with Workers: NoWorkers: no
//     worker of its own; whoever drives it polls the queued tasks, either
//     a reactor in each of its turns (Reactor.Drive) or the goroutine that
//     blocks on a future (RunOn), tokio's current_thread runtime.
//
// Both share the run queue (runqueue.go), a buffered channel with an
// overflow list behind it so that a wake never blocks, the workers' loops
// (worker.go), and the task locks and the shutdown (shutdown.go). A task's
// life, from Spawn to its last poll, is in task.go, and the transitions of
// its scheduling state, each with the invariant it keeps, in state.go.
//
// A task's scheduling state needs mutual exclusion, and without atomics
// that is a lock channel. One channel per task would cost an allocation
// and about 100 bytes, so tasks share 256 lock channels instead (striped
// locks), each task given the one its address picks (stripeOf). Each
// stripe also counts its live tasks, which is how Shutdown knows when all
// are done, and lists those that may be idle, which is how Close finds
// them to drop them.
//
// No lock is held while a task is pushed, polled, dropped or woken, or
// while a joiner is told: each of those may take a stripe lock of its own,
// perhaps the same one. Locks nest in one place only, Shutdown's look at
// every stripe under drainLock, and nobody takes drainLock while holding a
// stripe.
//
// The zero value is not usable: every method, and Spawn, panic on it. Make
// an Executor with NewExecutor.
type Executor struct {
	queue   runQueue
	stripes [stripes]stripe
	pool    *workerPool    // the worker pool; nil for a current-thread executor
	current *currentThread // the current-thread executor's state; nil with a pool

	stopping // shutdown.go

	joinSlots joinSlots // free list of what goroutines in Join wait on (joinhandle.go)

	rec recorder // the tasks' records, when asked for (record.go)

	dropOnClose bool // Config.DropOnClose: the stripes keep pended lists, and Close drops what it abandons (shutdown.go)
}

const stripes = 256

// stripeOf is the stripe of the task at address p: the address divided by
// 1 KiB, modulo 256. Tasks spawned one after another by one goroutine are
// allocated side by side, so runs of them (16 tasks of 64 bytes) share a
// stripe, while tasks spawned elsewhere, or later, spread over all 256.
// Each lock round trip on a stripe's channel then finds its cache line
// where the last one left it far more often than with a stripe drawn at
// random: a goroutine spawning many tasks takes the same lock again and
// again, and a worker completing them in order does the same on its own
// processor. The address is only hashed, never turned back into a pointer.
func (e *Executor) stripeOf(p uintptr) *stripe {
	return &e.stripes[uint8(p>>10)]
}

// A stripe is one of the executor's task locks, padded to its own cache
// line so that two goroutines locking neighbouring stripes do not share
// one.
type stripe struct {
	lock      chan struct{}
	exec      *Executor  // the executor whose stripe this is
	live      int        // tasks hashed here that have not completed
	pended    pendedList // those of them that may be idle (shutdown.go)
	closing   bool       // Shutdown or Close began: Spawn refuses new tasks
	abandoned bool       // Close gave up on them: none becomes idle again
	_         [64 - 34]byte
}

func (s *stripe) acquire() { s.lock <- struct{}{} }
func (s *stripe) release() { <-s.lock }

// Config sets up an Executor.
type Config struct {
	// Workers is the number of worker goroutines; 0 means
	// runtime.GOMAXPROCS(0), one per processor. NoWorkers makes a
	// current-thread executor.
	Workers int
	// Helpers, with Workers: NoWorkers, is the number of goroutines that
	// help the reactor poll when a turn wakes more tasks than it polls
	// quickly alone. It must be 0 for a worker pool.
	Helpers int
	// Queue is the capacity of the run-queue channel; 0 means 1024. Tasks
	// beyond it wait in the overflow list, so it bounds no count of tasks.
	Queue int
	// Record keeps a record of every task, for Executor.Tasks and
	// Executor.Lints (record.go): its polls, wakes, busy and idle time.
	// It costs each poll two clock readings and two lock round trips,
	// each wake one of each; off, the executor records nothing.
	Record bool
	// Events, with Record, keeps the first Events polls and wakes of the
	// tasks for Executor.Events: the timeline of a run.
	Events int
	// DropOnClose makes Close, and a Shutdown that gives up, drop every
	// task they abandon, as tokio drops the tasks of a runtime that shuts
	// down: each Drop runs once, and gives back the timers, registrations
	// and places in wait lists the task held. It costs each task that
	// waits a place on a list, kept from its first Pending to its
	// completion: an allocation, and two list operations that touch other
	// tasks' memory (docs/4-async.md gives the figures). Without it Close
	// abandons them undropped, and their Join reports ErrClosed all the
	// same.
	DropOnClose bool
}

// NoWorkers, as Config.Workers, makes an executor without worker
// goroutines, whose tasks are polled by whoever drives it: the reactor's
// goroutine (Reactor.Drive) or the goroutine in RunOn. tokio's
// current_thread runtime, where one thread waits for I/O and polls every
// task. Until something drives it, its tasks wait.
const NoWorkers = -1

const defaultQueue = 1024

// NewExecutor starts an executor's workers (or helpers). Stop it with
// Shutdown or Close. It panics if c asks for helpers beside a worker pool.
func NewExecutor(c Config) *Executor {
	if c.Queue <= 0 {
		c.Queue = defaultQueue
	}
	e := &Executor{queue: newRunQueue(c.Queue), joinSlots: newJoinSlots()}
	for i := range e.stripes {
		e.stripes[i].lock = make(chan struct{}, 1)
		e.stripes[i].exec = e
	}
	goroutines := 0
	switch {
	case c.Workers == NoWorkers:
		e.current = newCurrentThread(e, max(c.Helpers, 0))
		goroutines = e.current.helpers
	case c.Helpers > 0:
		panic("async: Config.Helpers is for an executor with Workers: NoWorkers")
	default:
		if c.Workers <= 0 {
			c.Workers = runtime.GOMAXPROCS(0)
		}
		e.pool = &workerPool{workers: c.Workers}
		goroutines = c.Workers
	}
	e.stopping = newStopping(goroutines)
	e.dropOnClose = c.DropOnClose
	e.rec = newRecorder(c, goroutines == 0)
	if e.current != nil {
		for range e.current.helpers {
			go e.current.help()
		}
	} else {
		for range e.pool.workers {
			go e.work()
		}
	}
	return e
}

// made panics if e is a zero Executor. stop is set by NewExecutor and never
// written again, so reading it races with nothing.
func (e *Executor) made() {
	if e.stop == nil {
		panic("async: Executor used without NewExecutor")
	}
}

// push puts a scheduled task on the run queue and makes sure something
// will take it: a parked worker, the current-thread executor's driver, or,
// once the executor has stopped, Close (which drops it). It never blocks.
func (e *Executor) push(r runnable) {
	e.queue.push(r)
	if e.current != nil {
		e.current.unparkDriver()
	}
}
