package csp

// Sequential specifications of the csp primitives, for porcupine.
//
// A call that may block is recorded as two operations with the same call
// and return times, the way linearizability is defined for blocking ("dual")
// data structures: a request, at which the caller is served at once or
// joins the primitive's queue, and a completion, at which it learns the
// outcome. Both take effect at some instant within the call, request first.
// This is what lets a model say "the oldest waiter is served first", or "a
// cancelled waiter leaves no trace", about calls that overlap in time. The
// request carries the call's outcome too, because a call whose context has
// ended when it begins returns ctx.Err() without touching the primitive,
// even a free one: at its request such a call gives up, which the model
// can only tell from the outcome.
//
// Whether a context ended before the call began is recorded (op.ctxDone),
// and such a call must give up. For any other call reported as cancelled,
// the model cannot know whether the context ended as the call began or
// while it waited, so it accepts either: giving up at the request with no
// effect, or waiting and leaving the queue as if it had never joined.
//
// Model states are comparable structs (queues are strings of client
// numbers, oldest first), so porcupine compares them with == and hashes
// them with maphash.Comparable. The models are pure: Step never changes the
// state it is given.

import (
	"fmt"
	"hash/maphash"
	"strings"
	"testing"

	"github.com/anishathalye/porcupine"
)

// maxClients bounds the client numbers a history may use.
const maxClients = 8

var stateSeed = maphash.MakeSeed()

// A clientQueue holds client numbers, oldest first.
type clientQueue string

func (q clientQueue) push(c int) clientQueue { return q + clientQueue(rune('0'+c)) }

func (q clientQueue) has(c int) bool { return strings.ContainsRune(string(q), rune('0'+c)) }

func (q clientQueue) front() int { return int(q[0] - '0') }

func (q clientQueue) without(c int) clientQueue {
	return clientQueue(strings.Replace(string(q), string(rune('0'+c)), "", 1))
}

// op is the input of every operation: what was called, by which client.
type op struct {
	name    string
	client  int
	arg     int  // a value sent or set, a number of permits
	ctxDone bool // the call's context had ended before the call began
}

func (o op) String() string {
	s := fmt.Sprintf("%d: %s", o.client, o.name)
	if o.arg != 0 {
		s += fmt.Sprintf("(%d)", o.arg)
	}
	if o.ctxDone {
		s += " [ctx done]"
	}
	return s
}

// Outcomes of a blocking call's completion, and of other calls.
const (
	outOK        = "ok"
	outCancelled = "cancelled" // ctx ended
	outClosed    = "closed"    // ErrClosed
)

// newModel fills in what every model shares.
func newModel[S comparable](init S, step func(s S, in op, out any) (bool, S)) porcupine.Model {
	return porcupine.Model{
		Init: func() any { return init },
		Step: func(state, input, output any) (bool, any) {
			ok, next := step(state.(S), input.(op), output)
			return ok, next
		},
		Hash: func(state any) uint64 { return maphash.Comparable(stateSeed, state.(S)) },
		DescribeOperation: func(input, output any) string {
			if output == nil {
				return input.(op).String()
			}
			return fmt.Sprintf("%v -> %v", input, output)
		},
		DescribeState: func(state any) string { return fmt.Sprintf("%+v", state) },
	}
}

// Notify: NotifyOne serves the oldest waiter or stores the one permit;
// NotifyWaiters serves every waiter and stores nothing; a waiter served by
// NotifyOne that reports cancellation passes the notification on; a wait
// that gives up at once leaves the permit.

const (
	wokenByOne = 1 + iota
	wokenByAll
	wokenByPermit
	gaveUpAtOnce // its context had ended as the call began
)

type notifyModelState struct {
	permit bool
	queue  clientQueue
	woken  [maxClients]byte
}

func (s notifyModelState) notifyOne() notifyModelState {
	if s.queue == "" {
		s.permit = true
		return s
	}
	s.woken[s.queue.front()] = wokenByOne
	s.queue = s.queue[1:]
	return s
}

var notifyModel = newModel(notifyModelState{}, func(s notifyModelState, in op, out any) (bool, notifyModelState) {
	c := in.client
	switch in.name {
	case "wait":
		if s.queue.has(c) || s.woken[c] != 0 {
			return false, s
		}
		if in.ctxDone || out == outCancelled && s.permit {
			s.woken[c] = gaveUpAtOnce // and the permit stays
			return true, s
		}
		if s.permit {
			s.permit = false
			s.woken[c] = wokenByPermit
		} else {
			s.queue = s.queue.push(c)
		}
		return true, s
	case "wait-done":
		woken := s.woken[c]
		s.woken[c] = 0
		switch {
		case woken == gaveUpAtOnce:
			return out == outCancelled, s
		case out == outOK:
			return woken != 0, s
		case s.queue.has(c):
			s.queue = s.queue.without(c)
			return true, s
		case woken == wokenByOne:
			return true, s.notifyOne()
		default:
			return woken == wokenByAll, s
		}
	case "notify-one":
		return true, s.notifyOne()
	case "notify-waiters":
		for ; s.queue != ""; s.queue = s.queue[1:] {
			s.woken[s.queue.front()] = wokenByAll
		}
		return true, s
	}
	panic("notify model: unknown operation " + in.name)
})

