// Package csp provides synchronization primitives built from channels alone.
//
// Every wait, hand-off and broadcast in this package is a channel operation;
// the package imports neither sync nor sync/atomic. Three idioms carry all of
// it:
//
//   - A buffered channel of tokens is a semaphore: a send takes a permit, a
//     receive gives one back, and the channel's capacity is the limit.
//   - A channel with a buffer of one is a lock. Whoever managed to put a value
//     in it holds the lock; taking the value out releases it. Go's runtime
//     queues blocked senders in arrival order and hands the free slot straight
//     to the oldest one, so such a lock is fair and cannot be barged.
//   - Closing a channel is a broadcast that every present and future receiver
//     sees. A Barrier closes one channel per generation.
//
// Anything that may block takes a context.Context first and returns ctx.Err()
// when it ends, leaving the primitive exactly as if the call had never been
// made: no permit lost, no arrival half counted. Because nothing in here
// blocks an OS thread, a Mutex or a permit may be held across any other
// blocking call (channel waits, I/O, another Lock), which is what
// tokio::sync's primitives give an async Rust program.
//
// The tutorial's primitives map as follows:
//
//	tokio::sync::Semaphore::new(n)  →  NewSemaphore(n)
//	tokio::sync::Barrier::new(n)    →  NewBarrier(n)
//	tokio::sync::Mutex::new(x)      →  Mutex (guarding x by convention)
//	futures::future::join_all       →  Group.Go ... Group.Wait
package csp

import "errors"

// ErrClosed is returned by operations on a primitive that has been closed.
var ErrClosed = errors.New("csp: closed")
