package inbox

import (
	"context"

	"github.com/chansync/chansync/csp/async"
)

// AddToInboxCallback is AddToInbox in continuation-passing style, as event
// loops in the style of Node.js or libuv write it: each step takes the rest
// of the operation as a closure, and the reactor calls that closure when
// the step's request completes. It returns at once; done is called exactly
// once, with the result, on the goroutine that fires the timers (the
// reactor's), or with ctx.Err() if ctx ends first.
//
// Every step allocates: the closure that continues after it, which
// captures what the following steps need, and the closure the service
// keeps until its request completes. That is the "n allocations per
// callback" that a state machine, one allocation for the whole operation,
// avoids. The operation's timer lives in one small record allocated at the
// start, which is also what cancellation needs to find.
func AddToInboxCallback(ctx context.Context, svc *Services, email string, id UserID, done func(error)) {
	op := &callbackOp{svc: svc, ctx: ctx, done: done}
	if ctx.Done() != nil {
		op.stop = context.AfterFunc(ctx, op.cancel)
	}
	op.loadMessage(email, func(msg *Message, err error) {
		if err != nil {
			op.finish(err)
			return
		}
		op.getUser(id, func(user *User, err error) {
			if err != nil {
				op.finish(err)
				return
			}
			if err := user.VerifyHasSpace(msg); err != nil {
				op.finish(err)
				return
			}
			op.addToInbox(user, msg, op.finish)
		})
	})
}

// callbackOp is one callback-style operation: its single request timer,
// the continuation to call when the timer fires, and how to finish.
type callbackOp struct {
	svc   *Services
	ctx   context.Context
	done  func(error)
	stop  func() bool // unregisters the context's AfterFunc
	timer async.Timer
	then  func() // the continuation of the request in flight
}

// Wake is called by the reactor when the request's timer fires: it runs
// the continuation.
func (op *callbackOp) Wake() {
	op.then()
}

// send starts a request whose completion runs then. If ctx has ended, it
// finishes the operation instead.
func (op *callbackOp) send(name string, then func()) {
	if err := op.ctx.Err(); err != nil {
		op.finish(err)
		return
	}
	op.svc.trace(Event{Kind: Sent, Name: name})
	op.then = then
	s := op.svc
	s.Timers.ResetTimer(&op.timer, s.Timers.Now().Add(s.Latency), async.NewWaker(op))
	if op.ctx.Err() != nil {
		// ctx ended while the timer was being armed: the AfterFunc may have
		// looked for a pending timer too early to find this one.
		op.cancel()
	}
}

// cancel runs when ctx ends (and from send, see there). Whoever takes the
// pending timer off the heap finishes the operation: StopTimer reports
// true to one caller only, and then no continuation runs. If the timer
// already fired, a continuation is running or about to, and its next send
// sees ctx's error.
func (op *callbackOp) cancel() {
	if op.svc.Timers.StopTimer(&op.timer) {
		op.finish(op.ctx.Err())
	}
}

func (op *callbackOp) finish(err error) {
	if op.stop != nil {
		op.stop()
	}
	op.done(err)
}

// loadMessage is load_message(email) with a callback.
func (op *callbackOp) loadMessage(email string, then func(*Message, error)) {
	op.send("load_message", func() { then(op.svc.message(email)) })
}

// getUser is get_user(id) with a callback; a cache hit calls it at once.
func (op *callbackOp) getUser(id UserID, then func(*User, error)) {
	if u, ok := op.svc.cached(id); ok {
		then(u, nil)
		return
	}
	op.send("get_user", func() { then(op.svc.user(id)) })
}

// addToInbox is user.add_to_inbox(msg) with a callback.
func (op *callbackOp) addToInbox(user *User, msg *Message, then func(error)) {
	op.send("add_to_inbox", func() { then(user.store(msg)) })
}