// Mutex: a free mutex goes to whoever asks with a live context, a held one
// to the oldest waiter when it is unlocked; TryLock succeeds exactly when it
// is free.

type mutexModelState struct {
	holder int // -1: free
	queue  clientQueue
	gaveUp [maxClients]bool // a Lock whose context had ended as it began
}

var mutexModel = newModel(mutexModelState{holder: -1}, func(s mutexModelState, in op, out any) (bool, mutexModelState) {
	c := in.client
	switch in.name {
	case "lock":
		switch {
		case in.ctxDone || out == outCancelled && s.holder == -1:
			s.gaveUp[c] = true
		case s.holder == -1:
			s.holder = c
		default:
			s.queue = s.queue.push(c)
		}
		return true, s
	case "lock-done":
		if s.gaveUp[c] {
			s.gaveUp[c] = false
			return out == outCancelled, s
		}
		if out == outOK {
			return s.holder == c, s
		}
		if !s.queue.has(c) {
			return false, s
		}
		s.queue = s.queue.without(c)
		return true, s
	case "trylock":
		if out.(bool) != (s.holder == -1) {
			return false, s
		}
		if s.holder == -1 {
			s.holder = c
		}
		return true, s
	case "unlock":
		if s.holder != c {
			return false, s
		}
		s.holder = -1
		if s.queue != "" {
			s.holder, s.queue = s.queue.front(), s.queue[1:]
		}
		return true, s
	}
	panic("mutex model: unknown operation " + in.name)
})

// RWMutex: one FIFO queue of readers and writers; the front is served as
// soon as the lock allows, a run of readers together; a cancelled waiter
// leaves and the ones behind it are served if they now can.

const (
	holdsRead = 1 + iota
	holdsWrite
)

type rwModelState struct {
	readers int
	writer  bool
	queue   clientQueue // client numbers; kinds[c] says reader or writer
	kinds   [maxClients]byte
	holds   [maxClients]byte
	gaveUp  [maxClients]bool // a call whose context had ended as it began
}

func (s rwModelState) admit() rwModelState {
	for s.queue != "" && !s.writer {
		c := s.queue.front()
		if s.kinds[c] == holdsWrite {
			if s.readers > 0 {
				break
			}
			s.writer = true
		} else {
			s.readers++
		}
		s.holds[c], s.kinds[c] = s.kinds[c], 0
		s.queue = s.queue[1:]
	}
	return s
}

var rwMutexModel = newModel(rwModelState{}, func(s rwModelState, in op, out any) (bool, rwModelState) {
	c := in.client
	free := func(kind byte) bool {
		return s.queue == "" && !s.writer && (kind == holdsRead || s.readers == 0)
	}
	take := func(kind byte) rwModelState {
		if kind == holdsWrite {
			s.writer = true
		} else {
			s.readers++
		}
		s.holds[c] = kind
		return s
	}
	kind := byte(holdsRead)
	switch in.name {
	case "lock", "lock-done", "trylock", "unlock":
		kind = holdsWrite
	}
	switch in.name {
	case "rlock", "lock":
		if s.holds[c] != 0 || s.queue.has(c) {
			return false, s
		}
		if in.ctxDone || out == outCancelled && free(kind) {
			s.gaveUp[c] = true
			return true, s
		}
		if free(kind) {
			return true, take(kind)
		}
		s.queue = s.queue.push(c)
		s.kinds[c] = kind
		return true, s
	case "rlock-done", "lock-done":
		if s.gaveUp[c] {
			s.gaveUp[c] = false
			return out == outCancelled, s
		}
		if out == outOK {
			return s.holds[c] == kind, s
		}
		if !s.queue.has(c) {
			return false, s
		}
		s.queue = s.queue.without(c)
		s.kinds[c] = 0
		return true, s.admit()
	case "tryrlock", "trylock":
		if out.(bool) != free(kind) {
			return false, s
		}
		if out.(bool) {
			s = take(kind)
		}
		return true, s
	case "runlock", "unlock":
		if s.holds[c] != kind {
			return false, s
		}
		s.holds[c] = 0
		if kind == holdsWrite {
			s.writer = false
		} else {
			s.readers--
		}
		return true, s.admit()
	}
	panic("rwmutex model: unknown operation " + in.name)
})

