package async

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// actorShared is the part of an actor that the outside goroutines and the
// checks see, under its lock.
type actorShared struct {
	lock    chan struct{}
	signals int   // signals sent
	waker   Waker // left by the last poll, for the signallers
	inPoll  bool
	done    bool // Poll returned Ready
	drops   int
	polls   int
	bad     string // the first rule the runtime broke with this actor
	// The actor's own progress, copied here at the end of each poll for
	// the report of a round that hangs.
	read, seen, fires int
	registered        bool
}

func (s *actorShared) breach(what string) {
	if s.bad == "" {
		s.bad = what
	}
}

// actor is the future of one task of the harness.
type actor struct {
	sh         *actorShared
	quiet      chan struct{} // closed for phase two (see runWakeupRound)
	r          *Reactor
	fd         int
	rng        *rand.Rand
	registered bool
	read       int
	seen       int // signals seen
	fires      int
	armed      bool
	timer      Timer
	buf        [8]byte
}

func (a *actor) Poll(cx *Context) (int, bool) {
	sh := a.sh
	sh.lock <- struct{}{}
	switch {
	case sh.done:
		sh.breach("polled after it returned Ready")
	case sh.drops > 0:
		sh.breach("polled after it was dropped")
	case sh.inPoll:
		sh.breach("polled by two goroutines at once")
	}
	sh.inPoll = true
	sh.polls++
	// The waker for signals is left before the count is read, under the
	// same lock: a signal sent after this poll looked wakes this waker.
	sh.waker = cx.Waker()
	a.seen = sh.signals
	<-sh.lock
	defer a.endPoll()

	if err := a.register(cx); err != nil {
		a.fail(err.Error())
		return 0, true
	}
	if a.rng.IntN(16) == 0 {
		time.Sleep(time.Duration(a.rng.IntN(200)) * time.Microsecond) // a slow poll
	}
	for i := 0; ; i++ {
		if i == readBudget {
			cx.Waker().Wake() // yield, and be polled again
			return 0, false
		}
		n, err := readFD(a.fd, a.buf[:1+a.rng.IntN(len(a.buf))])
		if n > 0 {
			a.read += n
			continue
		}
		if err == nil {
			a.fail("its socket ended")
			return 0, true
		}
		break // EAGAIN: the next readable edge wakes it
	}
	if a.armed && a.r.PollTimer(&a.timer, cx) {
		a.armed = false
		a.fires++
	}
	switch {
	case a.fires < actorFires && (!a.armed || a.rng.IntN(4) == 0):
		// Arm or move the timer: up to 2ms ahead, sometimes already
		// past, sometimes earlier than what it was set for.
		d := time.Duration(a.rng.IntN(2500)-500) * time.Microsecond
		a.r.ResetTimer(&a.timer, a.r.Now().Add(d), cx.Waker())
		a.armed = true
	case a.read == actorBytes && a.fires == actorFires && !a.armed:
		// The last byte is in: one more timer, armed in phase two's
		// quiet, when the reactor may be asleep with no timer at all.
		d := time.Duration(1000+a.rng.IntN(2000)) * time.Microsecond
		a.r.ResetTimer(&a.timer, a.r.Now().Add(d), cx.Waker())
		a.armed = true
	}
	if a.read == actorBytes && a.seen == actorSignals && a.fires == actorFires+1 {
		a.release()
		sh.lock <- struct{}{}
		sh.done = true
		<-sh.lock
		return a.read, true
	}
	if a.read > actorBytes {
		a.fail(fmt.Sprintf("read %d bytes of %d", a.read, actorBytes))
		return 0, true
	}
	return 0, false
}

// register hands the socket to the reactor on the first poll, before the
// first read, and afterwards now and then re-registers it (a new waker, a
// changed interest, or a Deregister and a Register), which must lose no
// readiness either. It does not in phase two: a registration that
// re-arms the edge reports the socket's readiness anew, which would hide
// readiness the reactor lost.
func (a *actor) register(cx *Context) error {
	r := a.r
	switch {
	case !a.registered:
		a.registered = true
		return r.Register(a.fd, Readable, cx.Waker())
	case isClosed(a.quiet):
		return nil
	case a.rng.IntN(8) == 0:
		interest := Readable
		if a.rng.IntN(2) == 0 {
			interest |= Writable // always writable: a spurious edge
		}
		return r.Reregister(a.fd, interest, cx.Waker())
	case a.rng.IntN(16) == 0:
		if err := r.Deregister(a.fd); err != nil {
			return err
		}
		return r.Register(a.fd, Readable, cx.Waker())
	}
	return nil
}

// release gives back the registration and the timer.
func (a *actor) release() {
	if a.registered {
		a.r.Deregister(a.fd)
		a.registered = false
	}
	if a.armed {
		a.r.StopTimer(&a.timer)
		a.armed = false
	}
}

func (a *actor) fail(what string) {
	a.release()
	a.sh.lock <- struct{}{}
	a.sh.breach(what)
	a.sh.done = true
	<-a.sh.lock
}

func (a *actor) endPoll() {
	sh := a.sh
	sh.lock <- struct{}{}
	sh.inPoll = false
	sh.read, sh.seen, sh.fires, sh.registered = a.read, a.seen, a.fires, a.registered
	<-sh.lock
}

func (a *actor) Drop() {
	sh := a.sh
	sh.lock <- struct{}{}
	switch {
	case sh.inPoll:
		sh.breach("dropped during a poll")
	case sh.done:
		sh.breach("dropped after it returned Ready")
	}
	sh.drops++
	<-sh.lock
	a.release()
}

// A reactorHold holds the reactor's goroutine up in a waker, so that what
// happens meanwhile piles up for the reactor to find all at once.
type reactorHold struct {
	t            *testing.T
	r            *Reactor
	gate, opener int
	entered, let chan struct{}
}

// newReactorHold registers a socketpair's end with r as the gate; the
// caller closes h.gate and h.opener.
func newReactorHold(t *testing.T, r *Reactor) *reactorHold {
	gate, opener, err := socketpair()
	if err != nil {
		t.Fatal(err)
	}
	h := &reactorHold{t: t, r: r, gate: gate, opener: opener, entered: make(chan struct{}, 1), let: make(chan struct{})}
	if err := r.Register(gate, Readable, NewWaker(WakerFunc(func() {
		h.entered <- struct{}{}
		<-h.let
	}))); err != nil {
		t.Fatal(err)
	}
	return h
}

// hold returns once the reactor's goroutine waits in the gate's waker.
func (h *reactorHold) hold() {
	h.t.Helper()
	if _, err := writeOnce(h.opener, []byte("x")); err != nil {
		h.t.Fatal(err)
	}
	select {
	case <-h.entered:
	case <-time.After(10 * time.Second):
		h.t.Fatal("the reactor did not wake the gate's waker within 10s")
	}
}

func (h *reactorHold) release() { h.let <- struct{}{} }

func (h *reactorHold) close() { h.r.Deregister(h.gate) }
