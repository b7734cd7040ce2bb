package csp

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
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
	mustPanic(t, "SetLimit while running", func() { g.SetLimit(3) })
	close(block)
	g.Wait()
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
