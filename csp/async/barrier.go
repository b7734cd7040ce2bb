package async

import "fmt"

// A Barrier lets n tasks wait for each other, over and over:
// tokio::sync::Barrier, the task-side counterpart of csp.Barrier.
//
// Arrivals are counted in generations. The first n-1 arrivals of a
// generation queue their Waiters (inside their BarrierWait futures, or
// inside state machines that call PollWait, so waiting allocates nothing)
// and return Pending; the n-th arrival is the
// leader: it marks every queued waiter ready, starts the next generation
// and wakes them, after releasing the barrier's lock. The count and the
// queue are guarded by a one-slot lock channel.
//
//	gen 1: A Pending, B Pending, C arrives → A, B ready and woken; C Ready (leader)
//	gen 2: …
//
// Unlike tokio's, a wait is cancel-safe, as csp's is: a BarrierWait that is
// dropped before its generation completes withdraws its arrival, so the
// generation still needs n live arrivals. Once its generation has
// completed the arrival has counted (the other parties went on relying on
// it) and dropping the future changes nothing; Cancel (CancelWait for a
// Waiter) tells the two apart.
//
// The zero value is not usable: every method panics on it. Make a Barrier
// with NewBarrier.
type Barrier struct {
	lock    chan struct{} // guards arrived and waiters
	n       int
	arrived int // live arrivals in the current generation
	waiters waitList
}

// made panics if b is a zero Barrier. lock is set by NewBarrier and never
// written again, so reading it races with nothing.
func (b *Barrier) made() {
	if b.lock == nil {
		panic("async: Barrier used without NewBarrier")
	}
}

// NewBarrier returns a barrier for n parties. It panics if n < 1.
func NewBarrier(n int) *Barrier {
	if n < 1 {
		panic(fmt.Sprintf("async: NewBarrier(%d): need at least one party", n))
	}
	return &Barrier{lock: make(chan struct{}, 1), n: n}
}

// Wait returns a future that arrives at the barrier when first polled and
// is ready once n parties have arrived in its generation. Its output
// reports whether this arrival was the leader, the last of its
// generation; exactly one arrival per generation is.
func (b *Barrier) Wait() BarrierWait {
	b.made()
	return BarrierWait{b: b}
}

// Parties returns n, the number of arrivals that complete a generation.
func (b *Barrier) Parties() int {
	b.made()
	return b.n
}

// Arrived returns the number of live arrivals in the current generation.
func (b *Barrier) Arrived() int {
	b.made()
	b.lock <- struct{}{}
	n := b.arrived
	<-b.lock
	return n
}

// A BarrierWait is the future of Barrier.Wait. Embed it by value in the
// future that waits: it must not be copied once polled. Drop (or Cancel)
// it if that future is abandoned before it is Ready.
type BarrierWait struct {
	b     *Barrier
	state barrierWaitState
	w     Waiter
}

type barrierWaitState uint8

const (
	barrierNew     barrierWaitState = iota // not polled: not arrived
	barrierWaiting                         // arrived, generation not seen complete
	barrierPassed                          // its generation completed: returned Ready, or cancelled after
	barrierLeft                            // cancelled before it counted: never arrived, or withdrawn
)

// Poll is PollWait on the future's own Waiter.
func (f *BarrierWait) Poll(cx *Context) (leader bool, ready bool) {
	switch f.state {
	case barrierNew, barrierWaiting:
	default:
		panic("async: BarrierWait polled after it completed")
	}
	f.state = barrierWaiting
	leader, ready = f.b.PollWait(cx, &f.w)
	if ready {
		f.state = barrierPassed
	}
	return leader, ready
}

// Drop abandons the wait: Cancel, ignoring what it reports.
func (f *BarrierWait) Drop() {
	f.Cancel()
}

// Cancel abandons the wait and reports whether the arrival had already
// counted: CancelWait on the future's own Waiter. A wait never polled has
// not arrived (false); one that returned Ready has passed (true).
// Cancelling again reports the same.
func (f *BarrierWait) Cancel() (passed bool) {
	switch f.state {
	case barrierNew, barrierLeft:
		f.state = barrierLeft
		return false
	case barrierPassed:
		return true
	}
	if f.b.CancelWait(&f.w) {
		f.state = barrierPassed
		return true
	}
	f.state = barrierLeft
	return false
}

// PollWait is the poll of a wait at the barrier in w, a Waiter of the
// caller's (see Waiter). With w free, it arrives: the n-th arrival of a
// generation completes it and is Ready at once as its leader; the others
// queue w and return Pending. Later calls, with the same w, return
// Pending until the generation completes. Once it returns Ready, w is
// free again.
func (b *Barrier) PollWait(cx *Context, w *Waiter) (leader bool, ready bool) {
	b.made()
	w.check(waitingOnBarrier)
	b.lock <- struct{}{}
	if w.busy == notWaiting {
		b.arrived++
		if b.arrived == b.n {
			var buf [4]Waker
			b.arrived = 0
			ws := b.waiters.releaseAll(waiterReady, buf[:0])
			<-b.lock
			wakeAll(ws)
			return true, true
		}
		w.start(waitingOnBarrier)
		w.waker.set(cx.Waker())
		w.state = waiterQueued
		b.waiters.pushBack(w)
		<-b.lock
		return false, false
	}
	if w.state == waiterReady {
		w.end()
		<-b.lock
		return false, true
	}
	w.waker.set(cx.Waker())
	<-b.lock
	return false, false
}

// CancelWait abandons the wait in w and reports whether the arrival had
// already counted. If the generation has not completed, the arrival is
// withdrawn and CancelWait reports false: the generation still needs n
// live arrivals. If it has, the other parties have gone on relying on
// this one, nothing can be withdrawn, and CancelWait reports true; whoever
// abandons the wait decides what the arrival owes them. Either way w is
// free again. With w free (the wait never began, or returned Ready) it
// does nothing and reports false.
func (b *Barrier) CancelWait(w *Waiter) (passed bool) {
	b.made()
	w.check(waitingOnBarrier)
	if w.busy == notWaiting {
		return false
	}
	b.lock <- struct{}{}
	passed = w.state == waiterReady
	if !passed {
		b.waiters.remove(w)
		b.arrived--
	}
	w.end()
	<-b.lock
	return passed
}
