package inbox

import (
	"fmt"

	"github.com/chansync/chansync/csp/async"
)

// A State is where AddToInboxFuture stands: the variants of the seed's
// enum, plus Done.
type State uint8

const (
	// New: created, not yet polled. Holds email and id.
	New State = iota
	// LoadingMsg: load_message(email) is in flight. Holds the request and id.
	LoadingMsg
	// GettingUser: the message is loaded; get_user(id) is in flight (or
	// hits the cache). Holds msg and the request.
	GettingUser
	// AddingInbox: add_to_inbox(msg) is in flight. Holds the request.
	AddingInbox
	// Done: Poll returned Ready; the future must not be polled again.
	Done
)

func (s State) String() string {
	switch s {
	case New:
		return "New"
	case LoadingMsg:
		return "LoadingMsg"
	case GettingUser:
		return "GettingUser"
	case AddingInbox:
		return "AddingInbox"
	case Done:
		return "Done"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// AddToInboxFuture is AddToInbox as the Rust compiler builds it: a state
// machine. The seed's desugaring,
//
//	enum AddToInboxState {
//	    New { email, id },
//	    LoadingMsg { msg: LoadMessageFuture, id },
//	    GettingUser { msg: Message, user: GetUserFuture },
//	    AddingInbox { result: AddToInboxFuture },
//	    Done,
//	}
//
// becomes a struct with a state field and the fields the states need. Rust's
// enum stores its variants in the same bytes, so it is as big as its
// largest variant; Go has no unions, so the struct holds the fields of all
// the states side by side (96 bytes here), and the one service request a
// state has in flight (Rust's sub-future) lives in a single Request field
// that each state reuses. Spawned on an async.Executor, it is stored by
// value inside its task: one heap allocation for the whole operation, and
// nothing else kept while it waits.
//
// Poll is one switch on the state, one case per seed state. A case either
// moves to the next state and loops (no await in between: a cache hit goes
// from GettingUser to AddingInbox in the same poll, the tutorial's
// "optimize across functions"), returns Pending when its request is not
// ready (the request's timer holds the task's waker), or returns Ready
// with the result; an error at any step returns Ready with that error, like
// `?`.
type AddToInboxFuture struct {
	svc   *Services
	email string   // New, LoadingMsg
	id    UserID   // New, LoadingMsg, GettingUser
	msg   *Message // GettingUser, AddingInbox
	user  *User    // AddingInbox
	req   Request  // the request in flight: LoadingMsg, GettingUser, AddingInbox
	state State
}

// NewAddToInbox returns the future of AddToInbox(email, id), in state New.
// Nothing happens until it is polled: Rust's futures are lazy, and so is
// this one.
func NewAddToInbox(svc *Services, email string, id UserID) AddToInboxFuture {
	return AddToInboxFuture{svc: svc, email: email, id: id, state: New}
}

// State returns the state the future is in.
func (f *AddToInboxFuture) State() State { return f.state }

// Poll advances the state machine as far as it can without waiting.
func (f *AddToInboxFuture) Poll(cx *async.Context) (error, bool) {
	for {
		switch f.state {
		case New:
			f.to(LoadingMsg)

		case LoadingMsg: // let msg = load_message(email).await?;
			msg, err, ready := f.svc.PollLoadMessage(cx, &f.req, f.email)
			if !ready {
				return nil, false
			}
			if err != nil {
				return f.fail(err)
			}
			f.msg = msg
			f.to(GettingUser)

		case GettingUser: // let user = get_user(id).await?; user.verify_has_space(&msg)?;
			user, err, ready := f.svc.PollGetUser(cx, &f.req, f.id)
			if !ready {
				return nil, false
			}
			if err != nil {
				return f.fail(err)
			}
			if err := user.VerifyHasSpace(f.msg); err != nil {
				return f.fail(err)
			}
			f.user = user
			f.to(AddingInbox)

		case AddingInbox: // user.add_to_inbox(msg).await
			err, ready := f.user.PollAddToInbox(cx, &f.req, f.msg)
			if !ready {
				return nil, false
			}
			f.to(Done)
			return err, true

		default:
			panic("inbox: AddToInboxFuture polled after it completed")
		}
	}
}

// Drop abandons the request in flight, if any: its timer leaves the heap.
// The executor calls it when the task is aborted.
func (f *AddToInboxFuture) Drop() {
	f.req.cancel(f.svc)
	f.state = Done
}

func (f *AddToInboxFuture) to(s State) {
	f.svc.trace(Event{Kind: Transition, From: f.state, To: s})
	f.state = s
}

func (f *AddToInboxFuture) fail(err error) (error, bool) {
	f.to(Done)
	return err, true
}

// A Request is one service call in flight for a state machine: the timer
// that completes it after the services' latency. It is embedded by value
// and must not be copied once sent.
type Request struct {
	timer async.Timer
	sent  bool
}

// poll sends the request on its first call (arming its timer with cx's
// waker) and reports whether it has completed since. A completed request
// is ready to be sent again.
func (r *Request) poll(cx *async.Context, s *Services, name string) bool {
	if !r.sent {
		r.sent = true
		s.trace(Event{Kind: Sent, Name: name})
		s.Timers.ResetTimer(&r.timer, s.Timers.Now().Add(s.Latency), cx.Waker())
		return false
	}
	if !s.Timers.PollTimer(&r.timer, cx) {
		return false
	}
	r.sent = false
	return true
}

// cancel stops a request in flight.
func (r *Request) cancel(s *Services) {
	if r.sent {
		s.Timers.StopTimer(&r.timer)
		r.sent = false
	}
}

// PollLoadMessage is load_message(email) as a future, using the request
// slot r: Pending until the request completes, then the message or
// ErrMessageNotFound.
func (s *Services) PollLoadMessage(cx *async.Context, r *Request, email string) (*Message, error, bool) {
	if !r.poll(cx, s, "load_message") {
		return nil, nil, false
	}
	m, err := s.message(email)
	return m, err, true
}

// PollGetUser is get_user(id) as a future: a cached user is ready on the
// first poll, without a request and without Pending; any other is
// fetched with a request.
func (s *Services) PollGetUser(cx *async.Context, r *Request, id UserID) (*User, error, bool) {
	if !r.sent {
		if u, ok := s.cached(id); ok {
			return u, nil, true
		}
	}
	if !r.poll(cx, s, "get_user") {
		return nil, nil, false
	}
	u, err := s.user(id)
	return u, err, true
}

// PollAddToInbox is user.add_to_inbox(msg) as a future.
func (u *User) PollAddToInbox(cx *async.Context, r *Request, msg *Message) (error, bool) {
	if !r.poll(cx, u.svc, "add_to_inbox") {
		return nil, false
	}
	return u.store(msg), true
}
