package async

import (
	"errors"
	"testing"
	"time"
)

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
