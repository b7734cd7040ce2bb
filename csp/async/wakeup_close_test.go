package async

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// The wake-up harness's rounds (wakeup_test.go), with the executor closed
// in the middle of phase one: at a random moment, while the outside
// goroutines go on writing, signalling, waking and aborting, and while
// workers (or the reactor that drives the executor) are in polls, some of
// them slow, Close is called, or Shutdown with a context that has already
// ended. Every actor must then be complete once Close returns: dropped
// exactly once, never during a poll and never after it returned Ready,
// never polled after its drop, its Join reporting ErrClosed (ErrAborted if
// it was aborted first), its registration and its timer given back. And
// no actor may be polled once Close has returned.
func TestCloseDropsWhatItAbandons(t *testing.T) {
	runWakeupRounds(t, true, runCloseRound)
}

// runCloseRound runs one round of TestCloseDropsWhatItAbandons.
func runCloseRound(w *wakeupRound) {
	t, seed := w.t, w.seed
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 2000))
	viaShutdown := rng.IntN(2) == 0
	w.goOutside()
	time.Sleep(time.Duration(rng.IntN(40_000)) * time.Microsecond)
	closed := make(chan error, 1)
	go func() {
		if !viaShutdown {
			w.e.Close()
			closed <- nil
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		closed <- w.e.Shutdown(ctx)
	}()
	select {
	case err := <-closed:
		if viaShutdown && !errors.Is(err, context.Canceled) {
			t.Errorf("seed %d: Shutdown with an ended context = %v, want context.Canceled", seed, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("seed %d: Close did not return within 30s", seed)
	}
	polls := make([]int, actors)
	for i, sh := range w.shared {
		sh.lock <- struct{}{}
		polls[i] = sh.polls
		<-sh.lock
	}
	wasAborted := w.stopOutside()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	outcomes := make([]error, actors)
	for i, h := range w.handles {
		_, err := h.Join(ctx)
		outcomes[i] = err
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			t.Fatalf("seed %d: Join did not return after Close: %s", seed, w.report(i))
		case err == nil, errors.Is(err, ErrClosed), errors.Is(err, ErrAborted):
		default:
			t.Errorf("seed %d: actor %d: %v", seed, i, err)
		}
	}
	// Wake every actor once more, and let the reactor go round (it still
	// drives the executor, if it did): none is polled again.
	for _, h := range w.handles {
		h.Wake()
	}
	s := w.r.Sleep(2 * time.Millisecond)
	if _, err := BlockOn[struct{}](ctx, &s); err != nil {
		t.Fatal(err)
	}
	for i, sh := range w.shared {
		sh.lock <- struct{}{}
		n := sh.polls
		<-sh.lock
		if n != polls[i] {
			t.Errorf("seed %d: actor %d polled %d times after Close returned", seed, i, n-polls[i])
		}
	}
	w.checkEnds(outcomes, wasAborted)
}