// Semaphore, as its documentation describes it. The line is served first
// come, first served, all or nothing. A single-permit acquire that finds
// nobody in line takes a free permit at once. An acquire of several permits,
// and a TryAcquireN, join the line and hold its head (the gate) while they
// collect; a TryAcquireN that finds somebody in line fails at once, and
// otherwise takes its permits if they are free when it collects. An acquire
// is served at its completion, at the front of the line with enough permits
// free. A TryAcquireN decides at one instant and leaves the line at a later
// one, so it is recorded as three steps: "try" (join the line or fail),
// "try-done" (decide: take the permits if they are free) and "try-leave".
// Close fails every waiting and later acquire, and an acquire that overlaps
// Close may fail even after it collected its permits (it gives them back,
// and until then they count as held). ReleaseN(k) gives its
// permits back one at a time (it is recorded as k releases of one).
// Available counts the permits collected by the head of the line as held,
// so it may be below the model's free count by at most what the line waits
// for, and once closed by one more (the closed token being passed on).

const (
	semQueued = 1 + iota
	semGranted
	semRefused // asked after Close, or a TryAcquireN that found a line
	semDecided // a TryAcquireN that decided and has not left the line yet
	semGaveUp  // an acquire whose context had ended as it began
)

type semModelState struct {
	held   int // permits held by clients
	closed bool
	queue  clientQueue
	need   [maxClients]byte
	status [maxClients]byte
	holds  [maxClients]byte
}

func (s semModelState) leave(c int) semModelState {
	s.queue = s.queue.without(c)
	s.need[c] = 0
	return s
}

func (s semModelState) take(c, k int) semModelState {
	s.held += k
	s.holds[c] += byte(k)
	return s
}

func semaphoreModel(capacity int) porcupine.Model {
	return newModel(semModelState{}, func(s semModelState, in op, out any) (bool, semModelState) {
		c, k := in.client, in.arg
		free := capacity - s.held
		if in.name == "acquire" || in.name == "try" { // a request
			if s.status[c] != 0 {
				return false, s
			}
			switch {
			case in.name == "acquire" && (in.ctxDone || out == outCancelled &&
				(s.closed || k == 1 && s.queue == "" && free >= 1)):
				// Cancelled where it would have been served or refused at
				// once: the context ended first, and it wins over Close.
				s.status[c] = semGaveUp
			case s.closed || (in.name == "try" && s.queue != ""):
				s.status[c] = semRefused
			case in.name == "acquire" && k == 1 && s.queue == "" && free >= 1:
				s = s.take(c, 1)
				s.status[c] = semGranted
			default:
				s.queue = s.queue.push(c)
				s.need[c] = byte(k)
				s.status[c] = semQueued
			}
			return true, s
		}
		status := s.status[c]
		s.status[c] = 0
		switch in.name {
		case "try-leave":
			if status == semDecided {
				return true, s.leave(c)
			}
			return status == semRefused, s
		case "acquire-done":
			switch {
			case status == semGaveUp:
				return out == outCancelled, s
			case status == semGranted:
				if out == outClosed && s.closed {
					// Closed while the permit was in hand: given back.
					return true, s.take(c, -1)
				}
				return out == outOK, s
			case status == semRefused:
				return out == outClosed, s
			case status != semQueued:
				return false, s
			case out == outOK:
				need := int(s.need[c])
				if s.closed || s.queue.front() != c || free < need {
					return false, s
				}
				s = s.take(c, need)
			case out == outClosed && !s.closed:
				return false, s
			}
			return true, s.leave(c)
		case "try-done":
			s.status[c] = status
			switch {
			case status == semRefused:
				return out == false, s
			case status != semQueued || s.queue.front() != c:
				return false, s
			case out == true:
				if free < int(s.need[c]) || s.closed {
					return false, s
				}
				s = s.take(c, int(s.need[c]))
			case free >= int(s.need[c]) && !s.closed:
				return false, s
			default:
				// Failed, but until it leaves the line it may still hold
				// permits it collected before it found too few (or found
				// Close): Available may count up to need of them as held.
				s.status[c] = semDecided
				return true, s
			}
			s.need[c] = 0
			s.status[c] = semDecided
			return true, s
		case "release":
			if s.holds[c] == 0 {
				return false, s
			}
			s.held--
			s.holds[c]--
			return true, s
		case "available":
			waiting := 0
			for i := range s.queue {
				waiting += int(s.need[s.queue[i]-'0'])
			}
			if s.closed {
				waiting++ // the closed token in transit: one low, as documented
			}
			r := out.(int)
			return r <= free && r >= free-waiting && r >= 0, s
		case "close":
			s.closed = true
			return true, s
		}
		panic("semaphore model: unknown operation " + in.name)
	})
}

// Barrier: arrivals gather in the current generation; the n-th releases
// all of them and leads; a waiter that reports cancellation was not
// released and withdraws.

const (
	barrierPassed = 1 + iota
	barrierLeader
	barrierGaveUp // its context had ended as the call began: it never arrived
)

