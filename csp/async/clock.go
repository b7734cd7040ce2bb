package async

import "time"

// A ManualClock is a Timers whose time moves only when Advance or
// AdvanceToNext is called: the fake reactor of deterministic tests (tokio's
// time::pause and time::advance). Its timers live in the same heap as the
// Reactor's; when time moves past their deadlines they fire, and their
// wakers are called on the goroutine that moved the clock, in deadline
// order, with no lock held. It has no goroutine and needs no Close, so it
// works inside a testing/synctest bubble. The zero value is not usable:
// every method panics on it. Make one with NewManualClock.
type ManualClock struct {
	lock   chan struct{} // guards now and timers
	epoch  time.Time
	now    int64
	timers timerHeap
}

// made panics if c is a zero ManualClock. lock is set by NewManualClock
// and never written again, so reading it races with nothing.
func (c *ManualClock) made() {
	if c.lock == nil {
		panic("async: ManualClock used without NewManualClock")
	}
}

// NewManualClock returns a clock that reads start until it is advanced.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{lock: make(chan struct{}, 1), epoch: start}
}

// Now implements Timers.
func (c *ManualClock) Now() time.Time {
	c.made()
	c.lock <- struct{}{}
	now := c.now
	<-c.lock
	return c.epoch.Add(time.Duration(now))
}

// ResetTimer implements Timers.
func (c *ManualClock) ResetTimer(t *Timer, deadline time.Time, w Waker) {
	c.made()
	c.lock <- struct{}{}
	c.timers.reset(t, int64(deadline.Sub(c.epoch)), w)
	<-c.lock
}

// StopTimer implements Timers.
func (c *ManualClock) StopTimer(t *Timer) bool {
	c.made()
	c.lock <- struct{}{}
	ok := c.timers.stop(t)
	<-c.lock
	return ok
}

// PollTimer implements Timers.
func (c *ManualClock) PollTimer(t *Timer, cx *Context) bool {
	c.made()
	c.lock <- struct{}{}
	fired := c.timers.poll(t, cx.waker)
	<-c.lock
	return fired
}

// Pending returns the number of armed timers.
func (c *ManualClock) Pending() int {
	c.made()
	c.lock <- struct{}{}
	n := c.timers.len()
	<-c.lock
	return n
}

// Next returns the earliest pending deadline, if any timer is pending.
func (c *ManualClock) Next() (time.Time, bool) {
	c.made()
	c.lock <- struct{}{}
	next, ok := c.timers.next()
	<-c.lock
	return c.epoch.Add(time.Duration(next)), ok
}

// Advance moves the clock forward by d and fires every timer due by then,
// including timers that the woken wakers arm meanwhile. It returns how many
// fired.
func (c *ManualClock) Advance(d time.Duration) int {
	c.made()
	c.lock <- struct{}{}
	c.now += int64(d)
	<-c.lock
	return c.fire()
}

// AdvanceToNext moves the clock to the earliest pending deadline, if it is
// later than now, and fires what is due. It reports false, without moving
// the clock, if no timer is pending.
func (c *ManualClock) AdvanceToNext() bool {
	c.made()
	c.lock <- struct{}{}
	next, ok := c.timers.next()
	if ok && next > c.now {
		c.now = next
	}
	<-c.lock
	if ok {
		c.fire()
	}
	return ok
}

func (c *ManualClock) fire() int {
	fired := 0
	var batch []Waker
	for {
		c.lock <- struct{}{}
		batch = c.timers.expire(c.now, expireBatch, batch[:0])
		<-c.lock
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
