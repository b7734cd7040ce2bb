package async

import "time"

// A Timer is one deadline, embedded by value in the future that waits for
// it, so that arming a timer allocates nothing: tokio's TimerEntry. The
// reactor (or a ManualClock) that it is armed on keeps a pointer to it in
// its heap until it fires or is stopped, so a Timer must not be copied or
// moved once armed (Rust would pin it).
//
// Its fields belong to the Timers it is armed on and are read and written
// only under that Timers' lock, through ResetTimer, StopTimer and
// PollTimer. The zero Timer is idle.
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

// Timers is what a future needs to wait for a deadline. The Reactor
// implements it with a heap of timers and epoll_wait's timeout; ManualClock
// implements it with a clock that moves only when a test says so.
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

// timerHeap is a 4-ary min-heap of armed timers ordered by deadline (as Go's
// runtime keeps its own timers). Each entry carries the deadline next to
// the pointer, so comparisons read the heap's own array instead of
// following the pointers; each Timer knows its index, so stopping or
// resetting it is O(log n) with no search. Deadlines that only grow (the
// same latency added to an increasing now) are pushed in O(1), since a new
// entry stops at its first comparison.
//
// The heap does no locking: the Reactor and ManualClock hold their locks
// around it.
type timerHeap struct {
	entries []heapEntry
}

type heapEntry struct {
	when int64
	t    *Timer
}

func (h *timerHeap) len() int { return len(h.entries) }

// reset arms t at when, waking w.
func (h *timerHeap) reset(t *Timer, when int64, w Waker) {
	t.waker, t.state = w, timerPending
	if t.index == 0 {
		t.when = when
		h.entries = append(h.entries, heapEntry{when, t})
		t.index = int32(len(h.entries))
		h.up(len(h.entries) - 1)
		return
	}
	i := int(t.index) - 1
	old := t.when
	t.when = when
	h.entries[i].when = when
	if when < old {
		h.up(i)
	} else {
		h.down(i)
	}
}

// stop disarms t and reports whether it was in the heap.
func (h *timerHeap) stop(t *Timer) bool {
	t.state, t.waker = timerIdle, Waker{}
	if t.index == 0 {
		return false
	}
	h.remove(int(t.index) - 1)
	return true
}

// poll reports whether t fired; if it is pending, w becomes its waker.
func (h *timerHeap) poll(t *Timer, w Waker) bool {
	switch t.state {
	case timerFired:
		return true
	case timerPending:
		t.waker = w
	}
	return false
}

// next returns the earliest deadline, if any.
func (h *timerHeap) next() (int64, bool) {
	if len(h.entries) == 0 {
		return 0, false
	}
	return h.entries[0].when, true
}

// expire removes up to max timers whose deadline is at or before now,
// marks them fired and appends their wakers to batch.
func (h *timerHeap) expire(now int64, max int, batch []Waker) []Waker {
	for n := 0; n < max && len(h.entries) > 0 && h.entries[0].when <= now; n++ {
		t := h.entries[0].t
		h.remove(0)
		t.state = timerFired
		batch = append(batch, t.waker)
		t.waker = Waker{}
	}
	return batch
}

func (h *timerHeap) remove(i int) {
	last := len(h.entries) - 1
	h.entries[i].t.index = 0
	if i != last {
		h.entries[i] = h.entries[last]
		h.entries[i].t.index = int32(i + 1)
	}
	h.entries[last] = heapEntry{}
	h.entries = h.entries[:last]
	if i != last {
		h.up(i)
		h.down(i)
	}
}

func (h *timerHeap) up(i int) {
	e := h.entries
	x := e[i]
	for i > 0 {
		p := (i - 1) / 4
		if e[p].when <= x.when {
			break
		}
		e[i] = e[p]
		e[i].t.index = int32(i + 1)
		i = p
	}
	e[i] = x
	x.t.index = int32(i + 1)
}

func (h *timerHeap) down(i int) {
	e := h.entries
	n := len(e)
	x := e[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < c+4 && j < n; j++ {
			if e[j].when < e[m].when {
				m = j
			}
		}
		if x.when <= e[m].when {
			break
		}
		e[i] = e[m]
		e[i].t.index = int32(i + 1)
		i = m
	}
	e[i] = x
	x.t.index = int32(i + 1)
}