type barrierModelState struct {
	arrived  clientQueue
	released [maxClients]byte
}

func barrierModel(n int) porcupine.Model {
	return newModel(barrierModelState{}, func(s barrierModelState, in op, out any) (bool, barrierModelState) {
		c := in.client
		switch in.name {
		case "wait":
			if s.arrived.has(c) || s.released[c] != 0 {
				return false, s
			}
			if in.ctxDone || out == outCancelled && len(s.arrived) == n-1 {
				s.released[c] = barrierGaveUp
				return true, s
			}
			s.arrived = s.arrived.push(c)
			if len(s.arrived) == n {
				for i := range s.arrived {
					s.released[s.arrived[i]-'0'] = barrierPassed
				}
				s.released[c] = barrierLeader
				s.arrived = ""
			}
			return true, s
		case "wait-done":
			released := s.released[c]
			s.released[c] = 0
			if released == barrierGaveUp {
				return out == outCancelled, s
			}
			switch out {
			case "leader":
				return released == barrierLeader, s
			case "passed":
				return released == barrierPassed, s
			}
			if !s.arrived.has(c) {
				return false, s
			}
			s.arrived = s.arrived.without(c)
			return true, s
		}
		panic("barrier model: unknown operation " + in.name)
	})
}

// OnceCell: a register written at most once. GetOrInit returns the value if
// there is one, or sets its own init's value; it fails only while the cell
// is empty. The inits themselves are recorded too, as an event when each
// starts and one when it ends, each at a single instant; at most one init
// may run at a time, and none for a GetOrInit whose context had ended.

type onceModelState struct {
	set          bool
	value        int
	initializing int // 1 + the client whose init runs, or 0
}

// onceResult is the output of get and get-or-init: the value, and whether
// there was one (for get-or-init: whether it returned without error).
type onceResult struct {
	value int
	ok    bool
}

var onceCellModel = newModel(onceModelState{}, func(s onceModelState, in op, out any) (bool, onceModelState) {
	switch in.name {
	case "get":
		r := out.(onceResult)
		return r.ok == s.set && (!r.ok || r.value == s.value), s
	case "set":
		if out == outOK {
			ok := !s.set
			s.set, s.value = true, in.arg
			return ok, s
		}
		return s.set, s
	case "init-start":
		if in.ctxDone { // a GetOrInit whose context had ended runs no init
			return false, s
		}
		ok := s.initializing == 0
		s.initializing = 1 + in.client
		return ok, s
	case "init-end":
		ok := s.initializing == 1+in.client
		s.initializing = 0
		return ok, s
	case "get-or-init": // arg: the value this caller's init returns if it runs and succeeds
		r := out.(onceResult)
		switch {
		case !r.ok:
			return !s.set, s
		case s.set:
			return r.value == s.value, s
		case in.ctxDone: // an empty cell, and no init may run
			return false, s
		default:
			s.set, s.value = true, in.arg
			return r.value == in.arg, s
		}
	}
	panic("oncecell model: unknown operation " + in.name)
})

// Watch: one value and its version; each watcher's Changed reports and marks
// seen a version it has not seen, fails with ErrClosed once it has seen the
// last one after Close, and when cancelled marks nothing seen.

type watchModelState struct {
	value   int
	version int
	closed  bool
	seen    [maxClients]int
}

var watchModel = newModel(watchModelState{}, func(s watchModelState, in op, out any) (bool, watchModelState) {
	c := in.client
	switch in.name {
	case "send":
		s.value = in.arg
		s.version++
		return !s.closed, s
	case "borrow":
		return out.(int) == s.value, s
	case "subscribe":
		s.seen[c] = s.version
		return true, s
	case "changed":
		if in.ctxDone {
			return out == outCancelled, s // and nothing is marked seen
		}
		switch out {
		case outOK:
			ok := s.seen[c] != s.version
			s.seen[c] = s.version
			return ok, s
		case outClosed:
			return s.seen[c] == s.version && s.closed, s
		default:
			// Cancelled: nothing new while it waited, or its context ended
			// as it began, whatever the Watch held.
			return true, s
		}
	case "close":
		s.closed = true
		return true, s
	}
	panic("watch model: unknown operation " + in.name)
})

// Broadcast, per subscriber: the history is split into one history per
// subscriber, holding that subscriber's calls and every Send and Close. The
// model keeps the values sent since the subscriber subscribed that a
// capacity-sized ring still holds, and its position; a cancelled Recv
// consumes nothing.

const maxBroadcastCapacity = 8

type broadcastModelState struct {
	subscribed, unsubscribed, closed bool
	sent, next                       int // values sent since subscribing; number of the next to receive
	ring                             [maxBroadcastCapacity]int
}

// recvResult is the output of recv: a value, or how many values were missed,
// or why there was none.
type recvResult struct {
	value  int
	missed int
	err    string // "", outCancelled or outClosed
}

