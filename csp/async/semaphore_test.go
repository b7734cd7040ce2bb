package async

import (
	"errors"
	"strings"
	"testing"
)

// A polled is a future polled by hand, with a waker that counts its wakes:
// the tests of the task-side primitives drive them one poll at a time on
// the test goroutine, so every interleaving is the one written down.
type polled struct {
	wakes int
	cx    *Context
}

func newPolled() *polled {
	p := &polled{}
	p.cx = NewContext(NewWaker(WakerFunc(func() { p.wakes++ })))
	return p
}

// acquirer is an Acquire and the waker it is polled with.
type acquirer struct {
	*polled
	a Acquire
}

func acquire(s *Semaphore, k int) *acquirer {
	return &acquirer{polled: newPolled(), a: s.AcquireN(k)}
}

// poll polls the acquire and fails the test if it is not in the expected
// state, or if it completed with an error when ready was expected.
func (q *acquirer) poll(t *testing.T, wantReady bool, what string) {
	t.Helper()
	err, ready := q.a.Poll(q.cx)
	if ready != wantReady || (ready && err != nil) {
		t.Fatalf("%s: Poll = %v, %v; want ready %v", what, err, ready, wantReady)
	}
}

// checkSemaphore fails the test unless s has the given free permits and
// queued acquirers.
func checkSemaphore(t *testing.T, s *Semaphore, available, waiting int) {
	t.Helper()
	if a, w := s.Available(), s.Waiting(); a != available || w != waiting {
		t.Fatalf("Available = %d, Waiting = %d; want %d, %d", a, w, available, waiting)
	}
}

func TestSemaphoreAcquireIsLazyAndReadyWhenFree(t *testing.T) {
	s := NewSemaphore(2)
	a, b, c := acquire(s, 1), acquire(s, 1), acquire(s, 1)
	checkSemaphore(t, s, 2, 0) // three futures made, none polled: nothing taken
	a.poll(t, true, "first of two permits")
	b.poll(t, true, "second of two permits")
	c.poll(t, false, "no permit free")
	checkSemaphore(t, s, 0, 1)
	c.poll(t, false, "a spurious poll")
	if c.wakes != 0 {
		t.Fatalf("queued acquire woken %d times before any release", c.wakes)
	}
	s.Release()
	if c.wakes != 1 {
		t.Fatalf("queued acquire woken %d times by the release, want 1", c.wakes)
	}
	checkSemaphore(t, s, 0, 0) // the permit went to c, not to the free ones
	c.poll(t, true, "after its permit was assigned")
	s.Release()
	s.Release()
	checkSemaphore(t, s, 2, 0)
}

// Waiters are served in the order they queued, each woken only when its
// own permit is assigned.
func TestSemaphoreIsFirstComeFirstServed(t *testing.T) {
	s := NewSemaphore(1)
	holder := acquire(s, 1)
	holder.poll(t, true, "holder")
	q := []*acquirer{acquire(s, 1), acquire(s, 1), acquire(s, 1)}
	for i, w := range q {
		w.poll(t, false, "queued "+string(rune('0'+i)))
	}
	for i, w := range q {
		s.Release() // by the holder, then by each waiter in turn
		for j, other := range q {
			want := 0
			if j <= i {
				want = 1
			}
			if other.wakes != want {
				t.Fatalf("after release %d: waiter %d woken %d times, want %d", i+1, j, other.wakes, want)
			}
		}
		w.poll(t, true, "the waiter whose turn it is")
		if i+1 < len(q) {
			q[i+1].poll(t, false, "the next waiter, before the next release")
		}
	}
	s.Release()
	checkSemaphore(t, s, 1, 0)
}

// A large AcquireN at the head collects permits as they are released and
// is not overtaken by single acquires queued behind it, nor by TryAcquire.
func TestSemaphoreAcquireNIsNotStarved(t *testing.T) {
	s := NewSemaphore(3)
	first := acquire(s, 2)
	first.poll(t, true, "AcquireN(2) of 3")
	big := acquire(s, 3)
	big.poll(t, false, "AcquireN(3) with 1 free") // takes the free one as the head
	small := acquire(s, 1)
	small.poll(t, false, "a single acquire behind the big one")
	checkSemaphore(t, s, 0, 2)
	if s.TryAcquire() {
		t.Fatal("TryAcquire jumped the queue")
	}
	s.Release() // 2 of 3 assigned to big
	if big.wakes != 0 || small.wakes != 0 {
		t.Fatalf("woken too early: big %d, small %d", big.wakes, small.wakes)
	}
	s.Release() // 3 of 3: big is ready
	if big.wakes != 1 || small.wakes != 0 {
		t.Fatalf("after its last permit: big woken %d times, small %d; want 1, 0", big.wakes, small.wakes)
	}
	big.poll(t, true, "AcquireN(3) with all assigned")
	small.poll(t, false, "small, while big holds all")
	s.ReleaseN(3)
	small.poll(t, true, "small, after big released")
	checkSemaphore(t, s, 2, 0)
	if !s.TryAcquireN(2) || s.TryAcquire() {
		t.Fatal("TryAcquireN(2) of 2 free failed, or a third permit was found")
	}
}

