package async

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestShutdownWaitsForTasksAndRefusesNewOnes(t *testing.T) {
	bubble(t, Config{Workers: 2}, func(t *testing.T, e *Executor) {
		r := &record{readyAt: 2}
		h := Spawn[int](e, probe{r})
		synctest.Wait()
		done := make(chan error)
		go func() { done <- e.Shutdown(context.Background()) }()
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Shutdown returned %v while a task was still pending", err)
		default:
		}
		refused := &record{readyAt: 1}
		late := Spawn[int](e, probe{refused})
		if _, err := late.Join(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Join of a task spawned during Shutdown = %v, want ErrClosed", err)
		}
		if refused.polls != 0 || refused.drops != 1 {
			t.Fatalf("refused task: %d polls, %d drops; want 0 and 1", refused.polls, refused.drops)
		}
		r.waker.Wake()
		if err := <-done; err != nil {
			t.Fatalf("Shutdown = %v", err)
		}
		if v, err := h.Join(context.Background()); v != 2 || err != nil {
			t.Fatalf("Join = %d, %v", v, err)
		}
	})
}

func TestShutdownDeadlineAbandonsPendingTasks(t *testing.T) {
	bubble(t, Config{Workers: 2}, func(t *testing.T, e *Executor) {
		r := &record{}
		h := Spawn[int](e, probe{r})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := e.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
		}
		if _, err := h.Join(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Join of an abandoned task = %v, want ErrClosed", err)
		}
		r.waker.Wake() // a wake after the executor stopped is ignored
		synctest.Wait()
		if r.polls != 1 {
			t.Fatalf("abandoned task polled %d times", r.polls)
		}
		e.Close() // idempotent
		if err := e.Shutdown(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Shutdown after Close, with a task abandoned = %v, want ErrClosed", err)
		}
	})
}

func TestConcurrentShutdowns(t *testing.T) {
	bubble(t, Config{Workers: 2}, func(t *testing.T, e *Executor) {
		r := &record{readyAt: 2}
		Spawn[int](e, probe{r})
		synctest.Wait()
		errs := make(chan error, 3)
		for range 3 {
			go func() { errs <- e.Shutdown(context.Background()) }()
		}
		synctest.Wait()
		r.waker.Wake()
		for range 3 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	})
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
