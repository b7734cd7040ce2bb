package csp

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sourcegraph/conc"
)

// initCall is one GetOrInit in a test: its init announces itself on started
// and then does what the test sends on outcome.
type initCall struct {
	started chan struct{}
	outcome chan func(context.Context) (int, error)
	value   int
	err     chan error
}

// startInit calls c.GetOrInit(ctx) in a new goroutine with a controllable
// init, and waits until the call has started or queued.
func startInit(c *OnceCell[int], ctx context.Context) *initCall {
	call := &initCall{
		started: make(chan struct{}, 1),
		outcome: make(chan func(context.Context) (int, error)),
		err:     make(chan error, 1),
	}
	go func() {
		defer func() {
			if r := recover(); r != nil {
				call.err <- fmt.Errorf("panicked: %v", r)
			}
		}()
		v, err := c.GetOrInit(ctx, func(ctx context.Context) (int, error) {
			call.started <- struct{}{}
			return (<-call.outcome)(ctx)
		})
		call.value = v
		call.err <- err
	}()
	synctest.Wait()
	return call
}

func (c *initCall) running() bool {
	select {
	case <-c.started:
		return true
	default:
		return false
	}
}

func succeed(v int) func(context.Context) (int, error) {
	return func(context.Context) (int, error) { return v, nil }
}

var errInit = errors.New("init failed")

func fail(context.Context) (int, error) { return 0, errInit }

func TestOnceCellGetSet(t *testing.T) {
	c := NewOnceCell[string]()
	if v, ok := c.Get(); ok || v != "" {
		t.Fatalf("Get of an empty cell = %q, %v", v, ok)
	}
	if err := c.Set("a"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("b"); !errors.Is(err, ErrAlreadySet) {
		t.Fatalf("second Set returned %v, want ErrAlreadySet", err)
	}
	if v, ok := c.Get(); !ok || v != "a" {
		t.Fatalf("Get = %q, %v; want a, true", v, ok)
	}
	v, err := c.GetOrInit(context.Background(), func(context.Context) (string, error) {
		t.Fatal("init ran on a set cell")
		return "", nil
	})
	if v != "a" || err != nil {
		t.Fatalf("GetOrInit = %q, %v", v, err)
	}
}

// One init runs; the callers that arrive meanwhile wait and share its value.
func TestOnceCellOneInit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewOnceCell[int]()
		calls := []*initCall{startInit(c, context.Background())}
		for range 3 {
			calls = append(calls, startInit(c, context.Background()))
		}
		if !calls[0].running() {
			t.Fatal("the first caller's init did not run")
		}
		for _, call := range calls[1:] {
			if call.running() {
				t.Fatal("a second init ran while the first was running")
			}
		}
		calls[0].outcome <- succeed(7)
		synctest.Wait()
		for i, call := range calls {
			if err := <-call.err; err != nil || call.value != 7 {
				t.Fatalf("caller %d got %d, %v; want 7", i, call.value, err)
			}
			if i > 0 && call.running() {
				t.Fatalf("caller %d ran an init after the cell was set", i)
			}
		}
		if v, ok := c.Get(); !ok || v != 7 {
			t.Fatalf("Get = %d, %v", v, ok)
		}
	})
}

