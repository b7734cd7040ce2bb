package inbox

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chansync/chansync/csp/async"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const latency = 10 * time.Millisecond

// env is what one run of a style needs.
type env struct {
	svc  *Services
	exec *async.Executor // for the state machine
}

// A style is one way of running AddToInbox to completion.
type style struct {
	name string
	run  func(ctx context.Context, env *env, email string, id UserID) error
}

var allStyles = []style{
	{"goroutine", func(ctx context.Context, env *env, email string, id UserID) error {
		return AddToInbox(ctx, env.svc, email, id)
	}},
	{"statemachine", func(ctx context.Context, env *env, email string, id UserID) error {
		h := async.Spawn[error](env.exec, NewAddToInbox(env.svc, email, id))
		err, joinErr := h.Join(ctx)
		if joinErr == nil {
			return err
		}
		if ctx.Err() == nil {
			return joinErr
		}
		// Cancelling a task is dropping it: Abort, then wait until it is
		// dropped (or finished first).
		h.Abort()
		if _, err := h.Join(context.Background()); err != nil && !errors.Is(err, async.ErrAborted) {
			return err
		}
		return ctx.Err()
	}},
	{"callback", func(ctx context.Context, env *env, email string, id UserID) error {
		done := make(chan error, 1)
		AddToInboxCallback(ctx, env.svc, email, id, func(err error) { done <- err })
		return <-done
	}},
}

// newServices returns services with two messages and four users: 1 cached
// with room, 2 not cached with room, 3 not cached with a full inbox, 4
// cached with a full inbox.
func newServices(timers async.Timers) *Services {
	s := NewServices(latency, timers)
	s.AddMessage("msg-1", "hello")
	s.AddMessage("msg-2", "hello again")
	s.AddUser(1, "ada", 5, true)
	s.AddUser(2, "bob", 5, false)
	s.AddUser(3, "cyd", 0, false)
	s.AddUser(4, "dee", 0, true)
	return s
}

// A testCase is one row of the table every style must pass.
type testCase struct {
	name     string
	email    string
	id       UserID
	cancelAt string   // cancel the context when this request is sent
	wantErr  error    // errors.Is
	requests []string // requests sent, in order
	stored   bool     // the message ends in the user's inbox
}

var cases = []testCase{
	{name: "success, cache miss", email: "msg-1", id: 2,
		requests: []string{"load_message", "get_user", "add_to_inbox"}, stored: true},
	{name: "cache hit", email: "msg-2", id: 1,
		requests: []string{"load_message", "add_to_inbox"}, stored: true},
	{name: "cache miss", email: "msg-2", id: 2,
		requests: []string{"load_message", "get_user", "add_to_inbox"}, stored: true},
	{name: "message missing", email: "nope", id: 1, wantErr: ErrMessageNotFound,
		requests: []string{"load_message"}},
	{name: "user missing", email: "msg-1", id: 99, wantErr: ErrUserNotFound,
		requests: []string{"load_message", "get_user"}},
	{name: "inbox full, cache miss", email: "msg-1", id: 3, wantErr: ErrInboxFull,
		requests: []string{"load_message", "get_user"}},
	{name: "inbox full, cache hit", email: "msg-1", id: 4, wantErr: ErrInboxFull,
		requests: []string{"load_message"}},
	{name: "cancelled while getting the user", email: "msg-1", id: 2, cancelAt: "get_user",
		wantErr: context.Canceled, requests: []string{"load_message", "get_user"}},
	{name: "cancelled while adding to the inbox", email: "msg-1", id: 1, cancelAt: "add_to_inbox",
		wantErr: context.Canceled, requests: []string{"load_message", "add_to_inbox"}},
}

// outcome is what one run produced.
type outcome struct {
	err      error
	requests []string
	elapsed  time.Duration // on the clock the requests wait on
	pending  int           // timers still armed afterwards
	inbox    int
}

func (c testCase) check(t *testing.T, o outcome) {
	t.Helper()
	if c.wantErr == nil && o.err != nil || c.wantErr != nil && !errors.Is(o.err, c.wantErr) {
		t.Errorf("error = %v, want %v", o.err, c.wantErr)
	}
	if !slices.Equal(o.requests, c.requests) {
		t.Errorf("requests %v, want %v", o.requests, c.requests)
	}
	if want := map[bool]int{true: 1, false: 0}[c.stored]; o.inbox != want {
		t.Errorf("%d messages in the inbox, want %d", o.inbox, want)
	}
	if o.pending != 0 {
		t.Errorf("%d timers left armed: a registration was left behind", o.pending)
	}
	// A cancelled operation returns at once: the request it was waiting
	// for never completes.
	if max := time.Duration(len(c.requests)) * latency; c.cancelAt != "" && o.elapsed >= max || o.elapsed > max {
		t.Errorf("took %v on the clock for %d requests", o.elapsed, len(c.requests))
	}
}

// traceRequests records the requests sent and cancels at cancelAt.
func traceRequests(svc *Services, cancelAt string, cancel func()) *[]string {
	lock := make(chan struct{}, 1)
	var sent []string
	svc.Trace = func(e Event) {
		if e.Kind != Sent {
			return
		}
		lock <- struct{}{}
		sent = append(sent, e.Name)
		<-lock
		if e.Name == cancelAt {
			cancel()
		}
	}
	return &sent
}

