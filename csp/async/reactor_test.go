package async

import (
	"context"
	"errors"
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

func TestReactorReadinessIsEdgeTriggered(t *testing.T) {
	r := newReactor(t)
	a, b := pipe(t)
	w, woken := wakeCounter()
	if err := r.Register(a, Readable, w); err != nil {
		t.Fatal(err)
	}
	if r.Registered() != 1 {
		t.Fatalf("Registered = %d", r.Registered())
	}
	writeFD(t, b, "one")
	awaitWake(t, woken, "data arrived")
	// Nothing read: the descriptor stays readable, but an edge is reported
	// once.
	noWake(t, r, woken, "a readable descriptor woke twice for one arrival")
	if got := drain(t, a); got != "one" {
		t.Fatalf("read %q", got)
	}
	writeFD(t, b, "two")
	awaitWake(t, woken, "the second arrival")
	drain(t, a)

	// Changing the waker alone takes effect for the next edge.
	w2, woken2 := wakeCounter()
	if err := r.Reregister(a, Readable, w2); err != nil {
		t.Fatal(err)
	}
	writeFD(t, b, "three")
	awaitWake(t, woken2, "the new waker")
	noWake(t, r, woken, "the old waker woke after Reregister")
	drain(t, a)

	if err := r.Deregister(a); err != nil {
		t.Fatal(err)
	}
	writeFD(t, b, "four")
	noWake(t, r, woken2, "woken after Deregister")
	if r.Registered() != 0 {
		t.Fatalf("Registered = %d after Deregister", r.Registered())
	}
}

func TestReactorWritableInterest(t *testing.T) {
	r := newReactor(t)
	a, _ := pipe(t)
	w, woken := wakeCounter()
	if err := r.Register(a, Readable, w); err != nil {
		t.Fatal(err)
	}
	noWake(t, r, woken, "a writable socket woke a read-only registration")
	// Adding write interest re-arms the edge: a socket with room to
	// write wakes at once.
	if err := r.Reregister(a, Readable|Writable, w); err != nil {
		t.Fatal(err)
	}
	awaitWake(t, woken, "write interest on a writable socket")
	if err := r.Deregister(a); err != nil {
		t.Fatal(err)
	}
}

// After Deregister and close, the descriptor's number may come back for a
// new socket; its events go to the new registration, never to the old.
func TestReactorDescriptorReuse(t *testing.T) {
	r := newReactor(t)
	a, b, err := socketpair()
	if err != nil {
		t.Fatal(err)
	}
	old, oldWoken := wakeCounter()
	if err := r.Register(a, Readable, old); err != nil {
		t.Fatal(err)
	}
	if err := r.Deregister(a); err != nil {
		t.Fatal(err)
	}
	closeFD(a)
	closeFD(b)
	c, d := pipe(t)
	if c != a && d != a {
		t.Logf("descriptor %d was not reused (new pair %d, %d); checking the new pair anyway", a, c, d)
	}
	fresh, freshWoken := wakeCounter()
	if err := r.Register(c, Readable, fresh); err != nil {
		t.Fatal(err)
	}
	writeFD(t, d, "x")
	awaitWake(t, freshWoken, "the new registration")
	noWake(t, r, oldWoken, "the deregistered waker")
	r.Deregister(c)
}

func TestReactorRegistrationErrors(t *testing.T) {
	r := newReactor(t)
	a, _ := pipe(t)
	if err := r.Register(a, Readable, Waker{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(a, Readable, Waker{}); err == nil {
		t.Fatal("registering a descriptor twice succeeded")
	}
	if err := r.Deregister(a + 1000); !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("Deregister of an unknown descriptor = %v", err)
	}
	if err := r.Register(-1, Readable, Waker{}); err == nil {
		t.Fatal("registering -1 succeeded")
	}
	if err := r.Deregister(a); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(a, Readable, Waker{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Register after Close = %v, want ErrClosed", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

// readFuture is a task that reads a socket until it has want bytes: it
// reads until EAGAIN, then returns Pending and waits for the reactor.
type readFuture struct {
	r          *Reactor
	fd         int
	want       int
	got        []byte
	registered bool
	polls      int
}

func (f *readFuture) Poll(cx *Context) (string, bool) {
	f.polls++
	if !f.registered {
		if err := f.r.Register(f.fd, Readable, cx.Waker()); err != nil {
			panic(err)
		}
		f.registered = true
	}
	for len(f.got) < f.want {
		buf := make([]byte, 64)
		n, err := readFD(f.fd, buf)
		if err != nil {
			return "", false // EAGAIN: the next edge wakes us
		}
		f.got = append(f.got, buf[:n]...)
	}
	f.r.Deregister(f.fd)
	return string(f.got), true
}

func TestReactorWakesTaskOnExecutor(t *testing.T) {
	r := newReactor(t)
	e := NewExecutor(Config{Workers: 2})
	defer e.Close()
	a, b := pipe(t)
	h := Spawn[string](e, readFuture{r: r, fd: a, want: 6})
	for _, part := range []string{"ab", "cd", "ef"} {
		time.Sleep(time.Millisecond)
		writeFD(t, b, part)
	}
	got, err := h.Join(hangGuard(t))
	if got != "abcdef" || err != nil {
		t.Fatalf("Join = %q, %v", got, err)
	}
	if r.Registered() != 0 {
		t.Fatal("descriptor still registered")
	}
}

// PeerClosed is false while the peer only sends, and true once epoll has
// reported the peer's end, which came with its last bytes: the wake for
// those bytes is the last one, and PeerClosed is what tells a future that
// a read would now return the end of the stream.
func TestReactorPeerClosed(t *testing.T) {
	r := newReactor(t)
	a, b := pipe(t)
	w, woken := wakeCounter()
	if err := r.Register(a, Readable, w); err != nil {
		t.Fatal(err)
	}
	if _, err := r.PeerClosed(b); !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("PeerClosed of an unregistered descriptor = %v, want ErrNotRegistered", err)
	}
	writeFD(t, b, "data")
	awaitWake(t, woken, "data")
	if closed, err := r.PeerClosed(a); closed || err != nil {
		t.Fatalf("PeerClosed while the peer is open = %v, %v", closed, err)
	}
	writeFD(t, b, "last")
	closeFD(b)
	awaitWake(t, woken, "the last bytes and the end")
	for {
		closed, err := r.PeerClosed(a)
		if err != nil {
			t.Fatal(err)
		}
		if closed {
			break
		}
		awaitWake(t, woken, "the end") // the end came in an event of its own
	}
	buf := make([]byte, 64)
	var got []byte
	for {
		n, err := readFD(a, buf)
		if err != nil {
			t.Fatalf("read after %q: %v", got, err)
		}
		if n == 0 {
			break // the end
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != "datalast" {
		t.Fatalf("read %q before the end, want datalast", got)
	}
	if err := r.Deregister(a); err != nil {
		t.Fatal(err)
	}
}

// TakeReadiness returns what epoll has reported since it last took it, and
// nothing twice: after a write that would block, the bytes the peer sends
// (a readable edge) do not make the descriptor count as writable, and
// room the peer makes by reading does.
func TestReactorTakeReadiness(t *testing.T) {
	r := newReactor(t)
	a, b := pipe(t)
	w, woken := wakeCounter()
	if _, err := r.TakeReadiness(a, Writable); !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("TakeReadiness of an unregistered descriptor = %v, want ErrNotRegistered", err)
	}
	if err := r.Register(a, Readable|Writable, w); err != nil {
		t.Fatal(err)
	}
	take := func(interest Interest) Interest {
		t.Helper()
		ready, err := r.TakeReadiness(a, interest)
		if err != nil {
			t.Fatal(err)
		}
		return ready
	}
	// awaitReady waits for readiness in interest, through the wakes that
	// report it (the readiness is recorded before the waker is woken).
	awaitReady := func(interest Interest, what string) Interest {
		t.Helper()
		for {
			if ready := take(interest); ready != 0 {
				return ready
			}
			awaitWake(t, woken, what)
		}
	}
	if got := awaitReady(Writable, "the first writable edge"); got != Writable {
		t.Fatalf("TakeReadiness(Writable) = %v, want Writable", got)
	}
	if got := take(Readable | Writable); got != 0 {
		t.Fatalf("TakeReadiness again with nothing new = %v, want nothing", got)
	}

	chunk := make([]byte, 4096)
	for {
		if _, err := writeOnce(a, chunk); err != nil {
			if !wouldBlock(err) {
				t.Fatal(err)
			}
			break
		}
	}
	take(Writable) // forget what came while filling; a is full now
	if _, err := writeOnce(a, chunk); !wouldBlock(err) {
		t.Fatalf("a write after the socket filled = %v, want EAGAIN", err)
	}
	writeFD(t, b, "x")
	awaitReady(Readable, "bytes from the peer")
	if got := take(Writable); got != 0 {
		t.Fatalf("after a readable edge on a full socket TakeReadiness(Writable) = %v, want nothing", got)
	}
	var sink [1 << 16]byte
	for {
		if _, err := readFD(b, sink[:]); err != nil {
			break // drained (EAGAIN)
		}
	}
	if got := awaitReady(Writable, "room made by the peer's reads"); got != Writable {
		t.Fatalf("TakeReadiness(Writable) after the peer read = %v, want Writable", got)
	}
	if err := r.Deregister(a); err != nil {
		t.Fatal(err)
	}
	if _, err := r.TakeReadiness(a, Writable); !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("TakeReadiness after Deregister = %v, want ErrNotRegistered", err)
	}
}
