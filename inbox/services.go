// Package inbox is the tutorial's worked example, AddToInbox, written three
// ways over the same in-process services:
//
//		async fn add_to_inbox(email: &str, id: u64) -> Result<(), Error> {
//		    let msg = load_message(email).await?;
//		    let user = get_user(id).await?;        // a cache hit is ready at once
//		    user.verify_has_space(&msg)?;
//		    user.add_to_inbox(msg).await
//		}
//
//	  - AddToInbox (goroutine.go): an ordinary Go function that blocks at each
//	    step. Go's own answer: a stackful goroutine, its stack grown by the
//	    runtime, parked while it waits.
//	  - AddToInboxFuture (statemachine.go): what the Rust compiler makes of
//	    the async fn, written by hand: a struct with exactly the seed's states
//	    (New, LoadingMsg, GettingUser, AddingInbox, then Done) and a Poll that
//	    moves through them, spawned on an async.Executor and woken by the
//	    reactor's timers.
//	  - AddToInboxCallback (callback.go): continuation-passing, one closure per
//	    step, the reactor calling each continuation when its request
//	    completes.
//
// The services are fakes: a mail store, a user directory with a cache of
// some users, and the users' inboxes, each request answered after
// Services.Latency. The goroutine version waits on Go timers; the other two
// on the timers of an async.Timers (the Reactor, or a ManualClock in tests).
package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chansync/chansync/csp/async"
)

// A UserID names a user of the directory.
type UserID int64

// A Message is an email waiting to be delivered.
type Message struct {
	Email string // the key load_message looks it up by
	Body  string
}

// A User has an inbox of limited capacity.
type User struct {
	ID    UserID
	Name  string
	svc   *Services
	lock  chan struct{} // guards inbox
	inbox []*Message    // its capacity is the inbox's
}

// The errors AddToInbox can end with, besides a context's.
var (
	ErrMessageNotFound = errors.New("inbox: message not found")
	ErrUserNotFound    = errors.New("inbox: user not found")
	ErrInboxFull       = errors.New("inbox: inbox full")
)

// Services holds the fake mail store and user directory. Configure it with
// AddMessage and AddUser before any AddToInbox starts; the maps are read
// concurrently afterwards and never written.
type Services struct {
	// Latency is how long every request takes: load_message, get_user on
	// a cache miss, add_to_inbox.
	Latency time.Duration
	// Timers completes the requests of the state machine and the callback
	// versions; the goroutine version sleeps on Go timers instead.
	Timers async.Timers
	// Trace, if set, is told of every request and every state transition,
	// on the goroutine where it happens.
	Trace func(Event)

	messages map[string]*Message
	users    map[UserID]*User
	cache    map[UserID]*User
}

// NewServices returns empty services whose requests take latency and
// complete on timers.
func NewServices(latency time.Duration, timers async.Timers) *Services {
	return &Services{
		Latency:  latency,
		Timers:   timers,
		messages: map[string]*Message{},
		users:    map[UserID]*User{},
		cache:    map[UserID]*User{},
	}
}

// AddMessage stores a message under email.
func (s *Services) AddMessage(email, body string) *Message {
	m := &Message{Email: email, Body: body}
	s.messages[email] = m
	return m
}

// AddUser adds a user whose inbox holds capacity messages; a cached user
// is found by get_user without a request.
func (s *Services) AddUser(id UserID, name string, capacity int, cached bool) *User {
	u := &User{ID: id, Name: name, svc: s, lock: make(chan struct{}, 1), inbox: make([]*Message, 0, capacity)}
	s.users[id] = u
	if cached {
		s.cache[id] = u
	}
	return u
}

// Inbox returns a copy of the user's inbox.
func (u *User) Inbox() []*Message {
	u.lock <- struct{}{}
	defer func() { <-u.lock }()
	return append([]*Message(nil), u.inbox...)
}

// An EventKind says what an Event reports.
type EventKind uint8

const (
	// Sent: a request went to a service; it completes after Latency.
	Sent EventKind = iota
	// CacheHit: get_user found the user in the cache, with no request.
	CacheHit
	// Transition: the state machine moved from one state to another.
	Transition
)

// An Event is what Services.Trace is told.
type Event struct {
	Kind     EventKind
	Name     string // Sent, CacheHit: "load_message", "get_user" or "add_to_inbox"
	From, To State  // Transition
}

func (s *Services) trace(e Event) {
	if s.Trace != nil {
		s.Trace(e)
	}
}

// The requests' answers, computed when a request completes.

func (s *Services) message(email string) (*Message, error) {
	if m, ok := s.messages[email]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrMessageNotFound, email)
}

func (s *Services) user(id UserID) (*User, error) {
	if u, ok := s.users[id]; ok {
		return u, nil
	}
	return nil, fmt.Errorf("%w: %d", ErrUserNotFound, id)
}

func (s *Services) cached(id UserID) (*User, bool) {
	u, ok := s.cache[id]
	if ok {
		s.trace(Event{Kind: CacheHit, Name: "get_user"})
	}
	return u, ok
}

// VerifyHasSpace is the tutorial's user.verify_has_space(&msg): it fails
// with ErrInboxFull if the inbox has no room for msg. It does not block.
func (u *User) VerifyHasSpace(msg *Message) error {
	u.lock <- struct{}{}
	full := len(u.inbox) == cap(u.inbox)
	<-u.lock
	if full {
		return fmt.Errorf("%w: user %d", ErrInboxFull, u.ID)
	}
	return nil
}

// store is what add_to_inbox does once its request completes. Another
// delivery may have taken the last place since VerifyHasSpace, so it checks
// again.
func (u *User) store(msg *Message) error {
	u.lock <- struct{}{}
	defer func() { <-u.lock }()
	if len(u.inbox) == cap(u.inbox) {
		return fmt.Errorf("%w: user %d", ErrInboxFull, u.ID)
	}
	u.inbox = append(u.inbox, msg)
	return nil
}

// wait is the goroutine version's request: it sleeps for Latency on a Go
// timer, or returns ctx.Err() if ctx ends first.
func (s *Services) wait(ctx context.Context, name string) error {
	s.trace(Event{Kind: Sent, Name: name})
	done := ctx.Done()
	if done == nil {
		time.Sleep(s.Latency) // the goroutine's own timer: no allocation
		return nil
	}
	t := time.NewTimer(s.Latency)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-done:
		return ctx.Err()
	}
}
