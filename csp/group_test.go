package csp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestGroupWaitsForAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := NewGroup()
		gate := make(chan struct{})
		var finished atomic.Int32
		for range 10 {
			g.Go(func() error {
				<-gate
				finished.Add(1)
				return nil
			})
		}
		waited := make(chan error, 1)
		go func() { waited <- g.Wait() }()
		synctest.Wait()
		if len(waited) != 0 {
			t.Fatal("Wait returned while tasks were blocked")
		}
		close(gate)
		synctest.Wait()
		if err := <-waited; err != nil {
			t.Fatalf("Wait = %v", err)
		}
		if got := finished.Load(); got != 10 {
			t.Fatalf("Wait returned after %d of 10 tasks", got)
		}
	})
}

func TestGroupFirstError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errFirst, errSecond := errors.New("first"), errors.New("second")
		g, ctx := WithContext(context.Background())
		second := make(chan struct{})
		g.Go(func() error { return errFirst })
		g.Go(func() error {
			<-ctx.Done() // cancelled by the first error
			close(second)
			return errSecond
		})
		g.Go(func() error {
			<-second
			return nil
		})
		if err := g.Wait(); err != errFirst {
			t.Fatalf("Wait = %v, want the first error", err)
		}
		if cause := context.Cause(ctx); cause != errFirst {
			t.Fatalf("context cause = %v, want the first error", cause)
		}
	})
}

func TestGroupContextCancelledOnWait(t *testing.T) {
	g, ctx := WithContext(context.Background())
	g.Go(func() error { return nil })
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() == nil {
		t.Fatal("context still live after Wait")
	}
}

func panicky() error { panic(errors.New("task blew up")) }

func TestGroupRepanics(t *testing.T) {
	g, ctx := WithContext(context.Background())
	g.Go(panicky)
	g.Go(func() error {
		<-ctx.Done() // the panic cancels the siblings
		return nil
	})
	defer func() {
		r := recover()
		pe, ok := r.(*PanicError)
		if !ok {
			t.Fatalf("Wait panicked with %T (%v), want *PanicError", r, r)
		}
		if !strings.Contains(pe.Error(), "task blew up") {
			t.Errorf("panic message %q lacks the task's value", pe.Error())
		}
		if !strings.Contains(string(pe.Stack), "panicky") {
			t.Errorf("panic stack does not show the task that panicked:\n%s", pe.Stack)
		}
		if err := error(pe); errors.Unwrap(err) == nil || errors.Unwrap(err).Error() != "task blew up" {
			t.Errorf("Unwrap = %v, want the panic value", errors.Unwrap(err))
		}
	}()
	g.Wait()
	t.Fatal("Wait returned instead of panicking")
}

func TestGroupLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := NewGroup()
		g.SetLimit(2)
		release := make(chan struct{})
		var running, most atomic.Int32
		task := func() error {
			n := running.Add(1)
			if n > most.Load() {
				most.Store(n)
			}
			<-release
			running.Add(-1)
			return nil
		}
		g.Go(task)
		g.Go(task)
		if g.TryGo(task) {
			t.Fatal("TryGo started a third task over the limit of 2")
		}
		started := make(chan struct{})
		go func() {
			g.Go(task) // waits for a slot
			close(started)
		}()
		synctest.Wait()
		select {
		case <-started:
			t.Fatal("Go did not wait for a free slot")
		default:
		}
		release <- struct{}{}
		synctest.Wait()
		<-started
		close(release)
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		if got := most.Load(); got != 2 {
			t.Fatalf("at most %d tasks ran at once, want 2", got)
		}
	})
}

func TestGroupSetLimitWhileRunningPanics(t *testing.T) {
	g := NewGroup()
	block := make(chan struct{})
	g.Go(func() error { <-block; return nil })
	for _, n := range []int{-1, 0, 3} {
		mustPanic(t, fmt.Sprintf("SetLimit(%d) while running", n), func() { g.SetLimit(n) })
	}
	close(block)
	g.Wait()
}

