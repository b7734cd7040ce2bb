package async

import "time"

// A Timer is one deadline, embedded by value in the future that waits for
// it, so that arming a timer allocates nothing: tokio's TimerEntry. The
// reactor (or a ManualClock) that it is armed on keeps a pointer to it in
// its heap until it fires or is stopped, so a Timer must not be copied or
// moved once armed (Rust would pin it).
//
// Its fields belong to the Timers it is armed on and are read and written
// only under the lock of that Timers' timer queue (timerqueue.go), through
// ResetTimer, StopTimer and PollTimer. The zero Timer is idle.
type Timer struct {
	when  int64 // deadline, in nanoseconds of the owning clock
	index int32 // 1 + position in the heap; 0 when not in it
	state timerState
	waker Waker // woken when it fires
}

type timerState uint8

const (
	timerIdle    timerState = iota // never armed, or stopped
	timerPending                   // in the heap, waiting for its deadline
	timerFired                     // its deadline passed and its waker was woken
)

// Timers is what a future needs to wait for a deadline. The Reactor and
// the ManualClock implement it over the same timer queue (timerqueue.go):
// the Reactor's fires timers as its loop sees them due and sleeps until
// the next, the ManualClock's when a test moves its clock.
type Timers interface {
	// Now is the current time of this clock.
	Now() time.Time
	// ResetTimer arms t to fire at deadline and wake w, replacing any
	// deadline and waker it had; a fired timer is armed again. A deadline
	// in the past fires on the clock's next pass.
	ResetTimer(t *Timer, deadline time.Time, w Waker)
	// StopTimer disarms t and reports whether it was pending. Once it
	// returns, t is not in the heap; a wake already on its way may still
	// arrive (futures tolerate spurious wakes).
	StopTimer(t *Timer) bool
	// PollTimer reports whether t has fired since it was last armed. If
	// it is still pending, it replaces t's waker with cx's, so the task
	// that polls is the one woken.
	PollTimer(t *Timer, cx *Context) bool
}

// Sleep is a future that is ready once a deadline has passed:
// tokio::time::Sleep. Make one with Reactor.Sleep or Reactor.Deadline (or
// the ManualClock methods of the same names), and embed it by value in the
// future that waits: it allocates nothing. It must not be copied once
// polled. If the future that holds it is abandoned, call Drop to take its
// timer off the heap.
type Sleep struct {
	timers   Timers
	deadline time.Time
	armed    bool
	timer    Timer
}

// newSleep returns a Sleep on tm that is ready at deadline.
func newSleep(tm Timers, deadline time.Time) Sleep {
	return Sleep{timers: tm, deadline: deadline}
}

// Poll arms the timer on the first poll and reports whether the deadline
// has passed.
func (s *Sleep) Poll(cx *Context) (struct{}, bool) {
	if !s.armed {
		if !s.timers.Now().Before(s.deadline) {
			return struct{}{}, true
		}
		s.armed = true
		s.timers.ResetTimer(&s.timer, s.deadline, cx.Waker())
		return struct{}{}, false
	}
	return struct{}{}, s.timers.PollTimer(&s.timer, cx)
}

// Drop stops the timer if it is armed: Rust drops a Sleep, and its timer
// entry leaves the wheel.
func (s *Sleep) Drop() {
	if s.armed {
		s.timers.StopTimer(&s.timer)
		s.armed = false
	}
}

// Deadline returns the instant the Sleep is ready at.
func (s *Sleep) Deadline() time.Time {
	return s.deadline
}
