package async

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// More descriptors become ready at once than one epoll_wait collects, while
// the reactor's goroutine is busy (here, held up in a waker): every one of
// them reaches its waker. The netpoller watches the epoll instance
// edge-triggered, so the events one collection leaves behind are not
// announced again; the loop must collect them before it sleeps.
func TestReactorWakesEveryDescriptorOfABurst(t *testing.T) {
	const n = 3*maxEvents + 17
	r := newReactor(t)
	gate, opener := pipe(t)
	entered, release := make(chan struct{}), make(chan struct{})
	held := false // only the reactor's goroutine calls the waker
	if err := r.Register(gate, Readable, NewWaker(WakerFunc(func() {
		if !held {
			held = true
			close(entered)
			<-release
		}
	}))); err != nil {
		t.Fatal(err)
	}
	woken := make(chan int, 4*n)
	peers := make([]int, n)
	for i := range peers {
		a, b := pipe(t)
		peers[i] = b
		if err := r.Register(a, Readable, NewWaker(WakerFunc(func() {
			select {
			case woken <- i:
			default: // woken already, many times: enough
			}
		}))); err != nil {
			t.Fatal(err)
		}
	}
	writeFD(t, opener, "x")
	<-entered // the reactor's goroutine waits in the gate's waker
	for _, b := range peers {
		writeFD(t, b, "x")
	}
	close(release)
	seen := make([]bool, n)
	for left := n; left > 0; {
		select {
		case i := <-woken:
			if !seen[i] {
				seen[i] = true
				left--
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d descriptors that became ready together never woke their wakers", left, n)
		}
	}
}

// The lost-wake-up harness. A round spawns many actor tasks, each owning
// one end of a socketpair registered with the reactor, a timer on it, and a
// count of signals sent from outside, and completes once it has read every
// byte written to its socket, seen every signal and had its timer fire a
// given number of times. Meanwhile several goroutines write to the
// sockets in bursts, send signals, wake tasks for nothing and abort some of
// them, while the actors re-register their sockets, reset their timers to
// random deadlines (some already past, some earlier than the reactor's
// sleep), spend their read budgets and wake themselves, and sometimes
// poll slowly so that readiness piles up. A wake-up lost anywhere between
// the reactor, the executor and the task leaves an actor waiting for
// something that already happened, and the round reports it by name. The
// harness also checks that no actor is polled after Ready or by two
// goroutines at once, that Drop runs once, only for an abandoned task and
// never during a poll, and that no registration or timer is left behind.
func TestNoLostWakeUps(t *testing.T) {
	rounds := wakeupRounds(t)
	for _, c := range []struct {
		name   string
		config Config
		drive  bool
	}{
		{"workers", Config{Workers: 2, Queue: 8}, false},
		{"driven", Config{Workers: NoWorkers, Helpers: 1}, true},
		{"driven-alone", Config{Workers: NoWorkers}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			for round := range rounds {
				runWakeupRound(t, c.config, c.drive, uint64(round))
			}
		})
	}
}

// wakeupRounds is how many rounds TestNoLostWakeUps runs per executor
// kind; ASYNC_WAKEUP_ROUNDS sets more for a soak.
func wakeupRounds(t *testing.T) int {
	if s := os.Getenv("ASYNC_WAKEUP_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("ASYNC_WAKEUP_ROUNDS=%q", s)
		}
		return n
	}
	return 2
}