// GoContext waits for a slot only until its context ends, and then starts
// nothing and holds up nobody; with a context done when it is called it
// starts nothing even if a slot is free.
func TestGroupGoContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := NewGroup()
		g.SetLimit(1)
		release := make(chan struct{})
		var ran [3]atomic.Bool
		task := func(i int) func() error {
			return func() error { ran[i].Store(true); <-release; return nil }
		}
		if err := g.GoContext(context.Background(), task(0)); err != nil {
			t.Fatalf("GoContext with a free slot returned %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		second := async(func() error { return g.GoContext(ctx, task(1)) })
		synctest.Wait()
		third := async(func() error { g.Go(task(2)); return nil })
		synctest.Wait()
		blocked(t, second, "GoContext with the limit reached")
		cancel()
		synctest.Wait()
		if err := returned(t, second, "GoContext whose ctx ended"); !errors.Is(err, context.Canceled) {
			t.Fatalf("GoContext whose ctx ended returned %v, want context.Canceled", err)
		}
		blocked(t, third, "Go with the limit reached")
		release <- struct{}{} // task 0 ends; the slot goes to the Go behind the cancelled GoContext
		synctest.Wait()
		returned(t, third, "Go after a slot was freed")
		close(release)
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		if ran[1].Load() || !ran[0].Load() || !ran[2].Load() {
			t.Fatalf("tasks run: %v %v %v; want 0 and 2, not the cancelled 1", ran[0].Load(), ran[1].Load(), ran[2].Load())
		}

		done, stop := context.WithCancel(context.Background())
		stop()
		for _, limit := range []int{1, -1} {
			g.SetLimit(limit)
			var started atomic.Bool
			err := g.GoContext(done, func() error { started.Store(true); return nil })
			synctest.Wait()
			if !errors.Is(err, context.Canceled) || started.Load() {
				t.Fatalf("limit %d: GoContext with a done ctx returned %v, started f: %v; want context.Canceled, not started", limit, err, started.Load())
			}
			if !g.TryGo(func() error { return nil }) {
				t.Fatalf("limit %d: GoContext with a done ctx took the slot", limit)
			}
			if err := g.Wait(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// SetLimit(0) lets no task start, as errgroup documents: TryGo reports false,
// GoContext waits until its context ends, and Go waits for good.
func TestGroupLimitZero(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := NewGroup()
		g.SetLimit(0)
		var ran atomic.Bool
		f := func() error { ran.Store(true); return nil }
		if g.TryGo(f) {
			t.Fatal("TryGo started a task with a limit of 0")
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		if err := g.GoContext(ctx, f); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("GoContext with a limit of 0 returned %v, want DeadlineExceeded", err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Fatalf("GoContext gave up after %v, want exactly 1s", waited)
		}
		goReturned := async(func() error { g.Go(f); return nil })
		synctest.Wait()
		blocked(t, goReturned, "Go with a limit of 0")
		// Nothing outside the package can end that wait; close the limit
		// to let the goroutine go (Go then starts nothing).
		g.limit.Close()
		synctest.Wait()
		returned(t, goReturned, "Go once its wait was ended")
		if ran.Load() {
			t.Fatal("a task ran with a limit of 0")
		}
		g.SetLimit(-1)
		if !g.TryGo(f) {
			t.Fatal("TryGo failed after the limit was removed")
		}
		if err := g.Wait(); err != nil || !ran.Load() {
			t.Fatalf("Wait = %v, task ran: %v", err, ran.Load())
		}
	})
}

func TestGroupReuse(t *testing.T) {
	g := NewGroup()
	for round := range 3 {
		var n atomic.Int32
		for range 100 {
			g.Go(func() error { n.Add(1); return nil })
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		if n.Load() != 100 {
			t.Fatalf("round %d: Wait returned after %d of 100 tasks", round, n.Load())
		}
	}
}
