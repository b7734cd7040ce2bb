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
// harness also checks that no actor is polled after Ready, after Drop or
// by two goroutines at once, that Drop runs once, only for an abandoned
// task and never during a poll, and that no registration or timer is left
// behind. TestCloseDropsWhatItAbandons runs the same rounds and closes the
// executor in the middle of them (wakeup_close_test.go).
func TestNoLostWakeUps(t *testing.T) {
	runWakeupRounds(t, false, runWakeupRound)
}

// runWakeupRounds runs rounds of the harness with run on each of the
// executors the harness knows: a worker pool with a small run queue (so
// that wakes overflow it), and a current-thread executor driven by the
// reactor, with a helper and alone. It runs two rounds of each;
// ASYNC_WAKEUP_ROUNDS sets more for a soak.
//
// With closing set, every executor drops what Close abandons
// (Config.DropOnClose); otherwise every other round's does, so that the
// rounds run with the pended list and without it.
func runWakeupRounds(t *testing.T, closing bool, run func(w *wakeupRound)) {
	rounds := 2
	if s := os.Getenv("ASYNC_WAKEUP_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("ASYNC_WAKEUP_ROUNDS=%q", s)
		}
		rounds = n
	}
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
				func() {
					config := c.config
					config.DropOnClose = closing || round%2 == 1
					w := newWakeupRound(t, config, c.drive, uint64(round))
					defer w.finish()
					run(w)
				}()
			}
		})
	}
}

const (
	actors       = 2 * maxEvents // more than one collection of readiness
	actorBytes   = 48            // bytes written to each actor's socket
	actorSignals = 4
	actorFires   = 3 // in phase one; one more in phase two
	readBudget   = 4 // reads per poll before an actor yields
)

// A wakeupRound is one round of the harness: a reactor, an executor, the
// actors and what the goroutines outside them do.
type wakeupRound struct {
	t       *testing.T
	seed    uint64
	r       *Reactor
	e       *Executor
	hold    *reactorHold
	fds     []int // closed at the end of the round, so that rounds do not add up
	peers   []int // the outside ends of the actors' sockets
	shared  []*actorShared
	handles []JoinHandle[int]
	quiet   chan struct{} // closed for phase two

	stop    chan struct{} // closed: the outside goroutines return
	exited  chan struct{} // a token per outside goroutine that returned
	aborted chan int      // the actors the aborter aborted
}

const outsiders = 6 // two writers, two signallers, a waker for nothing, an aborter

// newWakeupRound starts a round's reactor and executor (made with c,
// driven by the reactor if drive is set) and spawns its actors; it skips
// t where there is no reactor. The caller calls finish at the end.
func newWakeupRound(t *testing.T, c Config, drive bool, seed uint64) *wakeupRound {
	t.Helper()
	r, err := NewReactor()
	if err != nil {
		newReactor(t) // skips where there is no reactor, fails otherwise
	}
	w := &wakeupRound{t: t, seed: seed, r: r, e: NewExecutor(c), quiet: make(chan struct{})}
	if drive {
		if err := r.Drive(w.e); err != nil {
			t.Fatal(err)
		}
	}
	w.hold = newReactorHold(t, r)
	w.fds = append(w.fds, w.hold.gate, w.hold.opener)
	w.peers = make([]int, actors)
	w.shared = make([]*actorShared, actors)
	w.handles = make([]JoinHandle[int], actors)
	for i := range actors {
		a, b, err := socketpair()
		if err != nil {
			t.Fatal(err)
		}
		w.fds = append(w.fds, a, b)
		w.peers[i] = b
		w.shared[i] = &actorShared{lock: make(chan struct{}, 1)}
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		w.handles[i] = Spawn[int](w.e, actor{sh: w.shared[i], quiet: w.quiet, r: r, fd: a, rng: rng})
	}
	return w
}

// finish closes the executor, the reactor and the round's descriptors.
func (w *wakeupRound) finish() {
	w.e.Close()
	w.r.Close()
	for _, fd := range w.fds {
		closeFD(fd)
	}
}

