package async

import "github.com/chansync/chansync/csp"

// A task's scheduling state: tokio's RUNNING, NOTIFIED and COMPLETE bits,
// kept under the task's stripe lock instead of in an atomic word. Its
// transitions, each returning what its caller does next:
//
//	from       event                                to         then, with the lock released
//	(new)      Spawn                                scheduled  pushIt
//	(new)      Spawn on a closing executor          complete   refused: drop it, Join reports ErrClosed
//	idle       Wake                                 scheduled  pushIt
//	scheduled  Wake                                 notified   leave
//	notified   Wake                                 notified   leave
//	scheduled  its poll returns Pending             idle       leave
//	notified   its poll returns Pending             scheduled  pushIt (again)
//	scheduled  Pending, but aborted or abandoned    scheduled  dropIt
//	idle       Abort, or Close abandons it          scheduled  dropIt
//	scheduled  Abort (or notified)                  (same)     leave: whoever owns it drops it
//	any        its poll returns Ready, or panics    complete   tell the joiners
//	scheduled  dropped after Abort or Close         complete   tell the joiners
//	complete   anything                             complete   leave
//
// The one invariant every transition keeps: a task is in the run queue,
// being polled or being dropped exactly when its state is scheduled or
// notified, and then one goroutine owns it (the run queue, its poller, or
// whoever took it from idle to drop it, or is about to push it). So a task
// is queued at most once however many wakes arrive (a wake of a scheduled
// task only marks it notified), a wake that arrives during a poll is not
// lost (notified makes the poller queue it again), nothing polls an idle
// task (only its wakers hold it), and a complete task is never polled or
// dropped again (wakes leave it as it is). A task that is aborted, or
// abandoned by Close, is dropped by whoever owns it next: the aborter, or
// Close, if it was idle; its poller after the poll; Close if it waits in
// the run queue (shutdown.go).
//
// Each transition below is made with the stripe lock held and returns what
// its caller does once the lock is released (task.go). None pushes, polls,
// drops or wakes anything itself, since each of those may take a stripe
// lock, perhaps this one.
type taskState uint8

const (
	// idle: the task returned Pending and waits for a wake. Nobody holds
	// it but its wakers; the first wake queues it.
	idle taskState = iota
	// scheduled: the task is in the run queue, being polled, or being
	// dropped. A wake only has to make sure it is polled again afterwards.
	scheduled
	// notified: scheduled, and woken since it was queued. After its poll
	// returns Pending the poller queues it again. (Telling "queued" from
	// "being polled" would take one more lock per poll; without it, a
	// wake that arrives while the task waits in the queue costs one
	// spurious poll, which futures tolerate.)
	notified
	// complete: the task returned Ready, panicked, was dropped after an
	// Abort or a Close, or was refused. It is never polled again and
	// wakes are ignored.
	complete
)

// ending is how a task completed, or, before it completes, why it is to
// be dropped (header.end).
type ending uint8

const (
	endNone     ending = iota // not complete, and not aborted
	endReady                  // its poll returned Ready
	endPanicked               // its poll, or its Drop, panicked
	endAborted                // JoinHandle.Abort
	endClosed                 // its executor gave up on it, or refused it
)

// then is what the caller of a transition does once the stripe lock is
// released.
type then uint8

const (
	leave   then = iota // nothing: the task is someone else's (its wakers', the run queue's, its poller's)
	pushIt              // put it on the run queue
	dropIt              // drop it and complete it (dropAndComplete): the caller owns it now
	refused             // drop it: it is complete already (a Spawn that came too late)
)

// spawnLocked is the first transition: the new task is scheduled (the
// caller pushes it) and counted live, or, on a stripe that is closing, it
// is refused and complete at once.
func (h *header) spawnLocked(s *stripe) then {
	if s.closing {
		h.state, h.end = complete, endClosed
		return refused
	}
	h.state = scheduled
	s.live++
	return pushIt
}

// wakeLocked is tokio's transition_to_notified: an idle task becomes
// scheduled and the caller pushes it; a scheduled one becomes notified, to
// be queued again after the poll it is in or waits for; a notified or
// complete one stays as it is.
func (h *header) wakeLocked() then {
	switch h.state {
	case idle:
		h.state = scheduled
		return pushIt
	case scheduled:
		h.state = notified
	}
	return leave
}

// pendingLocked is tokio's transition_to_idle, after a poll of self that
// returned Pending. A task aborted meanwhile, or on a stripe that Close
// has abandoned, stays scheduled, so that no wake queues it while the
// caller drops it. A task idle for the first time joins its stripe's
// pended list, where Close finds it if it is still idle then.
func (h *header) pendingLocked(s *stripe, self runnable) then {
	switch {
	case h.end != endNone || s.abandoned:
		return dropIt
	case h.state == notified:
		h.state = scheduled
		return pushIt
	}
	h.state = idle
	if h.node == nil && s.exec.dropOnClose {
		s.pended.add(h, self)
	}
	return leave
}

// abortLocked is Abort's transition (tokio's transition_to_shutdown). An
// idle task is dropped at once by the caller, and is marked scheduled
// meanwhile so that no wake queues it; a queued or running one is dropped
// by whoever owns it next (pendingLocked, or Close taking it off the run
// queue); a complete one keeps its output.
func (h *header) abortLocked() then {
	if h.state == complete || h.end != endNone {
		return leave
	}
	h.end = endAborted
	if h.state != idle {
		return leave
	}
	h.state = scheduled
	return dropIt
}

// abandonLocked is Close's transition, for a task on a stripe it has
// marked abandoned: an idle task is the caller's to drop, and is marked
// scheduled meanwhile; any other is dropped by whoever owns it next.
func (h *header) abandonLocked() then {
	if h.state != idle {
		return leave
	}
	h.state = scheduled
	return dropIt
}

// completeLocked is tokio's transition_to_complete: the task is complete,
// no longer live, and what its joiners wait on is handed to the caller to
// tell once the lock is released. A panic (of the poll, or of Drop)
// overrides how it ended.
func (h *header) completeLocked(s *stripe, how ending, pe *csp.PanicError) joiners {
	if pe != nil {
		how = endPanicked
	}
	h.state, h.end = complete, how
	s.live--
	if h.node != nil {
		s.pended.remove(h)
	}
	j := joiners{join: h.join, task: h.joinWaker, drained: s.closing && s.live == 0}
	h.join = nil
	if pe != nil {
		h.join = &joinWait{panicked: pe}
	}
	h.joinWaker.set(Waker{})
	return j
}

// droppedLocked completes a task that its caller has just dropped after
// dropIt: it ends aborted if it was, and closed otherwise (Close abandoned
// it), or panicked if Drop panicked.
func (h *header) droppedLocked(s *stripe, pe *csp.PanicError) joiners {
	how := h.end
	if how == endNone {
		how = endClosed
	}
	return h.completeLocked(s, how, pe)
}