// When an init fails, is abandoned or panics, the cell stays empty and the
// oldest waiter runs its own init.
func TestOnceCellTurnPassesInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewOnceCell[int]()
		ctx0, cancel0 := context.WithCancel(context.Background())
		calls := []*initCall{startInit(c, context.Background()), startInit(c, ctx0)}
		for range 3 {
			calls = append(calls, startInit(c, context.Background()))
		}
		<-calls[0].started
		outcomes := []func(context.Context) (int, error){
			fail, // 0: an error
			func(ctx context.Context) (int, error) { // 1: its caller gives up
				cancel0()
				<-ctx.Done()
				return 0, ctx.Err()
			},
			func(context.Context) (int, error) { panic("init exploded") }, // 2
			succeed(42), // 3
		}
		wantErr := []string{errInit.Error(), context.Canceled.Error(), "panicked: init exploded"}
		for i, outcome := range outcomes {
			calls[i].outcome <- outcome
			synctest.Wait()
			if i == 3 {
				break
			}
			if err := <-calls[i].err; err == nil || err.Error() != wantErr[i] {
				t.Fatalf("caller %d returned %v, want %q", i, err, wantErr[i])
			}
			if _, ok := c.Get(); ok {
				t.Fatalf("the cell was set by a failed init (%d)", i)
			}
			if !calls[i+1].running() {
				t.Fatalf("after init %d failed, the next in line (%d) did not run its init", i, i+1)
			}
			for _, later := range calls[i+2:] {
				if later.running() {
					t.Fatal("a later caller ran its init out of turn")
				}
			}
		}
		for i := 3; i < 5; i++ {
			if err := <-calls[i].err; err != nil || calls[i].value != 42 {
				t.Fatalf("caller %d got %d, %v; want 42", i, calls[i].value, err)
			}
		}
		if calls[4].running() {
			t.Fatal("the last caller ran an init after the cell was set")
		}
	})
}

func TestOnceCellCancelledWaiterLeavesNoTrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewOnceCell[int]()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		first := startInit(c, context.Background())
		start := time.Now()
		quitter := startInit(c, ctx)
		last := startInit(c, context.Background())
		time.Sleep(time.Second)
		synctest.Wait()
		if err := <-quitter.err; !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("waiter returned %v, want DeadlineExceeded", err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Fatalf("gave up after %v, want exactly 1s", waited)
		}
		first.outcome <- fail
		synctest.Wait()
		if quitter.running() {
			t.Fatal("the waiter that gave up ran its init")
		}
		if !last.running() {
			t.Fatal("the turn did not skip the waiter that gave up")
		}
		last.outcome <- succeed(1)
		synctest.Wait()
		if err := <-last.err; err != nil || last.value != 1 {
			t.Fatalf("last got %d, %v", last.value, err)
		}
		<-first.err
	})
}

// A waiter whose context ends just as the turn comes to it passes the turn
// on. The test holds the state while the first init fails and the waiter's
// context ends; both then queue for the state in that order.
func TestOnceCellTurnAsCancelledPassesOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewOnceCell[int]()
		ctx, cancel := context.WithCancel(context.Background())
		first := startInit(c, context.Background())
		quitter := startInit(c, ctx)
		last := startInit(c, context.Background())
		s := <-c.state
		first.outcome <- fail
		synctest.Wait() // first's init returned; it waits for the state
		cancel()
		synctest.Wait() // the quitter saw ctx end; it waits for the state
		c.state <- s    // first passes the turn to the quitter, which passes it on
		synctest.Wait()
		if err := <-quitter.err; !errors.Is(err, context.Canceled) {
			t.Fatalf("quitter returned %v, want context.Canceled", err)
		}
		if quitter.running() {
			t.Fatal("the quitter ran its init")
		}
		if !last.running() {
			t.Fatal("the turn was lost with the quitter")
		}
		last.outcome <- succeed(3)
		synctest.Wait()
		if err := <-last.err; err != nil || last.value != 3 {
			t.Fatalf("last got %d, %v", last.value, err)
		}
		<-first.err
	})
}

// A Set while an init runs fills the cell; the waiters and the init's caller
// get the value set, and the init's own value is dropped.
func TestOnceCellSetWhileInitializing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewOnceCell[int]()
		first := startInit(c, context.Background())
		waiter := startInit(c, context.Background())
		if err := c.Set(5); err != nil {
			t.Fatalf("Set on a cell being initialized: %v", err)
		}
		synctest.Wait()
		if err := <-waiter.err; err != nil || waiter.value != 5 {
			t.Fatalf("waiter got %d, %v; want 5", waiter.value, err)
		}
		first.outcome <- succeed(6)
		synctest.Wait()
		if err := <-first.err; err != nil || first.value != 5 {
			t.Fatalf("init's caller got %d, %v; want the value set, 5", first.value, err)
		}
		if v, _ := c.Get(); v != 5 {
			t.Fatalf("Get = %d, want 5", v)
		}
	})
}

