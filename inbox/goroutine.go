package inbox

import "context"

// AddToInbox delivers the message stored under email to user id's inbox:
// the tutorial's async fn, written as Go writes everything, an ordinary
// function that blocks at each step. Each `.await` is a call that parks
// the goroutine until its request completes; each `?` is an early return.
// What the goroutine keeps while it waits is its whole stack (2 KiB to
// start with), whatever the step.
//
// If ctx ends, the request in flight is abandoned (its timer stopped) and
// AddToInbox returns ctx.Err().
func AddToInbox(ctx context.Context, svc *Services, email string, id UserID) error {
	msg, err := svc.LoadMessage(ctx, email)
	if err != nil {
		return err
	}
	user, err := svc.GetUser(ctx, id)
	if err != nil {
		return err
	}
	if err := user.VerifyHasSpace(msg); err != nil {
		return err
	}
	return user.AddToInbox(ctx, msg)
}

// LoadMessage is load_message(email): it returns the message after the
// services' latency.
func (s *Services) LoadMessage(ctx context.Context, email string) (*Message, error) {
	if err := s.wait(ctx, "load_message"); err != nil {
		return nil, err
	}
	return s.message(email)
}

// GetUser is get_user(id): a cached user is returned at once, any other
// after the services' latency.
func (s *Services) GetUser(ctx context.Context, id UserID) (*User, error) {
	if u, ok := s.cached(id); ok {
		return u, nil
	}
	if err := s.wait(ctx, "get_user"); err != nil {
		return nil, err
	}
	return s.user(id)
}

// AddToInbox is user.add_to_inbox(msg): it stores msg after the services'
// latency, or fails with ErrInboxFull.
func (u *User) AddToInbox(ctx context.Context, msg *Message) error {
	if err := u.svc.wait(ctx, "add_to_inbox"); err != nil {
		return err
	}
	return u.store(msg)
}
