// Package async is the tutorial's "how does all this magic work" made
// visible in Go: futures that are polled, wakers that say "poll me again", an
// executor that runs the polls, and a reactor that turns I/O readiness and
// expired timers into wake-ups. It is the runtime under cmd/inbox and under
// the echo server's reactor mode; it teaches how Tokio works and is not a
// general-purpose scheduler. Like package csp it is built from channels
// alone: no sync, no sync/atomic.
//
// Read it top to bottom in this order:
//
//	future.go        Future, Dropper, Context, Waker, BlockOn          std::future::Future, std::task::{Context, Waker}, block_on
//	task.go          a spawned task: Spawn, its poll, its drop         tokio::spawn, the task Cell and Harness
//	state.go         a task's states, its transitions, their outcomes  tokio's task state (transition_to_*)
//	joinhandle.go    JoinHandle, what Join waits on, JoinAll           tokio::task::JoinHandle, join_all
//	executor.go      the Executor, its two forms, its task locks       tokio's runtime::Builder
//	runqueue.go      the run queue and its overflow list               tokio's injection queue
//	worker.go        the worker and its loops (pool, helpers)          tokio's multi-threaded scheduler
//	current.go       no workers: RunQueued, RunOn and its loop         tokio's current_thread scheduler, block_on
//	shutdown.go      Shutdown, Close, DropOnClose's list and drops     Runtime::shutdown_timeout, OwnedTasks
//	record.go        task records: Tasks, Events, SpawnNamed           tokio-console's task view (console-subscriber)
//	lint.go          the lints that read them, the task list as text   tokio-console's lints
//	trace.go         tasks and polls in a runtime/trace trace          tokio's tracing spans of tasks and polls
//	timer.go         Timer, Timers, Sleep                              tokio::time::{sleep, Sleep}
//	timerqueue.go    the locked timer heap both clocks share           tokio's timer wheel
//	clock.go         ManualClock, the clock of tests                   tokio::time::pause, advance
//	reactor.go       the Reactor: its loop, its turns, Drive, Close    tokio's I/O and time drivers
//	reactor_io.go    Register, Deregister, PeerClosed, readiness       tokio's Registration, ScheduledIo
//	reactor_time.go  the Reactor's Timers: ResetTimer, Sleep           tokio's time driver handle
//	poller_linux.go  epoll, the eventfd, the park in the netpoller     mio's Poll and Waker
//	poller_other.go  elsewhere: a poller that says it needs Linux
//
// and then the synchronization that tasks wait on, the counterparts of
// package csp's for futures:
//
//	waitlist.go      Waiter, a task's place in a queue                 tokio's intrusive waiter list
//	semaphore.go     Semaphore, Acquire                                tokio::sync::Semaphore
//	barrier.go       Barrier, BarrierWait                              tokio::sync::Barrier
//
// # The picture
//
//	Spawn(f) ──► run queue ──► worker: f.Poll(cx) ──► Ready(v): JoinHandle gets v
//	                ▲                   │
//	                │                   └──► Pending: f gave cx.Waker() to whoever
//	                │                        will know when it can progress
//	                │                                │
//	        Waker.Wake() ◄── reactor goroutine ◄─────┘
//	                         epoll: a socket is ready, a timer expired
//
// A Future is a value with a Poll method. Poll does as much work as it can
// without blocking and returns either Ready with a result or Pending. Before
// it returns Pending it hands the Waker it finds in its Context to the
// thing it waits for (a timer, a socket, another task), and that thing calls
// Wake when the future can make progress. Nothing runs a future but Poll: a
// future nobody polls does nothing at all, which is Rust's "futures are
// lazy". In Go, a goroutine is the opposite: go f() starts f at once and f
// blocks where it likes, its whole stack kept while it waits. A future keeps
// only its own fields while it waits (a state machine: see package
// github.com/chansync/chansync/inbox for the tutorial's AddToInbox written
// as a goroutine, as a state machine and as callbacks).
//
// The Executor owns the run queue (a buffered channel, plus an overflow
// list for when it is full) and the worker goroutines that take tasks from
// it and poll them. Spawn wraps a future in a task and queues it: spawn is
// eager, the future itself stays lazy until a worker polls it. Wake puts a
// task back on the queue; a task is queued at most once however many wakes
// arrive, is never polled after it completed, and a wake that arrives while
// it is being polled makes the worker poll it once more. With
// Config.DropOnClose, Close drops every task it abandons, as tokio drops
// every task when its runtime shuts down, so that what the task held (a
// timer, a registration, a place in a wait list) is given back.
//
// The Reactor is one goroutine that owns an epoll instance and a heap of
// timers. It sleeps until a registered file descriptor is ready or the
// earliest timer is due (parked in Go's netpoller, which watches the epoll
// instance itself), then wakes the tasks that wait for them. Why separate
// the executor from the reactor? The executor decides who runs; the reactor
// knows what is ready. Keeping them apart lets any number of workers poll
// while one goroutine waits for the whole program's I/O and time in a
// single system call, and lets a future wait for anything (a timer, a
// socket, another task) through the same small Waker.
//
// Separate pieces need not mean separate goroutines. An executor made with
// Workers: NoWorkers has no workers of its own: Reactor.Drive hands it to
// the reactor's goroutine, which polls the tasks it has just woken before
// it sleeps again, as tokio's current_thread runtime does with one thread
// (optional helper goroutines join in when a turn wakes many). A task woken
// by readiness then runs on the goroutine that learnt of it, with no
// hand-off to another goroutine, which on a busy socket is most of the
// cost of a wake-up (see the echo server's reactor mode).
//
// # Rust to Go
//
//	Rust                                   Go (this package)
//	impl Future for F { fn poll(..) }      func (f *F) Poll(cx *Context) (T, bool)
//	Poll::Ready(v) / Poll::Pending         return v, true / return zero, false
//	cx.waker().clone()                     cx.Waker() (a small value, copy it freely)
//	waker.wake()                           w.Wake()
//	tokio::spawn(f)                        Spawn[T](e, f)
//	handle.await                           h.Join(ctx), or h.PollJoin(cx) from a task
//	handle.abort()                         h.Abort()
//	sem.acquire().await                    s.Acquire() polled in a future (s.PollAcquire by hand)
//	barrier.wait().await                   b.Wait() polled in a future (b.PollWait by hand)
//	impl Drop for F                        func (f *F) Drop() (the Dropper interface)
//	Runtime::block_on(f)                   BlockOn(ctx, f)
//	tokio::time::sleep(d)                  r.Sleep(d), r.Deadline(t)
//	Pin<&mut Sleep>                        a Sleep or Timer must not be copied once polled
//	the I/O driver (mio, epoll)            Reactor.Register / Deregister
//	Builder::new_current_thread()          NewExecutor(Config{Workers: NoWorkers}) + r.Drive(e)
//	rt.block_on(f) on that runtime         RunOn(ctx, e, f)
//	coop::poll_proceed(cx) (the budget)    cx.Proceed()
//
// Go's own answer to the same problem is the goroutine and the runtime's
// netpoller: every blocking call in Go is, underneath, a park of the
// goroutine and a wake from the netpoller or a timer. This package makes the
// pieces explicit so they can be read, traced and measured.
package async