// TestOnceCellStress races callers whose inits fail, panic, give up with
// their context or succeed, plus occasional Sets, on many cells. It checks
// that inits never overlap, that everybody who got a value got the same one,
// and that it is the cell's.
func TestOnceCellStress(t *testing.T) {
	const cells, callers = 200, 8
	var inits, failed, values atomic.Int64
	for cell := range cells {
		c := NewOnceCell[int]()
		var running atomic.Int32
		got := make([]int, callers)
		var wg conc.WaitGroup
		for i := range callers {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(cell), uint64(i)))
				got[i] = -1
				ctx, cancel := randomContext(r, 0)
				defer cancel()
				if r.IntN(10) == 0 {
					if c.Set(1000+i) == nil {
						got[i] = 1000 + i
					}
					return
				}
				defer func() {
					if v := recover(); v != nil {
						failed.Add(1)
					}
				}()
				v, err := c.GetOrInit(ctx, func(ctx context.Context) (int, error) {
					if n := running.Add(1); n != 1 {
						t.Errorf("%d inits running at once", n)
					}
					defer running.Add(-1)
					inits.Add(1)
					switch r.IntN(4) {
					case 0:
						return 0, errInit
					case 1:
						panic("init panicked")
					case 2: // wait for the caller's ctx, within reason
						wait := time.NewTimer(time.Duration(r.IntN(100)) * time.Microsecond)
						defer wait.Stop()
						select {
						case <-ctx.Done():
							return 0, ctx.Err()
						case <-wait.C:
							return 0, errInit
						}
					}
					return i, nil
				})
				if err != nil {
					failed.Add(1)
					return
				}
				got[i] = v
				values.Add(1)
			})
		}
		wg.Wait()
		v, set := c.Get()
		for i, g := range got {
			if g != -1 && (!set || g != v) {
				t.Fatalf("cell %d: caller %d got %d; the cell holds %d (set %v)", cell, i, g, v, set)
			}
		}
	}
	if failed.Load() == 0 || values.Load() == 0 || inits.Load() <= cells {
		t.Fatalf("stress did not exercise the cells: %d inits, %d failed calls, %d values", inits.Load(), failed.Load(), values.Load())
	}
	t.Logf("%d inits on %d cells, %d failed calls, %d values", inits.Load(), cells, failed.Load(), values.Load())
}

// A GetOrInit whose context is done when it is called runs no init and
// joins no line; on a set cell it returns the value.
func TestOnceCellDoneContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewOnceCell[int]()
		done, cancel := context.WithCancel(context.Background())
		cancel()
		ran := false
		_, err := c.GetOrInit(done, func(context.Context) (int, error) { ran = true; return 1, nil })
		if !errors.Is(err, context.Canceled) || ran {
			t.Fatalf("GetOrInit of an empty cell with a done ctx returned %v, init ran: %v; want context.Canceled, no init", err, ran)
		}
		first := startInit(c, context.Background())
		if !first.running() {
			t.Fatal("the turn was left taken: the next caller's init did not run")
		}
		// With an init running, a done ctx neither waits nor queues.
		if _, err := c.GetOrInit(done, succeed(2)); !errors.Is(err, context.Canceled) {
			t.Fatalf("GetOrInit with a done ctx during an init returned %v, want context.Canceled", err)
		}
		s := <-c.state
		queued := !s.waiters.empty()
		c.state <- s
		if queued {
			t.Fatal("a GetOrInit with a done ctx joined the line")
		}
		first.outcome <- succeed(3)
		if err := <-first.err; err != nil || first.value != 3 {
			t.Fatalf("first init: %d, %v", first.value, err)
		}
		if v, err := c.GetOrInit(done, succeed(4)); v != 3 || err != nil {
			t.Fatalf("GetOrInit of a set cell with a done ctx = %d, %v; want 3, nil", v, err)
		}
	})
}