const (
	actors       = 2 * maxEvents // more than one collection of readiness
	actorBytes   = 48            // bytes written to each actor's socket
	actorSignals = 4
	actorFires   = 3 // in phase one; one more in phase two
	readBudget   = 4 // reads per poll before an actor yields
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

// runWakeupRound runs one round of the harness on an executor made with c,
// driven by the reactor if drive is set.
//
// A round has two phases. In the first, the outside goroutines do
// everything at once, at random, until every actor lacks only the last
// byte of its socket. In the second, all is quiet (no signals, no wakes
// for nothing, no timers left), the reactor's goroutine is held up in a
// waker while the last byte of every socket is written, and then let go:
// the readiness of hundreds of sockets, more than one collection takes, is
// then the only thing that can wake the actors, so any of it lost leaves
// an actor waiting for good.
func runWakeupRound(t *testing.T, c Config, drive bool, seed uint64) {
	t.Helper()
	r, err := NewReactor()
	if err != nil {
		newReactor(t) // skips where there is no reactor, fails otherwise
		return
	}
	defer r.Close()
	e := NewExecutor(c)
	defer e.Close()
	if drive {
		if err := r.Drive(e); err != nil {
			t.Fatal(err)
		}
	}
	var fds []int // closed at the end of the round, so that rounds do not add up
	defer func() {
		for _, fd := range fds {
			closeFD(fd)
		}
	}()
	hold := newReactorHold(t, r)
	fds = append(fds, hold.gate, hold.opener)
	peers := make([]int, actors)
	shared := make([]*actorShared, actors)
	handles := make([]JoinHandle[int], actors)
	quiet := make(chan struct{})
	for i := range actors {
		a, b, err := socketpair()
		if err != nil {
			t.Fatal(err)
		}
		fds = append(fds, a, b)
		peers[i] = b
		shared[i] = &actorShared{lock: make(chan struct{}, 1)}
		handles[i] = Spawn[int](e, actor{sh: shared[i], quiet: quiet, r: r, fd: a, rng: rand.New(rand.NewPCG(seed, uint64(i)))})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Phase one: two writers (each owns half the sockets), two
	// signallers, one that wakes tasks for nothing, one that aborts.
	stop := make(chan struct{})
	exited := make(chan struct{}, 6)
	aborted := make(chan int, actors)
	goOutside := func(id uint64, f func(rng *rand.Rand)) {
		go func() {
			defer func() { exited <- struct{}{} }()
			f(rand.New(rand.NewPCG(seed, 1000+id)))
		}()
	}
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	for w := range 2 {
		goOutside(uint64(w), func(rng *rand.Rand) {
			left := make([]int, actors)
			var mine []int
			for i := w; i < actors; i += 2 {
				left[i] = actorBytes - 1 // the last byte is phase two's
				mine = append(mine, i)
			}
			some := []byte("xxxxxxxx")
			for len(mine) > 0 && !stopped() {
				// A burst over every socket still owed bytes, or a few
				// writes at random.
				burst := rng.IntN(4) == 0
				for k := 0; k < len(mine); k++ {
					if !burst && rng.IntN(len(mine)) > 4 {
						continue
					}
					i := mine[k]
					n := min(left[i], 1+rng.IntN(len(some)))
					if _, err := writeOnce(peers[i], some[:n]); err != nil {
						panic(err)
					}
					if left[i] -= n; left[i] == 0 {
						mine[k] = mine[len(mine)-1]
						mine = mine[:len(mine)-1]
						k--
					}
				}
				if rng.IntN(8) == 0 {
					time.Sleep(50 * time.Microsecond)
				}
			}
		})
	}
	for s := range 2 {
		goOutside(10+uint64(s), func(rng *rand.Rand) {
			var mine []int
			for i := s; i < actors; i += 2 {
				mine = append(mine, i)
			}
			for len(mine) > 0 && !stopped() {
				k := rng.IntN(len(mine))
				sh := shared[mine[k]]
				sh.lock <- struct{}{}
				sh.signals++
				w := sh.waker
				<-sh.lock
				w.Wake() // the one wake that tells the actor of this signal
				if sh.signals == actorSignals {
					mine[k] = mine[len(mine)-1]
					mine = mine[:len(mine)-1]
				}
				if rng.IntN(64) == 0 {
					time.Sleep(20 * time.Microsecond)
				}
			}
		})
	}
	// Wakes for nothing, a limited number, so that they cannot stand in
	// for a wake the runtime lost once they are over.
	goOutside(20, func(rng *rand.Rand) {
		for range 4 * actors {
			if stopped() {
				return
			}
			handles[rng.IntN(actors)].Wake()
			if rng.IntN(16) == 0 {
				time.Sleep(20 * time.Microsecond)
			}
		}
	})
	goOutside(30, func(rng *rand.Rand) {
		for n := 0; n < actors/20 && !stopped(); n++ {
			time.Sleep(time.Duration(rng.IntN(500)) * time.Microsecond)
			i := rng.IntN(actors)
			handles[i].Abort()
			aborted <- i
		}
	})
	report := func(i int) string {
		sh := shared[i]
		sh.lock <- struct{}{}
		defer func() { <-sh.lock }()
		return fmt.Sprintf("actor %d: read %d/%d bytes, saw %d/%d signals (%d sent), timer fired %d/%d times, registered %v, polled %d times, dropped %d times",
			i, sh.read, actorBytes, sh.seen, actorSignals, sh.signals, sh.fires, actorFires+1, sh.registered, sh.polls, sh.drops)
	}
	lacksLastByte := func(i int) bool {
		sh := shared[i]
		sh.lock <- struct{}{}
		defer func() { <-sh.lock }()
		return sh.done || sh.drops > 0 ||
			sh.read == actorBytes-1 && sh.seen == actorSignals && sh.fires == actorFires
	}
	for i := range actors {
		for !lacksLastByte(i) {
			select {
			case <-ctx.Done():
				close(stop)
				for range 6 {
					<-exited
				}
				var stuck []string
				for j := range actors {
					if !lacksLastByte(j) {
						stuck = append(stuck, report(j))
					}
				}
				t.Fatalf("seed %d: phase one never ended: %d actors still wait for something that has happened (a lost wake-up):\n%s",
					seed, len(stuck), strings.Join(stuck, "\n"))
			case <-time.After(time.Millisecond):
			}
		}
	}
	close(stop)
	for range 6 {
		<-exited
	}
	close(aborted)
	wasAborted := map[int]bool{}
	for i := range aborted {
		wasAborted[i] = true
	}

	// Phase two: the last bytes, all at once, while the reactor is held.
	close(quiet)
	hold.hold()
	for _, b := range peers {
		if _, err := writeOnce(b, []byte("!")); err != nil {
			t.Fatal(err)
		}
	}
	hold.release()

	var stuck []string
	outcomes := make([]error, actors)
	for i, h := range handles {
		v, err := h.Join(ctx)
		outcomes[i] = err
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			stuck = append(stuck, report(i))
		case errors.Is(err, ErrAborted):
		case err != nil:
			t.Errorf("seed %d: actor %d: %v", seed, i, err)
		case v != actorBytes:
			t.Errorf("seed %d: actor %d returned %d, want %d", seed, i, v, actorBytes)
		}
	}
	if len(stuck) > 0 {
		t.Fatalf("seed %d: %d actors never completed, each still waiting for something that had happened (a lost wake-up):\n%s",
			seed, len(stuck), strings.Join(stuck, "\n"))
	}
	if err := e.Shutdown(ctx); err != nil {
		t.Fatalf("seed %d: Shutdown: %v", seed, err)
	}
	for i, sh := range shared {
		switch {
		case sh.bad != "":
			t.Errorf("seed %d: actor %d: %s", seed, i, sh.bad)
		case errors.Is(outcomes[i], ErrAborted) && sh.drops != 1:
			t.Errorf("seed %d: actor %d was aborted and dropped %d times, want once", seed, i, sh.drops)
		case outcomes[i] == nil && sh.drops != 0:
			t.Errorf("seed %d: actor %d completed and was dropped %d times", seed, i, sh.drops)
		}
		if errors.Is(outcomes[i], ErrAborted) && !wasAborted[i] {
			t.Errorf("seed %d: actor %d reports ErrAborted but was never aborted", seed, i)
		}
	}
	hold.close()
	if n := r.Registered(); n != 0 {
		t.Errorf("seed %d: %d descriptors still registered after every actor ended", seed, n)
	}
	if n := r.PendingTimers(); n != 0 {
		t.Errorf("seed %d: %d timers still armed after every actor ended", seed, n)
	}
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
