package async

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// newReactor returns a reactor closed at the end of the test, or skips the
// test where there is none.
func newReactor(t *testing.T) *Reactor {
	t.Helper()
	r, err := NewReactor()
	if runtime.GOOS != "linux" {
		if err == nil || !strings.Contains(err.Error(), "Linux") {
			t.Fatalf("NewReactor on %s = %v; want an error that says it needs Linux", runtime.GOOS, err)
		}
		t.Skipf("the reactor needs Linux (epoll): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	return r
}

// hangGuard is a context that ends a test that would otherwise hang
// (a lost wake-up); no figure depends on it.
func hangGuard(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestReactorSleepIsNeverEarly(t *testing.T) {
	r := newReactor(t)
	for _, d := range []time.Duration{0, time.Microsecond, 3 * time.Millisecond} {
		start := time.Now()
		s := r.Sleep(d)
		if _, err := BlockOn[struct{}](hangGuard(t), &s); err != nil {
			t.Fatal(err)
		}
		if elapsed := time.Since(start); elapsed < d {
			t.Fatalf("Sleep(%v) was ready after %v", d, elapsed)
		}
	}
	if n := r.PendingTimers(); n != 0 {
		t.Fatalf("%d timers pending after the sleeps, want 0", n)
	}
}

// The reactor's goroutine sleeps parked in Go's netpoller, not in a system
// call: a goroutine in a blocking epoll_wait would keep its processor, and
// the tasks it wakes would wait for another thread to take them. Both while
// it sleeps for a timer and while it sleeps with none.
func TestReactorSleepsInTheNetpoller(t *testing.T) {
	r := newReactor(t)
	far := r.Sleep(time.Hour)
	far.Poll(NewContext(Waker{}))
	defer far.Drop()
	for _, timers := range []int{1, 0} {
		if timers == 0 {
			far.Drop()
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			state := reactorGoroutineState()
			if strings.HasPrefix(state, "IO wait") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("with %d timers the reactor's goroutine is in state [%s], want it parked in the netpoller [IO wait]", timers, state)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// reactorGoroutineState returns the state of the reactor loop's goroutine
// as a stack dump shows it (the text in brackets), or "" if it has not
// started its loop yet.
func reactorGoroutineState() string {
	buf := make([]byte, 1<<20)
	dump := string(buf[:runtime.Stack(buf, true)])
	for _, g := range strings.Split(dump, "\n\n") {
		if strings.Contains(g, "async.(*Reactor).loop") {
			first, _, _ := strings.Cut(g, "\n")
			_, state, _ := strings.Cut(first, "[")
			state, _, _ = strings.Cut(state, "]")
			return state
		}
	}
	return ""
}

// With no timer, the reactor sleeps with no timeout. A timer
// armed then must kick it awake through the eventfd, or it never fires.
// Likewise when the reactor sleeps for a far deadline and a nearer one
// is armed.
func TestReactorTimerKicksTheSleepingLoop(t *testing.T) {
	r := newReactor(t)
	var far Timer
	for _, withFar := range []bool{false, true} {
		if withFar {
			r.ResetTimer(&far, r.Now().Add(time.Hour), Waker{})
		}
		time.Sleep(10 * time.Millisecond) // let the loop park (the test passes either way)
		s := r.Sleep(time.Millisecond)
		if _, err := BlockOn[struct{}](hangGuard(t), &s); err != nil {
			t.Fatalf("far timer %v: the timer armed while the reactor slept never fired: %v", withFar, err)
		}
	}
	if !r.StopTimer(&far) {
		t.Fatal("the far timer was not pending")
	}
}

func TestReactorFiresTimersInDeadlineOrder(t *testing.T) {
	r := newReactor(t)
	const n = 200
	timers := make([]Timer, n)
	fired := make(chan int, n)
	base := r.Now()
	for i := range timers {
		// Deadlines 50ms..70ms from now, in a scrambled order.
		at := base.Add(50*time.Millisecond + time.Duration((i*7)%n)*100*time.Microsecond)
		r.ResetTimer(&timers[i], at, NewWaker(WakerFunc(func() { fired <- (i * 7) % n })))
	}
	var order []int
	ctx := hangGuard(t)
	for range n {
		select {
		case k := <-fired:
			order = append(order, k)
		case <-ctx.Done():
			t.Fatalf("only %d of %d timers fired", len(order), n)
		}
	}
	if !slices.IsSorted(order) {
		t.Fatalf("timers fired out of deadline order: %v", order)
	}
}

func TestReactorStopAndResetTimer(t *testing.T) {
	r := newReactor(t)
	var tm Timer
	woken := make(chan string, 2)
	r.ResetTimer(&tm, r.Now().Add(time.Hour), NewWaker(WakerFunc(func() { woken <- "stopped timer" })))
	if r.PendingTimers() != 1 || !r.StopTimer(&tm) || r.StopTimer(&tm) || r.PendingTimers() != 0 {
		t.Fatal("StopTimer: want true for the pending timer, then false, and none pending")
	}
	// Reset moves a pending timer: only the new deadline and waker count.
	r.ResetTimer(&tm, r.Now().Add(time.Hour), NewWaker(WakerFunc(func() { woken <- "old waker" })))
	r.ResetTimer(&tm, r.Now().Add(time.Millisecond), NewWaker(WakerFunc(func() { woken <- "new waker" })))
	select {
	case w := <-woken:
		if w != "new waker" {
			t.Fatalf("%s woken", w)
		}
	case <-hangGuard(t).Done():
		t.Fatal("the reset timer never fired")
	}
	if !r.PollTimer(&tm, NewContext(Waker{})) {
		t.Fatal("PollTimer after the timer fired = false")
	}
}

// pipe returns the two ends of a non-blocking socketpair.
func pipe(t *testing.T) (int, int) {
	t.Helper()
	a, b, err := socketpair()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFD(a); closeFD(b) })
	return a, b
}

// wakeCounter is a waker that sends on a channel each time it is woken.
func wakeCounter() (Waker, chan struct{}) {
	c := make(chan struct{}, 100)
	return NewWaker(WakerFunc(func() { c <- struct{}{} })), c
}

func awaitWake(t *testing.T, c chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-hangGuard(t).Done():
		t.Fatalf("no wake: %s", what)
	}
}

// noWake checks that c received nothing: it first makes the reactor go
// round its loop once more (a timer that fires on the next pass), so that
// any wake from an event already reported would have been delivered.
func noWake(t *testing.T, r *Reactor, c chan struct{}, what string) {
	t.Helper()
	s := r.Sleep(time.Millisecond)
	if _, err := BlockOn[struct{}](hangGuard(t), &s); err != nil {
		t.Fatal(err)
	}
	s = r.Sleep(time.Millisecond)
	BlockOn[struct{}](hangGuard(t), &s)
	select {
	case <-c:
		t.Fatalf("unexpected wake: %s", what)
	default:
	}
}
