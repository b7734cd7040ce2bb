// Package csp provides synchronization primitives built from channels alone.
//
// Every wait, hand-off and broadcast in this package is a channel operation;
// the package imports neither sync nor sync/atomic. Three idioms carry all of
// it:
//
//   - A buffered channel of tokens is a semaphore: it starts with one token
//     per permit, a receive takes a permit, a send gives it back, and
//     receivers blocked on the empty channel are served in arrival order.
//   - A channel with a buffer of one is a lock. Whoever managed to put a value
//     in it holds the lock; taking the value out releases it. Go's runtime
//     queues blocked senders in arrival order and hands the free slot straight
//     to the oldest one, so such a lock is fair and cannot be barged.
//   - Closing a channel is a broadcast that every present and future receiver
//     sees. A Barrier closes one channel per generation; Broadcast and Watch
//     close one per value sent while somebody waits.
//
// Where waiters must be served in an order of the primitive's own (the
// readers and writers of an RWMutex, the turns of a OnceCell), the state
// behind the lock keeps a queue of waiters, each parked on a channel of its
// own that is closed when it is served; a waiter whose context ends takes
// itself out of the queue under the lock.
//
// Anything that may block takes a context.Context first and returns ctx.Err()
// when it ends, leaving the primitive exactly as if the call had never been
// made: no permit lost, no arrival half counted. A call whose context is
// already done when it is made returns ctx.Err() at once and takes nothing,
// even from a primitive that is free, as golang.org/x/sync/semaphore does;
// the one exception is OnceCell.GetOrInit on a cell that is set, which
// returns the value. Because nothing in here
// blocks an OS thread, a Mutex or a permit may be held across any other
// blocking call (channel waits, I/O, another Lock), which is what
// tokio::sync's primitives give an async Rust program.
//
// Every type is made by its constructor (NewMutex, NewGroup, ...), and a
// zero value panics at its first method call with a message that names the
// constructor. Go's sync.Mutex and errgroup.Group work as zero values because
// their state is plain memory; here the state is a channel, and a channel
// made on first use would have to be published to the other goroutines
// without a data race, which takes sync/atomic.
//
// The tutorial's primitives, and the rest of tokio::sync, map as follows:
//
//	tokio::sync::Semaphore::new(n)  →  NewSemaphore(n)
//	tokio::sync::Barrier::new(n)    →  NewBarrier(n)
//	tokio::sync::Mutex::new(x)      →  Mutex (guarding x by convention)
//	futures::future::join_all       →  Group.Go ... Group.Wait
//	tokio::sync::Notify::new()      →  NewNotify()
//	tokio::sync::RwLock::new(x)     →  RWMutex (guarding x by convention)
//	tokio::sync::OnceCell::new()    →  NewOnceCell[T]()
//	tokio::sync::broadcast::channel →  NewBroadcast[T](capacity), Subscribe
//	tokio::sync::watch::channel(x)  →  NewWatch(x), Subscribe
//	tokio::sync::oneshot::channel   →  make(chan T, 1)
//	tokio::sync::mpsc::channel(n)   →  make(chan T, n)
//
// Oneshot and mpsc need no type here: they are Go's own channels. A channel
// with a buffer of one is a oneshot whose sender never blocks, and a
// buffered channel that several goroutines send on is an mpsc, with the
// buffer as its bound. The one difference that matters is how the receiver
// learns that no value will come: in tokio, when every sender has been
// dropped; in Go, when the channel is closed, which someone must do
// explicitly (the last sender, or whoever waits for the senders), and a
// receive then returns at once with ok false. A receiver that may give up
// selects on ctx.Done() next to the receive, as everything in this package
// does.
//
// # Reading order
//
// doc.go is this comment and ErrClosed. Each other file holds one
// primitive, its test beside it; the tutorial's come first:
//
//   - semaphore.go: Semaphore, a buffered channel of tokens and a gate for
//     AcquireN;
//   - barrier.go: Barrier, a count behind a one-slot lock and a channel
//     closed per generation;
//   - mutex.go: Mutex, one channel with one slot;
//   - group.go: Group, join_all with a limit (a Semaphore); panic.go:
//     PanicError, the panic it carries to Wait.
//
// Then the rest of tokio::sync:
//
//   - notify.go: Notify, one channel with a buffer of one;
//   - waitqueue.go: the queue of parked waiters that RWMutex and OnceCell
//     keep behind their lock, each waiter on a channel of its own;
//   - rwmutex.go: RWMutex; oncecell.go: OnceCell;
//   - broadcast.go: Broadcast and Subscription, a ring behind a lock;
//   - watch.go: Watch and Watcher, snapshots each with a channel closed
//     when it is replaced.
//
// example_test.go runs an example of each; the other test files test them
// with testing/synctest, stress them under -race and check them for
// linearizability; bench_test.go and family_bench_test.go measure each
// beside its conventional counterpart.
package csp

import "errors"

// ErrClosed is returned by operations on a primitive that has been closed.
var ErrClosed = errors.New("csp: closed")
