package async

import "context"

// A currentThread is the state of an executor made with Workers:
// NoWorkers, which has no workers of its own: tokio's current_thread
// runtime. Its tasks are polled by whoever drives it, on that goroutine:
//
//   - a reactor, in each of its turns, after it has woken the tasks whose
//     descriptors or timers are ready (Reactor.Drive, then RunQueued in
//     each turn); a push from another goroutine kicks the reactor awake;
//   - or the goroutine in RunOn, between two polls of the future it waits
//     for (blockOn); a push from another goroutine leaves a token
//     (queuedSignal) that RunOn sleeps on when nothing is queued.
//
// Helpers, the goroutines of Config.Helpers, join in when a reactor's turn
// leaves more than a few tasks queued: the reactor hands one a token
// (askHelp), and it polls until the queue is empty, then waits for the next
// token (worker.go).
type currentThread struct {
	driver    *worker       // the driving goroutine polls as this worker
	reactor   *Reactor      // the reactor that drives the executor; nil: RunOn does
	helpAsked chan struct{} // a token wakes a helper
	helpers   int
	// A token is left at each push, for RunOn to wait on when the queue is
	// empty (a push from another goroutine, or f's wake).
	queuedSignal signal
}

func newCurrentThread(e *Executor, helpers int) *currentThread {
	return &currentThread{
		driver:       newWorker(e),
		helpAsked:    make(chan struct{}, 1),
		helpers:      helpers,
		queuedSignal: make(signal, 1),
	}
}

// RunQueued polls the queued tasks on the calling goroutine, at most max of
// them, and reports whether it stopped at max (there may be more). Only a
// current-thread executor (Workers: NoWorkers) has it, and only one
// goroutine at a time may call it: the driver's. It panics on an executor
// with workers.
func (e *Executor) RunQueued(max int) (more bool) {
	return e.currentThread("RunQueued").driver.runQueued(max) == max
}

// RunOn polls f and e's tasks on the calling goroutine until f is ready,
// and returns f's result: tokio's block_on on a current_thread runtime,
// where the thread that waits for f runs every task meanwhile. Between
// bursts of polls RunOn polls f again if it was woken; when nothing is
// queued it sleeps until a task is queued or f is woken. A task spawned or
// woken from another goroutine meanwhile is run too. If ctx ends first it
// returns ctx.Err(), and f is dropped as BlockOn drops it.
//
// e must be a current-thread executor (Workers: NoWorkers) that no reactor
// drives: its tasks run only while RunOn does. RunOn panics otherwise, as
// it is a mistake of the program, not a condition to handle.
func RunOn[T any](ctx context.Context, e *Executor, f Future[T]) (v T, err error) {
	c := e.currentThread("RunOn")
	if c.reactor != nil {
		panic("async: RunOn on an executor that a reactor drives")
	}
	return blockOn(ctx, f, e)
}

// blockOn is BlockOn, and with e (made with NoWorkers) RunOn: between two
// polls of f it polls e's queued tasks, and when none is queued it sleeps
// until one is, or f is woken.
func blockOn[T any](ctx context.Context, f Future[T], e *Executor) (v T, err error) {
	wake := make(signal, 1)
	cx := &Context{waker: Waker{w: wake}}
	ready := false
	defer func() {
		if d, ok := f.(Dropper); ok && !ready {
			d.Drop()
		}
	}()
	var queued signal // nil without e: never ready
	if e != nil {
		queued = e.current.queuedSignal
	}
	woken := true
	for {
		if woken {
			cx.budget = Budget
			if v, ready = f.Poll(cx); ready {
				return v, nil
			}
		}
		if e != nil {
			polled := e.current.driver.runQueued(driveBudget)
			if polled > 0 && len(wake) > 0 {
				// f was woken, most likely by a task just polled (one
				// it joins completed, say): poll it again and leave
				// its token where it is, so that the wakes that come
				// while it stays there cost no channel operation. A
				// token left from before costs f one spurious poll.
				woken = true
				continue
			}
			select {
			case <-wake:
				woken = true
				continue
			default:
				woken = false
			}
			if polled == driveBudget {
				continue // more may be queued
			}
		}
		select {
		case <-queued: // a task was queued: run it
		case <-wake:
			woken = true
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
}

// currentThread returns e's current-thread state, or panics, naming op, if
// e is a worker pool.
func (e *Executor) currentThread(op string) *currentThread {
	e.made()
	if e.current == nil {
		panic("async: " + op + " needs an executor without workers of its own (make it with Workers: NoWorkers)")
	}
	return e.current
}

// drivenBy records that r drives the executor from now on, so that a push
// kicks r's loop awake, and reports false if a reactor drove it already.
// Reactor.Drive calls it before the first Spawn, which orders it before
// every push.
func (c *currentThread) drivenBy(r *Reactor) bool {
	if c.reactor != nil {
		return false
	}
	c.reactor = r
	return true
}

// driveBudget bounds the polls of one turn of a reactor that drives an
// executor, and of one burst of RunOn, so that the descriptors (or the
// future RunOn waits for) are looked at again between bursts.
const driveBudget = 256

// helpThreshold is how many queued tasks make the driving reactor wake a
// helper: fewer are polled by the reactor alone, since waking a goroutine
// that another processor runs costs more than polling a few tasks.
const helpThreshold = 4

// askHelp wakes a helper if more than helpThreshold tasks are queued.
func (c *currentThread) askHelp() {
	if c.helpers > 0 && len(c.driver.e.queue.ch) > helpThreshold {
		select {
		case c.helpAsked <- struct{}{}:
		default: // one is on its way already
		}
	}
}

// queued reports whether a task waits on the run queue or in the overflow
// list. (The driver holds none of its own between two RunQueued.)
func (c *currentThread) queued() bool {
	q := &c.driver.e.queue
	return len(q.ch) > 0 || q.mayOverflow()
}

// unparkDriver makes sure the driver will look at the run queue: it wakes
// the reactor that drives the executor if it sleeps, or leaves a token for
// RunOn. A task was queued, perhaps from outside the driver's goroutine.
func (c *currentThread) unparkDriver() {
	if c.reactor != nil {
		c.reactor.unpark()
		return
	}
	c.queuedSignal.Wake()
}
