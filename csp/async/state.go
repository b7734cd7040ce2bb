package async

import "github.com/chansync/chansync/csp"

// A task's scheduling state: tokio's RUNNING, NOTIFIED and COMPLETE bits,
// kept under the task's stripe lock instead of in an atomic word. Its
// transitions:
//
//	from       event                               to         then, with the lock released
//	(new)      Spawn                               scheduled  push it
//	(new)      Spawn on a closing executor         complete   drop it, Join reports ErrClosed
//	idle       Wake                                scheduled  push it
//	scheduled  Wake                                notified
//	notified   Wake                                notified
//	scheduled  its poll returns Pending            idle
//	notified   its poll returns Pending            scheduled  push it again
//	idle       Abort                               scheduled  drop it, then complete
//	scheduled  Abort (or notified)                 (same)     the poller drops it after the poll
//	any        its poll returns Ready, or panics   complete   tell the joiners
//	complete   anything                            complete
//
// The one invariant every transition keeps: a task is in the run queue,
// or being polled, exactly when its state is scheduled or notified. So a
// task is queued at most once however many wakes arrive (a wake of a
// scheduled task only marks it notified), a wake that arrives during a poll
// is not lost (notified makes the poller queue it again), nothing polls an
// idle task (only its wakers hold it), and a complete task is never polled
// again (wakes leave it as it is).
//
// Each transition below is made with the stripe lock held and tells its
// caller what to do once the lock is released: push the task, drop it, or
// tell its joiners. None pushes, polls, drops or wakes anything itself,
// since each of those may take a stripe lock, perhaps this one.
type taskState uint8

const (
	// idle: the task returned Pending and waits for a wake. Nobody holds
	// it but its wakers; the first wake queues it.
	idle taskState = iota
	// scheduled: the task is in the run queue or being polled. A wake
	// only has to make sure it is polled again afterwards.
	scheduled
	// notified: scheduled, and woken since it was queued. After its poll
	// returns Pending the poller queues it again. (Telling "queued" from
	// "being polled" would take one more lock per poll; without it, a
	// wake that arrives while the task waits in the queue costs one
	// spurious poll, which futures tolerate.)
	notified
	// complete: the task returned Ready, panicked, was aborted or was
	// refused. It is never polled again and wakes are ignored.
	complete
)

// ending is how a task completed.
type ending uint8

const (
	endReady ending = iota
	endPanicked
	endAborted
	endClosed
)

// spawnLocked is the first transition: the new task is scheduled (the
// caller pushes it) and counted live, or, on a stripe that is closing, it
// is refused and complete at once (the caller drops it).
func (h *header) spawnLocked(s *stripe) (accepted bool) {
	if s.closing {
		h.state, h.ending = complete, endClosed
		return false
	}
	h.state = scheduled
	s.live++
	return true
}

// wakeLocked is tokio's transition_to_notified: an idle task becomes
// scheduled and the caller pushes it; a scheduled one becomes notified, to
// be queued again after the poll it is in or waits for; a notified or
// complete one stays as it is.
func (h *header) wakeLocked() (push bool) {
	switch h.state {
	case idle:
		h.state = scheduled
		return true
	case scheduled:
		h.state = notified
	}
	return false
}

// afterPending is what follows a poll that returned Pending.
type afterPending uint8

const (
	leaveIdle afterPending = iota // idle now: its wakers hold it
	pollAgain                     // woken during the poll: push it again
	dropIt                        // aborted during the poll: drop it and complete it
)

// pendingLocked is tokio's transition_to_idle, after a poll that returned
// Pending. A task aborted meanwhile stays scheduled, so that no wake queues
// it while the caller drops it.
func (h *header) pendingLocked() afterPending {
	switch {
	case h.aborted:
		return dropIt
	case h.state == notified:
		h.state = scheduled
		return pollAgain
	}
	h.state = idle
	return leaveIdle
}

// abortLocked marks the task aborted. An idle task is dropped at once by
// the caller, and is marked scheduled meanwhile so that no wake queues it;
// a queued or running one is dropped by its poller after that poll
// (pendingLocked); a complete one keeps its output.
func (h *header) abortLocked() (dropNow bool) {
	if h.state == complete || h.aborted {
		return false
	}
	h.aborted = true
	if h.state != idle {
		return false
	}
	h.state = scheduled
	return true
}

// completeLocked is tokio's transition_to_complete: the task is complete,
// no longer live, and what its joiners wait on is handed to the caller to
// tell once the lock is released (tell). A panic (of the poll, or of
// Drop) overrides how it ended.
func (h *header) completeLocked(s *stripe, how ending, pe *csp.PanicError) joiners {
	if pe != nil {
		how = endPanicked
	}
	h.state, h.ending, h.panicked = complete, how, pe
	s.live--
	j := joiners{done: h.done, waiting: h.waiting, task: h.joinWaker, drained: s.closing && s.live == 0}
	h.done, h.waiting, h.joinWaker = nil, 0, Waker{}
	return j
}

// joiners is whom a completion must tell, once the stripe lock is released.
type joiners struct {
	done    chan struct{} // what the goroutines in Join wait on
	waiting uint32        // how many do
	task    Waker         // the task in PollJoin
	drained bool          // the completion left a closing stripe with no live task
}

// tell wakes the joiners of a task that has just completed. It is called
// with no lock held, since the joining task's wake takes a stripe lock.
func (j joiners) tell(e *Executor) {
	switch {
	case j.waiting == 1:
		j.done <- struct{}{} // its one slot is empty: nobody else sends on it
	case j.waiting > 1:
		close(j.done) // one token would wake only one of them
	}
	j.task.Wake()
	if j.drained {
		e.stripeDrained()
	}
}
