package async

import "time"

// The reactor's time driver, as the futures see it: the Timers interface
// over the reactor's timer queue (see Reactor and timerqueue.go).

// Now returns the current time; timers armed on r measure from it.
func (r *Reactor) Now() time.Time {
	r.made()
	return time.Now()
}

// ResetTimer implements Timers: it arms t at deadline, and kicks the loop
// awake if t is now earlier than the deadline it sleeps until. Both happen
// in one hold of the lock, so that the loop cannot go to sleep in between
// with the old deadline.
func (r *Reactor) ResetTimer(t *Timer, deadline time.Time, w Waker) {
	r.made()
	when := r.timers.since(deadline)
	r.lock <- struct{}{}
	r.timers.heap.reset(t, when, w)
	r.kickLocked(when)
	<-r.lock
}

// StopTimer implements Timers.
func (r *Reactor) StopTimer(t *Timer) bool {
	r.made()
	return r.timers.stop(t)
}

// PollTimer implements Timers.
func (r *Reactor) PollTimer(t *Timer, cx *Context) bool {
	r.made()
	return r.timers.poll(t, cx)
}

// PendingTimers returns the number of armed timers.
func (r *Reactor) PendingTimers() int {
	r.made()
	return r.timers.pending()
}

// Sleep returns a future that is ready d from now: tokio::time::sleep(d).
func (r *Reactor) Sleep(d time.Duration) Sleep {
	r.made()
	return newSleep(r, r.Now().Add(d))
}

// Deadline returns a future that is ready at t: tokio::time::sleep_until(t).
func (r *Reactor) Deadline(t time.Time) Sleep {
	r.made()
	return newSleep(r, t)
}

// roundUpMillis rounds a time on the timers' clock up to the next whole
// millisecond. The sleep ends no earlier than the earliest timer, and ends
// at the same moment for every turn of the loop while that timer stays the
// earliest, so the poller re-arms its deadline only when it changes (timers
// that fall in one millisecond share a wake-up).
func roundUpMillis(ns int64) int64 {
	const ms = int64(time.Millisecond)
	return (ns + ms - 1) / ms * ms
}
