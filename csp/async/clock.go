package async

import "time"

// A ManualClock is a Timers whose time moves only when Advance or
// AdvanceToNext is called: the fake reactor of deterministic tests (tokio's
// time::pause and time::advance). Its timers live in the same timer queue
// as the Reactor's; when time moves past their deadlines they fire, and
// their wakers are called on the goroutine that moved the clock, in
// deadline order, with no lock held. It has no goroutine and needs no
// Close, so it works inside a testing/synctest bubble. The zero value is
// not usable: every method panics on it. Make one with NewManualClock.
type ManualClock struct {
	timers timerQueue // its lock also guards now
	now    int64      // on the queue's clock
}

// made panics if c is a zero ManualClock. The lock is set by
// NewManualClock and never written again, so reading it races with
// nothing.
func (c *ManualClock) made() {
	if c.timers.lock == nil {
		panic("async: ManualClock used without NewManualClock")
	}
}

// NewManualClock returns a clock that reads start until it is advanced.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{timers: newTimerQueue(make(chan struct{}, 1), start)}
}

// Now implements Timers.
func (c *ManualClock) Now() time.Time {
	c.made()
	c.timers.lock <- struct{}{}
	now := c.now
	<-c.timers.lock
	return c.timers.time(now)
}

// ResetTimer implements Timers.
func (c *ManualClock) ResetTimer(t *Timer, deadline time.Time, w Waker) {
	c.made()
	c.timers.reset(t, deadline, w)
}

// StopTimer implements Timers.
func (c *ManualClock) StopTimer(t *Timer) bool {
	c.made()
	return c.timers.stop(t)
}

// PollTimer implements Timers.
func (c *ManualClock) PollTimer(t *Timer, cx *Context) bool {
	c.made()
	return c.timers.poll(t, cx)
}

// PendingTimers returns the number of armed timers.
func (c *ManualClock) PendingTimers() int {
	c.made()
	return c.timers.pending()
}

// Next returns the earliest pending deadline, if any timer is pending.
func (c *ManualClock) Next() (time.Time, bool) {
	c.made()
	c.timers.lock <- struct{}{}
	next, ok := c.timers.heap.next()
	<-c.timers.lock
	return c.timers.time(next), ok
}

// Advance moves the clock forward by d and fires every timer due by then,
// including timers that the woken wakers arm meanwhile. It returns how many
// fired.
func (c *ManualClock) Advance(d time.Duration) int {
	c.made()
	c.timers.lock <- struct{}{}
	c.now += int64(d)
	<-c.timers.lock
	return c.fire()
}

// AdvanceToNext moves the clock to the earliest pending deadline, if it is
// later than now, and fires what is due. It reports false, without moving
// the clock, if no timer is pending.
func (c *ManualClock) AdvanceToNext() bool {
	c.made()
	c.timers.lock <- struct{}{}
	next, ok := c.timers.heap.next()
	if ok && next > c.now {
		c.now = next
	}
	<-c.timers.lock
	if ok {
		c.fire()
	}
	return ok
}

func (c *ManualClock) fire() int {
	fired := 0
	var batch []Waker
	for {
		c.timers.lock <- struct{}{}
		batch = c.timers.heap.expire(c.now, expireBatch, batch[:0])
		<-c.timers.lock
		if len(batch) == 0 {
			return fired
		}
		fired += len(batch)
		for _, w := range batch {
			w.Wake()
		}
	}
}

// Sleep returns a future that is ready d after the clock's current time.
func (c *ManualClock) Sleep(d time.Duration) Sleep {
	c.made()
	return newSleep(c, c.Now().Add(d))
}

// Deadline returns a future that is ready once the clock reaches t.
func (c *ManualClock) Deadline(t time.Time) Sleep {
	c.made()
	return newSleep(c, t)
}