// TestAddToInbox runs every case with every style, deterministically: in a
// synctest bubble, the goroutine version on the bubble's Go timers, the
// state machine and the callbacks on a ManualClock that the test moves to
// the next deadline whenever everything else is blocked.
func TestAddToInbox(t *testing.T) {
	for _, st := range allStyles {
		for _, c := range cases {
			t.Run(st.name+"/"+c.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					start := time.Now()
					clock := async.NewManualClock(start)
					env := &env{svc: newServices(clock), exec: async.NewExecutor(async.Config{Workers: 2})}
					defer env.exec.Close()
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					sent := traceRequests(env.svc, c.cancelAt, cancel)
					errc := make(chan error, 1)
					go func() { errc <- st.run(ctx, env, c.email, c.id) }()
					var err error
				drive:
					for {
						synctest.Wait()
						select {
						case err = <-errc:
							break drive
						default:
						}
						if !clock.AdvanceToNext() {
							err = <-errc // Go timers: the bubble's clock moves while we wait
							break
						}
					}
					synctest.Wait()
					elapsed := clock.Now().Sub(start)
					if st.name == "goroutine" {
						elapsed = time.Since(start)
					}
					c.check(t, outcome{err: err, requests: *sent, elapsed: elapsed,
						pending: clock.PendingTimers(), inbox: len(env.svc.users[c.id].inboxOrEmpty())})
				})
			})
		}
	}
}

// newRuntime returns a reactor and an executor, closed at the end of the
// test, or skips the test where there is no reactor.
func newRuntime(t *testing.T) (*async.Reactor, *async.Executor) {
	t.Helper()
	r, err := async.NewReactor()
	if runtime.GOOS != "linux" {
		t.Skipf("the reactor needs Linux: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	exec := async.NewExecutor(async.Config{})
	t.Cleanup(func() {
		exec.Close()
		r.Close()
	})
	return r, exec
}

// inboxOrEmpty lets the table look at a user that does not exist.
func (u *User) inboxOrEmpty() []*Message {
	if u == nil {
		return nil
	}
	return u.Inbox()
}

// TestAddToInboxOnReactor runs the same table on the real reactor and real
// time, the state machine on an executor. What is checked does not depend
// on timing, except the clock, which is not checked here.
func TestAddToInboxOnReactor(t *testing.T) {
	r, exec := newRuntime(t)
	for _, st := range allStyles {
		for _, c := range cases {
			t.Run(st.name+"/"+c.name, func(t *testing.T) {
				env := &env{svc: newServices(r), exec: exec}
				env.svc.Latency = time.Millisecond
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				sent := traceRequests(env.svc, c.cancelAt, cancel)
				err := st.run(ctx, env, c.email, c.id)
				c.check(t, outcome{err: err, requests: *sent, pending: r.PendingTimers(),
					inbox: len(env.svc.users[c.id].inboxOrEmpty())})
			})
		}
	}
}

// TestLifecycle follows one AddToInboxFuture through the executor and a
// fake reactor (a ManualClock) step by step: what the task does in each
// poll, and that nothing happens between a Pending and the wake.
func TestLifecycle(t *testing.T) {
	for _, c := range []struct {
		name  string
		email string
		id    UserID
		want  []string
	}{
		{"cache hit, success", "msg-1", 1, []string{
			"spawn",
			"poll", "New → LoadingMsg", "sent load_message", "Pending",
			"clock: advance 10ms",
			"poll", "LoadingMsg → GettingUser", "cache hit get_user", "GettingUser → AddingInbox", "sent add_to_inbox", "Pending",
			"clock: advance 10ms",
			"poll", "AddingInbox → Done", "Ready(<nil>)",
		}},
		{"cache miss, inbox full", "msg-1", 3, []string{
			"spawn",
			"poll", "New → LoadingMsg", "sent load_message", "Pending",
			"clock: advance 10ms",
			"poll", "LoadingMsg → GettingUser", "sent get_user", "Pending",
			"clock: advance 10ms",
			"poll", "GettingUser → Done", "Ready(inbox: inbox full: user 3)",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				clock := async.NewManualClock(start)
				svc := newServices(clock)
				exec := async.NewExecutor(async.Config{Workers: 1})
				defer exec.Close()
				var got []string
				svc.Trace = func(e Event) {
					switch e.Kind {
					case Sent:
						got = append(got, "sent "+e.Name)
					case CacheHit:
						got = append(got, "cache hit "+e.Name)
					case Transition:
						got = append(got, e.From.String()+" → "+e.To.String())
					}
				}
				got = append(got, "spawn")
				h := async.Spawn[error](exec, logged{NewAddToInbox(svc, c.email, c.id), &got})
				for {
					synctest.Wait() // the task has returned Pending, or Ready
					next, ok := clock.Next()
					if !ok {
						break
					}
					got = append(got, fmt.Sprintf("clock: advance %v", next.Sub(clock.Now())))
					clock.AdvanceToNext()
				}
				h.Join(context.Background())
				if !slices.Equal(got, c.want) {
					t.Errorf("lifecycle:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
				}
			})
		})
	}
}

// logged wraps the future and records each poll and its result.
type logged struct {
	f   AddToInboxFuture
	log *[]string
}

func (l *logged) Poll(cx *async.Context) (error, bool) {
	*l.log = append(*l.log, "poll")
	err, ready := l.f.Poll(cx)
	if ready {
		*l.log = append(*l.log, fmt.Sprintf("Ready(%v)", err))
	} else {
		*l.log = append(*l.log, "Pending")
	}
	return err, ready
}

func TestPollAfterDonePanics(t *testing.T) {
	svc := newServices(async.NewManualClock(time.Unix(0, 0)))
	f := NewAddToInbox(svc, "nope", 1)
	f.Drop()
	defer func() {
		if recover() == nil {
			t.Fatal("polling a finished AddToInboxFuture did not panic")
		}
	}()
	f.Poll(async.NewContext(async.Waker{}))
}