// A dropped acquire leaves no trace: wherever it stood, the semaphore ends
// as if it had never been made.
func TestSemaphoreDroppedAcquireLeavesNoTrace(t *testing.T) {
	t.Run("never polled", func(t *testing.T) {
		s := NewSemaphore(1)
		a := acquire(s, 1)
		a.a.Drop()
		checkSemaphore(t, s, 1, 0)
	})
	t.Run("queued in the middle", func(t *testing.T) {
		s := NewSemaphore(1)
		holder, mid, last := acquire(s, 1), acquire(s, 1), acquire(s, 1)
		holder.poll(t, true, "holder")
		mid.poll(t, false, "mid")
		last.poll(t, false, "last")
		mid.a.Drop()
		checkSemaphore(t, s, 0, 1)
		s.Release()
		if mid.wakes != 0 || last.wakes != 1 {
			t.Fatalf("release woke the dropped acquire %d times, the next %d; want 0, 1", mid.wakes, last.wakes)
		}
		last.poll(t, true, "last, after the one before it was dropped")
		s.Release()
		checkSemaphore(t, s, 1, 0)
	})
	t.Run("head with permits collected", func(t *testing.T) {
		s := NewSemaphore(3)
		holder := acquire(s, 2)
		holder.poll(t, true, "holder of 2")
		big, small := acquire(s, 3), acquire(s, 1)
		big.poll(t, false, "big, with 1 of 3 collected")
		small.poll(t, false, "small, behind big")
		big.a.Drop() // its collected permit goes to small
		if small.wakes != 1 {
			t.Fatalf("small woken %d times when the head was dropped, want 1", small.wakes)
		}
		small.poll(t, true, "small")
		checkSemaphore(t, s, 0, 0)
		s.ReleaseN(3)
		checkSemaphore(t, s, 3, 0)
	})
	t.Run("permit assigned, not yet seen", func(t *testing.T) {
		s := NewSemaphore(1)
		holder, granted, next := acquire(s, 1), acquire(s, 1), acquire(s, 1)
		holder.poll(t, true, "holder")
		granted.poll(t, false, "granted")
		next.poll(t, false, "next")
		s.Release() // assigned to granted, which is woken but never polls again
		if granted.wakes != 1 {
			t.Fatalf("granted woken %d times", granted.wakes)
		}
		granted.a.Drop() // the permit passes on
		if next.wakes != 1 {
			t.Fatalf("the permit of a dropped acquire did not reach the next waiter (woken %d times)", next.wakes)
		}
		next.poll(t, true, "next")
		s.Release()
		checkSemaphore(t, s, 1, 0)
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("a release beyond what is held did not panic: the dropped acquire's permit was counted as held")
				}
			}()
			s.Release()
		}()
	})
	t.Run("after Ready", func(t *testing.T) {
		s := NewSemaphore(1)
		a := acquire(s, 1)
		a.poll(t, true, "a")
		a.a.Drop() // the permit is the caller's: Drop gives nothing back
		checkSemaphore(t, s, 0, 0)
		s.Release()
		checkSemaphore(t, s, 1, 0)
	})
}

func TestSemaphoreAcquireZeroWaitsItsTurn(t *testing.T) {
	s := NewSemaphore(1)
	holder, queued, zero := acquire(s, 1), acquire(s, 1), acquire(s, 0)
	holder.poll(t, true, "holder")
	queued.poll(t, false, "queued")
	zero.poll(t, false, "AcquireN(0) behind a waiter")
	s.Release()
	if zero.wakes != 1 {
		t.Fatalf("AcquireN(0) woken %d times once it reached the head, want 1", zero.wakes)
	}
	zero.poll(t, true, "AcquireN(0)")
	queued.poll(t, true, "queued")
}

func TestSemaphoreClose(t *testing.T) {
	s := NewSemaphore(3)
	holder, big, small := acquire(s, 2), acquire(s, 3), acquire(s, 1)
	holder.poll(t, true, "holder of 2")
	big.poll(t, false, "big, 1 of 3 collected")
	small.poll(t, false, "small")
	s.Close()
	s.Close() // idempotent
	if big.wakes != 1 || small.wakes != 1 {
		t.Fatalf("Close woke the waiters %d and %d times, want 1 each", big.wakes, small.wakes)
	}
	for _, w := range []*acquirer{big, small} {
		if err, ready := w.a.Poll(w.cx); !ready || !errors.Is(err, ErrClosed) {
			t.Fatalf("queued acquire after Close: %v, %v; want ErrClosed", err, ready)
		}
	}
	checkSemaphore(t, s, 1, 0) // big's collected permit is free again
	late := acquire(s, 1)
	if err, ready := late.a.Poll(late.cx); !ready || !errors.Is(err, ErrClosed) {
		t.Fatalf("acquire after Close: %v, %v; want ErrClosed", err, ready)
	}
	if s.TryAcquire() {
		t.Fatal("TryAcquire succeeded after Close")
	}
	s.ReleaseN(2) // held permits may still be released
	checkSemaphore(t, s, 3, 0)
}

func TestSemaphoreMisusePanics(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		f          func()
	}{
		{"no permits", "NewSemaphore(0)", func() { NewSemaphore(0) }},
		{"AcquireN beyond capacity", "AcquireN(3) with capacity 2", func() { NewSemaphore(2).AcquireN(3) }},
		{"negative AcquireN", "AcquireN(-1)", func() { NewSemaphore(2).AcquireN(-1) }},
		{"release with none held", "released 1 permits with 0 held", func() { NewSemaphore(2).Release() }},
		{"release more than held", "released 2 permits with 1 held", func() {
			s := NewSemaphore(2)
			s.TryAcquire()
			s.ReleaseN(2)
		}},
		{"poll after Ready", "polled after it completed", func() {
			a := NewSemaphore(1).Acquire()
			cx := NewContext(Waker{})
			a.Poll(cx)
			a.Poll(cx)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, tc.want) {
					t.Fatalf("panic %v, want one mentioning %q", r, tc.want)
				}
			}()
			tc.f()
		})
	}
}