func broadcastModel(capacity int) porcupine.Model {
	m := newModel(broadcastModelState{}, func(s broadcastModelState, in op, out any) (bool, broadcastModelState) {
		active := s.subscribed && !s.unsubscribed
		switch in.name {
		case "send":
			if s.closed {
				return false, s
			}
			if active {
				s.ring[s.sent%capacity] = in.arg
				s.sent++
				return out.(int) >= 1, s
			}
			return true, s
		case "subscribe":
			s.subscribed = true
			return true, s
		case "unsubscribe":
			s.unsubscribed = true
			return true, s
		case "close":
			s.closed = true
			return true, s
		case "recv":
			r := out.(recvResult)
			lag := s.sent - s.next - capacity
			switch {
			case in.ctxDone:
				return r.err == outCancelled, s // and nothing is consumed
			case r.err == outClosed:
				return s.unsubscribed || (s.closed && s.next == s.sent), s
			case r.err == outCancelled:
				// Nothing to receive while it waited, or its context ended
				// as it began, whatever was kept for it.
				return true, s
			case !active:
				return false, s
			case r.missed > 0:
				s.next += lag
				return lag == r.missed, s
			default:
				ok := lag <= 0 && s.next < s.sent && s.ring[s.next%capacity] == r.value
				s.next++
				return ok, s
			}
		}
		panic("broadcast model: unknown operation " + in.name)
	})
	m.Partition = func(history []porcupine.Operation) [][]porcupine.Operation {
		subscribers := map[int][]porcupine.Operation{}
		var shared []porcupine.Operation
		for _, o := range history {
			switch in := o.Input.(op); in.name {
			case "send", "close":
				shared = append(shared, o)
			default:
				subscribers[in.client] = append(subscribers[in.client], o)
			}
		}
		var parts [][]porcupine.Operation
		for c := range maxClients {
			if own := subscribers[c]; own != nil {
				parts = append(parts, append(own, shared...))
			}
		}
		return parts
	}
	return m
}

// at builds one operation of a hand-written history.
func at(client int, name string, arg int, call, ret int64, out any) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Input: op{name: name, client: client, arg: arg}, Call: call, Return: ret, Output: out}
}

// twoSteps builds the request and completion of a blocking call, both
// carrying its outcome, as recorder.blocking does.
func twoSteps(client int, name string, arg int, call, ret int64, out any) []porcupine.Operation {
	return []porcupine.Operation{at(client, name, arg, call, ret, out), at(client, name+"-done", arg, call, ret, out)}
}

// ctxDone marks calls as made with a context that had already ended.
func ctxDone(calls ...porcupine.Operation) []porcupine.Operation {
	for i := range calls {
		in := calls[i].Input.(op)
		in.ctxDone = true
		calls[i].Input = in
	}
	return calls
}

func ops(parts ...any) []porcupine.Operation {
	var h []porcupine.Operation
	for _, p := range parts {
		switch p := p.(type) {
		case porcupine.Operation:
			h = append(h, p)
		case []porcupine.Operation:
			h = append(h, p...)
		}
	}
	return h
}

