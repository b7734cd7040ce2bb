package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/chansync/chansync/csp/async"
	"github.com/chansync/chansync/inbox"
)

// The three styles, in the order the table shows them.
var styles = []string{"goroutine", "statemachine", "callback"}

// keys is how many distinct messages and users the workload spreads its
// operations over; every other user is in the cache.
const keys = 1000

// A workload is n AddToInbox operations over fresh services: operation i
// delivers message i%keys to user i%keys+1, and every inbox has room for
// all the messages it will get, so every operation succeeds.
type workload struct {
	n      int
	svc    *inbox.Services
	emails []string
	ids    []inbox.UserID
}

func newWorkload(n int, latency time.Duration, timers async.Timers) *workload {
	w := &workload{n: n, svc: inbox.NewServices(latency, timers)}
	perUser := n/keys + 1
	for k := range keys {
		email := "msg-" + strconv.Itoa(k)
		id := inbox.UserID(k + 1)
		w.svc.AddMessage(email, "hello from "+email)
		w.svc.AddUser(id, "user-"+strconv.Itoa(k+1), perUser, k%2 == 1)
		w.emails = append(w.emails, email)
		w.ids = append(w.ids, id)
	}
	return w
}

// An env is what a style needs besides the services: nothing for
// goroutines, an executor and a reactor for the state machine, a reactor
// for callbacks.
type env struct {
	exec    *async.Executor
	reactor *async.Reactor
}

func newEnv(style string) (*env, error) {
	if style == "goroutine" {
		return &env{}, nil
	}
	r, err := async.NewReactor()
	if err != nil {
		return nil, err
	}
	rt := &env{reactor: r}
	if style == "statemachine" {
		rt.exec = async.NewExecutor(async.Config{})
	}
	return rt, nil
}

func (rt *env) timers() async.Timers {
	if rt.reactor == nil {
		return nil
	}
	return rt.reactor
}

func (rt *env) close() {
	if rt.exec != nil {
		rt.exec.Close()
	}
	if rt.reactor != nil {
		rt.reactor.Close()
	}
}

// A starter starts operations one at a time and, once all are started,
// waits for them all; wait returns how many failed.
type starter interface {
	start(i int)
	wait(ctx context.Context) (failures int, err error)
}

func (w *workload) starter(style string, rt *env) starter {
	switch style {
	case "goroutine":
		return &goroutineRun{w: w, results: make(chan error, w.n)}
	case "statemachine":
		return &taskRun{w: w, exec: rt.exec, handles: make([]async.JoinHandle[error], w.n)}
	case "callback":
		c := &callbackRun{w: w, results: make(chan error, w.n)}
		c.done = func(err error) { c.results <- err }
		return c
	}
	panic(fmt.Sprintf("unknown style %q", style))
}

// goroutineRun: one goroutine per operation, each sending its result.
type goroutineRun struct {
	w       *workload
	results chan error
}

func (g *goroutineRun) start(i int) {
	w := g.w
	go func() {
		g.results <- inbox.AddToInbox(context.Background(), w.svc, w.emails[i%keys], w.ids[i%keys])
	}()
}

func (g *goroutineRun) wait(ctx context.Context) (int, error) {
	return collect(ctx, g.results, g.w.n)
}

// taskRun: one task per operation on the executor, joined in order by
// async.JoinAll run with BlockOn.
type taskRun struct {
	w       *workload
	exec    *async.Executor
	handles []async.JoinHandle[error]
}

func (t *taskRun) start(i int) {
	w := t.w
	t.handles[i] = async.Spawn[error](t.exec, inbox.NewAddToInbox(w.svc, w.emails[i%keys], w.ids[i%keys]))
}

func (t *taskRun) wait(ctx context.Context) (int, error) {
	failures := 0
	_, err := async.BlockOn[struct{}](ctx, &async.JoinAll[error]{
		Handles: t.handles,
		Each: func(_ int, opErr, joinErr error) {
			if opErr != nil || joinErr != nil {
				failures++
			}
		},
	})
	return failures, err
}

// callbackRun: one callback chain per operation; the last callback sends
// the result.
type callbackRun struct {
	w       *workload
	results chan error
	done    func(error)
}

func (c *callbackRun) start(i int) {
	w := c.w
	inbox.AddToInboxCallback(context.Background(), w.svc, w.emails[i%keys], w.ids[i%keys], c.done)
}

func (c *callbackRun) wait(ctx context.Context) (int, error) {
	return collect(ctx, c.results, c.w.n)
}

func collect(ctx context.Context, results chan error, n int) (int, error) {
	failures := 0
	for range n {
		select {
		case err := <-results:
			if err != nil {
				failures++
			}
		case <-ctx.Done():
			return failures, ctx.Err()
		}
	}
	return failures, nil
}
