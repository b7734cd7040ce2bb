package async

import "time"

// A timerQueue is a heap of timers behind a lock, on a clock whose zero is
// epoch: the Timers machinery that the Reactor and the ManualClock share.
// Each hands it its own lock, and guards more with it: the ManualClock its
// current time, the Reactor its descriptors and its sleep, which an armed
// timer must be compared with in the same hold as the heap (see Reactor).
// The methods below take the lock; the owner's own code takes it itself
// and works on heap directly.
type timerQueue struct {
	lock  chan struct{}
	epoch time.Time
	heap  timerHeap
}

func newTimerQueue(lock chan struct{}, epoch time.Time) timerQueue {
	return timerQueue{lock: lock, epoch: epoch}
}

// since returns t on the queue's clock: nanoseconds since epoch.
func (q *timerQueue) since(t time.Time) int64 {
	return int64(t.Sub(q.epoch))
}

// time returns the time of ns on the queue's clock.
func (q *timerQueue) time(ns int64) time.Time {
	return q.epoch.Add(time.Duration(ns))
}

// reset arms t at deadline, waking w.
func (q *timerQueue) reset(t *Timer, deadline time.Time, w Waker) {
	when := q.since(deadline)
	q.lock <- struct{}{}
	q.heap.reset(t, when, w)
	<-q.lock
}

// stop disarms t and reports whether it was pending.
func (q *timerQueue) stop(t *Timer) bool {
	q.lock <- struct{}{}
	ok := q.heap.stop(t)
	<-q.lock
	return ok
}

// poll reports whether t fired; if it is pending, cx's waker becomes its
// waker.
func (q *timerQueue) poll(t *Timer, cx *Context) bool {
	q.lock <- struct{}{}
	fired := q.heap.poll(t, cx.waker)
	<-q.lock
	return fired
}

// pending returns the number of armed timers.
func (q *timerQueue) pending() int {
	q.lock <- struct{}{}
	n := q.heap.len()
	<-q.lock
	return n
}

// timerHeap is a 4-ary min-heap of armed timers ordered by deadline (as Go's
// runtime keeps its own timers). Each entry carries the deadline next to
// the pointer, so comparisons read the heap's own array instead of
// following the pointers; each Timer knows its index, so stopping or
// resetting it is O(log n) with no search. Deadlines that only grow (the
// same latency added to an increasing now) are pushed in O(1), since a new
// entry stops at its first comparison.
//
// The heap does no locking: its timerQueue's lock is held around it.
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
	t.waker.set(w)
	t.state = timerPending
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
	t.state = timerIdle
	t.waker.set(Waker{})
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
		t.waker.set(w)
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
		t.waker.set(Waker{})
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
