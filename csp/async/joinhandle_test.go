package async

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// gated is a task that completes with its id once its gate is closed.
type gated struct {
	id   int
	gate chan struct{}
	w    *Waker // where the gate's closer finds the task's waker
	lock chan struct{}
}

func (g *gated) Poll(cx *Context) (int, bool) {
	g.lock <- struct{}{}
	defer func() { <-g.lock }()
	select {
	case <-g.gate:
		return g.id, true
	default:
		*g.w = cx.Waker()
		return 0, false
	}
}

// Goroutines join a task with contexts that end at random, close to the
// moment the task completes: some before it, some after, some exactly as it
// does. A Join returns the task's own output or its context's error, never
// a wake meant for another Join: the channels Joins wait on are reused, and
// one reused with a token still in it would let a later Join, of a later
// task, return before its task completed.
func TestJoinRacesItsContext(t *testing.T) {
	const tasks, joiners = 300, 3
	e := NewExecutor(Config{Workers: 2})
	defer e.Close()
	rng := rand.New(rand.NewPCG(1, 7))
	for k := range tasks {
		gate, lock := make(chan struct{}), make(chan struct{}, 1)
		var w Waker
		h := Spawn[int](e, gated{id: k + 1, gate: gate, w: &w, lock: lock})
		errs := make(chan error, joiners)
		for j := range joiners {
			timeout := time.Duration(rng.IntN(100)) * time.Microsecond
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				v, err := h.Join(ctx)
				switch {
				case errors.Is(err, context.DeadlineExceeded):
					err = nil
				case err != nil:
				case v != k+1:
					err = fmt.Errorf("joiner %d of task %d got %d: a wake meant for another Join", j, k+1, v)
				case !isClosed(gate):
					err = fmt.Errorf("joiner %d of task %d returned before the task completed", j, k+1)
				}
				errs <- err
			}()
		}
		time.Sleep(time.Duration(rng.IntN(100)) * time.Microsecond)
		lock <- struct{}{}
		close(gate)
		wk := w
		<-lock
		wk.Wake()
		for range joiners {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if v, err := h.Join(hangGuard(t)); v != k+1 || err != nil {
			t.Fatalf("task %d: Join = %d, %v", k+1, v, err)
		}
	}
}

// Two goroutines join the same task at once: the first waits on a reused
// channel, the second on one made for the task; both get the output, and
// so does a third that joins after completion.
func TestJoinByManyGoroutines(t *testing.T) {
	e := NewExecutor(Config{Workers: 1})
	defer e.Close()
	gate := make(chan struct{})
	var w Waker
	lock := make(chan struct{}, 1)
	h := Spawn[int](e, gated{id: 7, gate: gate, w: &w, lock: lock})
	got := make(chan int, 2)
	for range 2 {
		go func() {
			v, _ := h.Join(hangGuard(t))
			got <- v
		}()
	}
	time.Sleep(10 * time.Millisecond) // both waiting, most likely; either order is correct
	lock <- struct{}{}
	close(gate)
	wk := w
	<-lock
	wk.Wake()
	for range 2 {
		if v := <-got; v != 7 {
			t.Fatalf("a joiner got %d, want 7", v)
		}
	}
	if v, err := h.Join(hangGuard(t)); v != 7 || err != nil {
		t.Fatalf("Join after completion = %d, %v", v, err)
	}
}

// A goroutine waiting in Join when the executor is closed gets ErrClosed;
// the task never completes.
func TestJoinOfAnAbandonedTask(t *testing.T) {
	e := NewExecutor(Config{Workers: 1})
	h := Spawn[int](e, neverReady{})
	res := make(chan error, 1)
	go func() {
		_, err := h.Join(context.Background())
		res <- err
	}()
	time.Sleep(5 * time.Millisecond)
	e.Close()
	if err := <-res; !errors.Is(err, ErrClosed) {
		t.Fatalf("Join after Close = %v, want ErrClosed", err)
	}
}