// TestModelsRejectViolations gives each model small histories that break
// the primitive's rules, each next to a legal history that differs in one
// place, so that every model is seen to fail where it should and only there.
func TestModelsRejectViolations(t *testing.T) {
	cases := []struct {
		name    string
		model   porcupine.Model
		legal   bool
		history []porcupine.Operation
	}{
		{"notify: a wait after NotifyOne takes the permit", notifyModel, true, ops(
			at(0, "notify-one", 0, 1, 2, nil), twoSteps(1, "wait", 0, 3, 4, outOK))},
		{"notify: a wait with a done ctx takes the permit", notifyModel, false, ops(
			at(0, "notify-one", 0, 1, 2, nil), ctxDone(twoSteps(1, "wait", 0, 3, 4, outOK)...))},
		{"notify: a wait with a done ctx leaves the permit to the next", notifyModel, true, ops(
			at(0, "notify-one", 0, 1, 2, nil), ctxDone(twoSteps(1, "wait", 0, 3, 4, outCancelled)...), twoSteps(2, "wait", 0, 5, 6, outOK))},
		{"notify: a wait with a done ctx consumes the permit", notifyModel, false, ops(
			at(0, "notify-one", 0, 1, 2, nil), ctxDone(twoSteps(1, "wait", 0, 3, 4, outCancelled)...),
			twoSteps(2, "wait", 0, 5, 6, outOK), twoSteps(3, "wait", 0, 7, 8, outOK))},
		{"notify: one NotifyOne wakes two waiters", notifyModel, false, ops(
			twoSteps(1, "wait", 0, 1, 10, outOK), twoSteps(2, "wait", 0, 2, 10, outOK), at(0, "notify-one", 0, 3, 4, nil))},
		{"notify: NotifyWaiters stores a permit", notifyModel, false, ops(
			at(0, "notify-waiters", 0, 1, 2, nil), twoSteps(1, "wait", 0, 3, 4, outOK))},
		{"notify: the chosen waiter is cancelled and passes it on", notifyModel, true, ops(
			twoSteps(1, "wait", 0, 1, 10, outCancelled), twoSteps(2, "wait", 0, 2, 11, outOK), at(0, "notify-one", 0, 3, 4, nil))},

		{"mutex: two holders", mutexModel, false, ops(
			twoSteps(0, "lock", 0, 1, 2, outOK), twoSteps(1, "lock", 0, 3, 4, outOK))},
		{"mutex: a hand-off", mutexModel, true, ops(
			twoSteps(0, "lock", 0, 1, 2, outOK), twoSteps(1, "lock", 0, 3, 8, outOK), at(0, "unlock", 0, 5, 6, nil))},
		{"mutex: TryLock of a held mutex", mutexModel, false, ops(
			twoSteps(0, "lock", 0, 1, 2, outOK), at(1, "trylock", 0, 3, 4, true))},
		{"mutex: a Lock with a done ctx takes a free mutex", mutexModel, false, ops(
			ctxDone(twoSteps(0, "lock", 0, 1, 2, outOK)...))},
		{"mutex: a Lock with a done ctx leaves the mutex free", mutexModel, true, ops(
			ctxDone(twoSteps(0, "lock", 0, 1, 2, outCancelled)...), at(1, "trylock", 0, 3, 4, true))},
		{"mutex: a Lock with a done ctx takes the mutex after all", mutexModel, false, ops(
			ctxDone(twoSteps(0, "lock", 0, 1, 2, outCancelled)...), at(1, "trylock", 0, 3, 4, false))},

		{"rwmutex: two readers", rwMutexModel, true, ops(
			twoSteps(0, "rlock", 0, 1, 2, outOK), twoSteps(1, "rlock", 0, 3, 4, outOK))},
		{"rwmutex: a reader beside a writer", rwMutexModel, false, ops(
			twoSteps(0, "lock", 0, 1, 2, outOK), twoSteps(1, "rlock", 0, 3, 4, outOK))},
		{"rwmutex: a reader may queue late behind a writer it overtook", rwMutexModel, true, ops(
			twoSteps(0, "rlock", 0, 1, 2, outOK), twoSteps(1, "lock", 0, 3, 20, outCancelled), twoSteps(3, "rlock", 0, 7, 8, outOK))},
		// A failed TryRLock while only readers hold the lock says that a
		// writer is queued: before and after the reader that got in.
		{"rwmutex: a reader admitted past a writer seen queued", rwMutexModel, false, ops(
			twoSteps(0, "rlock", 0, 1, 2, outOK), twoSteps(1, "lock", 0, 3, 20, outCancelled),
			at(2, "tryrlock", 0, 5, 6, false), twoSteps(3, "rlock", 0, 7, 8, outOK), at(2, "tryrlock", 0, 9, 10, false))},
		{"rwmutex: an RLock with a done ctx takes a free lock", rwMutexModel, false, ops(
			ctxDone(twoSteps(0, "rlock", 0, 1, 2, outOK)...))},
		{"rwmutex: a Lock with a done ctx queues", rwMutexModel, false, ops(
			twoSteps(0, "rlock", 0, 1, 2, outOK), ctxDone(twoSteps(1, "lock", 0, 3, 20, outCancelled)...),
			at(2, "tryrlock", 0, 5, 6, false))},
		{"rwmutex: a reader admitted once the writer gave up", rwMutexModel, true, ops(
			twoSteps(0, "rlock", 0, 1, 2, outOK), twoSteps(1, "lock", 0, 3, 20, outCancelled),
			at(2, "tryrlock", 0, 5, 6, false), twoSteps(3, "rlock", 0, 7, 8, outOK), at(2, "tryrlock", 0, 9, 10, true))},

		{"semaphore: TryAcquire of a permit held by another", semaphoreModel(2), false, ops(
			twoSteps(0, "acquire", 2, 1, 2, outOK), at(1, "try", 1, 3, 4, nil), at(1, "try-done", 1, 3, 4, true), at(1, "try-leave", 1, 3, 4, nil))},
		// Available() = 0 with one permit of two held says that the acquire
		// of two is in line (at its head, holding the other): before and
		// after the acquire of one, which therefore overtook it.
		{"semaphore: an acquire overtakes a larger one ahead of it", semaphoreModel(2), false, ops(
			twoSteps(0, "acquire", 1, 1, 2, outOK), twoSteps(1, "acquire", 2, 3, 30, outCancelled),
			at(2, "available", 0, 5, 6, 0), twoSteps(3, "acquire", 1, 7, 8, outOK),
			at(0, "release", 1, 9, 10, nil), at(2, "available", 0, 11, 12, 0))},
		{"semaphore: an acquire served after a larger one gave up", semaphoreModel(2), true, ops(
			twoSteps(0, "acquire", 1, 1, 2, outOK), twoSteps(1, "acquire", 2, 3, 30, outCancelled),
			at(2, "available", 0, 5, 6, 0), twoSteps(3, "acquire", 1, 7, 8, outOK),
			at(0, "release", 1, 9, 10, nil), at(2, "available", 0, 11, 12, 1))},
		{"semaphore: an acquire fails at Close", semaphoreModel(1), true, ops(
			twoSteps(0, "acquire", 1, 1, 2, outOK), twoSteps(1, "acquire", 1, 3, 10, outClosed), at(2, "close", 0, 5, 6, nil))},
		{"semaphore: an acquire with a done ctx takes a free permit", semaphoreModel(1), false, ops(
			ctxDone(twoSteps(0, "acquire", 1, 1, 2, outOK)...))},
		{"semaphore: an acquire with a done ctx after Close reports the ctx", semaphoreModel(1), true, ops(
			at(0, "close", 0, 1, 2, nil), ctxDone(twoSteps(1, "acquire", 1, 3, 4, outCancelled)...))},
		{"semaphore: an acquire with a done ctx after Close reports Close", semaphoreModel(1), false, ops(
			at(0, "close", 0, 1, 2, nil), ctxDone(twoSteps(1, "acquire", 1, 3, 4, outClosed)...))},
		{"semaphore: an acquire succeeds after Close", semaphoreModel(1), false, ops(
			twoSteps(0, "acquire", 1, 1, 2, outOK), twoSteps(1, "acquire", 1, 3, 10, outOK), at(2, "close", 0, 5, 6, nil), at(0, "release", 1, 7, 8, nil))},

		{"barrier: a leader alone", barrierModel(2), false, ops(twoSteps(0, "wait", 0, 1, 2, "leader"))},
		{"barrier: a generation without a leader", barrierModel(2), false, ops(
			twoSteps(0, "wait", 0, 1, 10, "passed"), twoSteps(1, "wait", 0, 2, 10, "passed"))},
		{"barrier: a generation", barrierModel(2), true, ops(
			twoSteps(0, "wait", 0, 1, 10, "passed"), twoSteps(1, "wait", 0, 2, 10, "leader"))},
		{"barrier: an arrival with a done ctx completes the generation", barrierModel(2), false, ops(
			twoSteps(0, "wait", 0, 1, 10, "passed"), ctxDone(twoSteps(1, "wait", 0, 2, 3, "leader")...))},
		{"barrier: a call with a done ctx does not arrive", barrierModel(2), true, ops(
			twoSteps(0, "wait", 0, 1, 10, "passed"), ctxDone(twoSteps(1, "wait", 0, 2, 3, outCancelled)...),
			twoSteps(2, "wait", 0, 4, 5, "leader"))},
		{"barrier: a withdrawn arrival counted", barrierModel(2), false, ops(
			twoSteps(0, "wait", 0, 1, 2, outCancelled), twoSteps(1, "wait", 0, 3, 4, "leader"))},

		{"oncecell: Get sees another value than the one set", onceCellModel, false, ops(
			at(0, "set", 1, 1, 2, outOK), at(1, "get", 0, 3, 4, onceResult{2, true}))},
		{"oncecell: two inits both win", onceCellModel, false, ops(
			at(0, "get-or-init", 5, 1, 2, onceResult{5, true}), at(1, "get-or-init", 6, 3, 4, onceResult{6, true}))},
		{"oncecell: the second gets the first's value", onceCellModel, true, ops(
			at(0, "get-or-init", 5, 1, 2, onceResult{5, true}), at(1, "get-or-init", 6, 3, 4, onceResult{5, true}))},
		{"oncecell: an init fails on a set cell", onceCellModel, false, ops(
			at(0, "set", 1, 1, 2, outOK), at(1, "get-or-init", 6, 3, 4, onceResult{}))},
		{"oncecell: a GetOrInit with a done ctx fills the cell", onceCellModel, false, ops(
			ctxDone(at(0, "get-or-init", 5, 1, 2, onceResult{5, true})))},
		{"oncecell: a GetOrInit with a done ctx runs init", onceCellModel, false, ops(
			ctxDone(at(0, "get-or-init", 5, 1, 10, onceResult{}), at(0, "init-start", 0, 2, 2, nil)), at(0, "init-end", 0, 3, 3, nil))},
		{"oncecell: a GetOrInit with a done ctx gets the value set", onceCellModel, true, ops(
			at(0, "set", 1, 1, 2, outOK), ctxDone(at(1, "get-or-init", 6, 3, 4, onceResult{1, true})))},
		{"oncecell: two inits at once", onceCellModel, false, ops(
			at(0, "get-or-init", 5, 1, 10, onceResult{5, true}), at(0, "init-start", 0, 2, 2, nil), at(0, "init-end", 0, 5, 5, nil),
			at(1, "get-or-init", 6, 3, 10, onceResult{5, true}), at(1, "init-start", 0, 4, 4, nil), at(1, "init-end", 0, 6, 6, nil))},
		{"oncecell: two inits in turn", onceCellModel, true, ops(
			at(0, "get-or-init", 5, 1, 10, onceResult{5, true}), at(0, "init-start", 0, 2, 2, nil), at(0, "init-end", 0, 4, 4, nil),
			at(1, "get-or-init", 6, 3, 10, onceResult{5, true}), at(1, "init-start", 0, 5, 5, nil), at(1, "init-end", 0, 6, 6, nil))},

		{"watch: a Changed with a done ctx reports a change", watchModel, false, ops(
			at(1, "subscribe", 0, 1, 2, nil), at(0, "send", 1, 3, 4, nil), ctxDone(at(1, "changed", 0, 5, 6, outOK)))},
		{"watch: a Changed with a done ctx marks nothing seen", watchModel, true, ops(
			at(1, "subscribe", 0, 1, 2, nil), at(0, "send", 1, 3, 4, nil), ctxDone(at(1, "changed", 0, 5, 6, outCancelled)),
			at(1, "changed", 0, 7, 8, outOK))},
		{"watch: a Changed with a done ctx marks the change seen", watchModel, false, ops(
			at(1, "subscribe", 0, 1, 2, nil), at(0, "send", 1, 3, 4, nil), ctxDone(at(1, "changed", 0, 5, 6, outCancelled)),
			at(0, "close", 0, 7, 8, nil), at(1, "changed", 0, 9, 10, outClosed))},
		{"watch: one change reported twice", watchModel, false, ops(
			at(1, "subscribe", 0, 1, 2, nil), at(0, "send", 1, 3, 4, nil), at(1, "changed", 0, 5, 6, outOK), at(1, "changed", 0, 7, 8, outOK))},
		{"watch: a slow watcher sees the latest", watchModel, true, ops(
			at(1, "subscribe", 0, 1, 2, nil), at(0, "send", 1, 3, 4, nil), at(0, "send", 2, 5, 6, nil),
			at(1, "changed", 0, 7, 8, outOK), at(1, "borrow", 0, 9, 10, 2))},

		{"broadcast: a value skipped", broadcastModel(2), false, ops(
			at(1, "subscribe", 0, 1, 2, nil), at(0, "send", 10, 3, 4, 1), at(0, "send", 11, 5, 6, 1), at(1, "recv", 0, 7, 8, recvResult{value: 11}))},
		{"broadcast: a lag miscounted", broadcastModel(2), false, ops(
			at(1, "subscribe", 0, 1, 2, nil), at(0, "send", 10, 3, 4, 1), at(0, "send", 11, 5, 6, 1), at(0, "send", 12, 7, 8, 1),
			at(1, "recv", 0, 9, 10, recvResult{missed: 2}))},
		{"broadcast: a Recv with a done ctx gets a value", broadcastModel(2), false, ops(
			at(1, "subscribe", 0, 1, 2, nil), at(0, "send", 10, 3, 4, 1), ctxDone(at(1, "recv", 0, 5, 6, recvResult{value: 10})))},
		{"broadcast: a Recv with a done ctx consumes a value", broadcastModel(2), false, ops(
			at(1, "subscribe", 0, 1, 2, nil), at(0, "send", 10, 3, 4, 1), at(0, "send", 11, 5, 6, 1),
			ctxDone(at(1, "recv", 0, 7, 8, recvResult{err: outCancelled})), at(1, "recv", 0, 9, 10, recvResult{value: 11}))},
		{"broadcast: a Recv with a done ctx leaves the value", broadcastModel(2), true, ops(
			at(1, "subscribe", 0, 1, 2, nil), at(0, "send", 10, 3, 4, 1), at(0, "send", 11, 5, 6, 1),
			ctxDone(at(1, "recv", 0, 7, 8, recvResult{err: outCancelled})), at(1, "recv", 0, 9, 10, recvResult{value: 10}))},
		{"broadcast: a lag counted", broadcastModel(2), true, ops(
			at(1, "subscribe", 0, 1, 2, nil), at(0, "send", 10, 3, 4, 1), at(0, "send", 11, 5, 6, 1), at(0, "send", 12, 7, 8, 1),
			at(1, "recv", 0, 9, 10, recvResult{missed: 1}), at(1, "recv", 0, 11, 12, recvResult{value: 11}))},
	}
	for _, c := range cases {
		if got := porcupine.CheckOperations(c.model, c.history); got != c.legal {
			t.Errorf("%s: linearizable = %v, want %v", c.name, got, c.legal)
		}
	}
}