// runWakeupRound runs one round of TestNoLostWakeUps.
//
// A round has two phases. In the first, the outside goroutines do
// everything at once, at random, until every actor lacks only the last
// byte of its socket. In the second, all is quiet (no signals, no wakes
// for nothing, no timers left), the reactor's goroutine is held up in a
// waker while the last byte of every socket is written, and then let go:
// the readiness of hundreds of sockets, more than one collection takes, is
// then the only thing that can wake the actors, so any of it lost leaves
// an actor waiting for good.
func runWakeupRound(w *wakeupRound) {
	t, seed := w.t, w.seed
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	w.goOutside()
	for i := range actors {
		for !w.lacksLastByte(i) {
			select {
			case <-ctx.Done():
				w.stopOutside()
				var stuck []string
				for j := range actors {
					if !w.lacksLastByte(j) {
						stuck = append(stuck, w.report(j))
					}
				}
				t.Fatalf("seed %d: phase one never ended: %d actors still wait for something that has happened (a lost wake-up):\n%s",
					seed, len(stuck), strings.Join(stuck, "\n"))
			case <-time.After(time.Millisecond):
			}
		}
	}
	wasAborted := w.stopOutside()

	// Phase two: the last bytes, all at once, while the reactor is held.
	close(w.quiet)
	w.hold.hold()
	for _, b := range w.peers {
		if _, err := writeOnce(b, []byte("!")); err != nil {
			t.Fatal(err)
		}
	}
	w.hold.release()

	var stuck []string
	outcomes := make([]error, actors)
	for i, h := range w.handles {
		v, err := h.Join(ctx)
		outcomes[i] = err
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			stuck = append(stuck, w.report(i))
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
	if err := w.e.Shutdown(ctx); err != nil {
		t.Fatalf("seed %d: Shutdown: %v", seed, err)
	}
	w.checkEnds(outcomes, wasAborted)
}

// checkEnds checks what every actor's end must satisfy, given what its
// Join reported, and that no registration or timer is left behind.
func (w *wakeupRound) checkEnds(outcomes []error, wasAborted map[int]bool) {
	t, seed := w.t, w.seed
	t.Helper()
	for i, sh := range w.shared {
		switch {
		case sh.bad != "":
			t.Errorf("seed %d: actor %d: %s", seed, i, sh.bad)
		case outcomes[i] == nil && sh.drops != 0:
			t.Errorf("seed %d: actor %d completed and was dropped %d times", seed, i, sh.drops)
		case outcomes[i] != nil && sh.drops != 1:
			t.Errorf("seed %d: actor %d ended with %v and was dropped %d times, want once", seed, i, outcomes[i], sh.drops)
		}
		if errors.Is(outcomes[i], ErrAborted) && !wasAborted[i] {
			t.Errorf("seed %d: actor %d reports ErrAborted but was never aborted", seed, i)
		}
	}
	w.hold.close()
	if n := w.r.Registered(); n != 0 {
		t.Errorf("seed %d: %d descriptors still registered after every actor ended", seed, n)
	}
	if n := w.r.PendingTimers(); n != 0 {
		t.Errorf("seed %d: %d timers still armed after every actor ended", seed, n)
	}
}

// goOutside starts phase one's goroutines: two writers (each owns half
// the sockets), two signallers, one that wakes tasks for nothing, one that
// aborts. They return once they are done, or at stopOutside.
func (w *wakeupRound) goOutside() {
	w.stop = make(chan struct{})
	w.exited = make(chan struct{}, outsiders)
	w.aborted = make(chan int, actors)
	start := func(id uint64, f func(rng *rand.Rand)) {
		go func() {
			defer func() { w.exited <- struct{}{} }()
			f(rand.New(rand.NewPCG(w.seed, 1000+id)))
		}()
	}
	for k := range 2 {
		start(uint64(k), func(rng *rand.Rand) { w.write(k, rng) })
	}
	for k := range 2 {
		start(10+uint64(k), func(rng *rand.Rand) { w.signal(k, rng) })
	}
	// Wakes for nothing, a limited number, so that they cannot stand in
	// for a wake the runtime lost once they are over.
	start(20, func(rng *rand.Rand) {
		for range 4 * actors {
			if isClosed(w.stop) {
				return
			}
			w.handles[rng.IntN(actors)].Wake()
			if rng.IntN(16) == 0 {
				time.Sleep(20 * time.Microsecond)
			}
		}
	})
	start(30, func(rng *rand.Rand) {
		for n := 0; n < actors/20 && !isClosed(w.stop); n++ {
			time.Sleep(time.Duration(rng.IntN(500)) * time.Microsecond)
			i := rng.IntN(actors)
			w.handles[i].Abort()
			w.aborted <- i
		}
	})
}

// write is the writer of every other socket from the k-th: all but the
// last byte of each, in bursts over every socket still owed bytes, or a
// few writes at random.
func (w *wakeupRound) write(k int, rng *rand.Rand) {
	left := make([]int, actors)
	var mine []int
	for i := k; i < actors; i += 2 {
		left[i] = actorBytes - 1 // the last byte is phase two's
		mine = append(mine, i)
	}
	some := []byte("xxxxxxxx")
	for len(mine) > 0 && !isClosed(w.stop) {
		burst := rng.IntN(4) == 0
		for j := 0; j < len(mine); j++ {
			if !burst && rng.IntN(len(mine)) > 4 {
				continue
			}
			i := mine[j]
			n := min(left[i], 1+rng.IntN(len(some)))
			if _, err := writeOnce(w.peers[i], some[:n]); err != nil {
				panic(err)
			}
			if left[i] -= n; left[i] == 0 {
				mine[j] = mine[len(mine)-1]
				mine = mine[:len(mine)-1]
				j--
			}
		}
		if rng.IntN(8) == 0 {
			time.Sleep(50 * time.Microsecond)
		}
	}
}

// signal is the signaller of every other actor from the k-th.
func (w *wakeupRound) signal(k int, rng *rand.Rand) {
	var mine []int
	for i := k; i < actors; i += 2 {
		mine = append(mine, i)
	}
	for len(mine) > 0 && !isClosed(w.stop) {
		j := rng.IntN(len(mine))
		sh := w.shared[mine[j]]
		sh.lock <- struct{}{}
		sh.signals++
		waker := sh.waker
		<-sh.lock
		waker.Wake() // the one wake that tells the actor of this signal
		if sh.signals == actorSignals {
			mine[j] = mine[len(mine)-1]
			mine = mine[:len(mine)-1]
		}
		if rng.IntN(64) == 0 {
			time.Sleep(20 * time.Microsecond)
		}
	}
}

// stopOutside stops phase one's goroutines, waits for them, and returns
// the actors the aborter aborted.
func (w *wakeupRound) stopOutside() map[int]bool {
	close(w.stop)
	for range outsiders {
		<-w.exited
	}
	close(w.aborted)
	aborted := map[int]bool{}
	for i := range w.aborted {
		aborted[i] = true
	}
	return aborted
}

// report describes actor i, for a round that hangs.
func (w *wakeupRound) report(i int) string {
	sh := w.shared[i]
	sh.lock <- struct{}{}
	defer func() { <-sh.lock }()
	return fmt.Sprintf("actor %d: read %d/%d bytes, saw %d/%d signals (%d sent), timer fired %d/%d times, registered %v, polled %d times, dropped %d times",
		i, sh.read, actorBytes, sh.seen, actorSignals, sh.signals, sh.fires, actorFires+1, sh.registered, sh.polls, sh.drops)
}

// lacksLastByte reports whether actor i is done with phase one.
func (w *wakeupRound) lacksLastByte(i int) bool {
	sh := w.shared[i]
	sh.lock <- struct{}{}
	defer func() { <-sh.lock }()
	return sh.done || sh.drops > 0 ||
		sh.read == actorBytes-1 && sh.seen == actorSignals && sh.fires == actorFires
}
