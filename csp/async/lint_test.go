package async

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// lostWaker is the planted bug: it returns Pending without giving its
// waker to anyone, so nothing will ever poll it again.
type lostWaker struct{}

func (lostWaker) Poll(*Context) (int, bool) { return 0, false }

// blockingPoll blocks its worker in its first poll for d, then is ready.
type blockingPoll struct{ d time.Duration }

func (b blockingPoll) Poll(*Context) (int, bool) {
	time.Sleep(b.d)
	return 0, true
}

// selfWaker wakes itself and returns Pending n times, then is ready.
type selfWaker struct{ n int }

func (s *selfWaker) Poll(cx *Context) (int, bool) {
	if s.n == 0 {
		return 0, true
	}
	s.n--
	cx.Waker().Wake()
	return 0, false
}

// lintsOf returns the lints that e's tasks fail, as "name: lint".
func lintsOf(e *Executor, c LintConfig) []string {
	var out []string
	for _, f := range e.Lints(c) {
		out = append(out, f.Task.Name+": "+f.Lint.String())
	}
	return out
}

// TestLintFindsALostWaker plants a future that returns Pending without
// registering anything, among tasks that wait on each kind of holder of a
// waker: a place in a semaphore's and a barrier's wait list, an armed
// timer, a task joining another. Only the planted one is reported, and
// only once it has been idle longer than the threshold.
func TestLintFindsALostWaker(t *testing.T) {
	bubble(t, Config{Workers: 2, Record: true}, func(t *testing.T, e *Executor) {
		sem, bar, clock := emptySemaphore(20), NewBarrier(2), NewManualClock(time.Now())
		SpawnNamed[int](e, "planted", lostWaker{})
		SpawnNamed[error](e, "semaphore", sem.Acquire())
		SpawnNamed[bool](e, "barrier", bar.Wait())
		SpawnNamed[struct{}](e, "timer", clock.Sleep(time.Hour))
		never := SpawnNamed[int](e, "never", lostWaker{})
		polls := 0
		SpawnNamed[int](e, "joiner", joiner{never, &polls})
		synctest.Wait()
		c := LintConfig{LostAfter: 100 * time.Millisecond}
		time.Sleep(c.LostAfter)
		if got := lintsOf(e, c); len(got) != 0 {
			t.Fatalf("at the threshold: %v, want no finding yet", got)
		}
		time.Sleep(time.Millisecond)
		got := lintsOf(e, c)
		want := []string{"planted: lost its waker", "never: lost its waker"}
		if !slices.Equal(got, want) {
			t.Fatalf("past the threshold: %v, want %v", got, want)
		}
		for _, name := range []string{"semaphore", "barrier", "timer", "joiner"} {
			if ti := taskNamed(t, e, name); ti.Wakers != 1 || ti.State != TaskIdle {
				t.Errorf("%s: %d places hold its waker, state %v; want 1, idle", name, ti.Wakers, ti.State)
			}
		}
		// Once the holders give the wakers back (and wake the tasks), the
		// counts return to zero.
		sem.Release()
		clock.Advance(time.Hour)
		SpawnNamed[bool](e, "second arrival", bar.Wait())
		never.Abort()
		synctest.Wait()
		for _, name := range []string{"semaphore", "barrier", "timer", "joiner"} {
			if ti := taskNamed(t, e, name); ti.Wakers != 0 || ti.State != TaskDone {
				t.Errorf("%s: %d places hold its waker, state %v; want 0, done", name, ti.Wakers, ti.State)
			}
		}
	})
}

// TestLintFindsABlockingPoll plants a poll that blocks its worker for
// 20 ms, beside one of 5 ms.
func TestLintFindsABlockingPoll(t *testing.T) {
	bubble(t, Config{Workers: 1, Record: true}, func(t *testing.T, e *Executor) {
		a := SpawnNamed[int](e, "blocks", blockingPoll{20 * time.Millisecond})
		b := SpawnNamed[int](e, "short", blockingPoll{5 * time.Millisecond})
		for _, h := range []JoinHandle[int]{a, b} {
			if _, err := h.Join(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		got := lintsOf(e, LintConfig{})
		if want := []string{"blocks: blocks its executor"}; !slices.Equal(got, want) {
			t.Fatalf("lints %v, want %v", got, want)
		}
		if ti := taskNamed(t, e, "blocks"); ti.Busy != 20*time.Millisecond || ti.LongestPoll != 20*time.Millisecond {
			t.Errorf("busy %v, longest poll %v; want 20ms each", ti.Busy, ti.LongestPoll)
		}
	})
}

// TestLintFindsATaskThatWakesItself: a task that wakes itself in each poll
// is reported; one woken by another as often is not.
func TestLintFindsATaskThatWakesItself(t *testing.T) {
	bubble(t, Config{Workers: 1, Record: true}, func(t *testing.T, e *Executor) {
		h := SpawnNamed[int](e, "spins", selfWaker{n: 20})
		sem := emptySemaphore(20)
		waits := make([]JoinHandle[error], 20)
		for i := range waits {
			waits[i] = SpawnNamed[error](e, "waits", sem.Acquire())
		}
		if _, err := h.Join(context.Background()); err != nil {
			t.Fatal(err)
		}
		sem.ReleaseN(20)
		for _, w := range waits {
			if _, err := w.Join(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		got := lintsOf(e, LintConfig{})
		if want := []string{"spins: wakes itself more than it waits"}; !slices.Equal(got, want) {
			t.Fatalf("lints %v, want %v", got, want)
		}
		if ti := taskNamed(t, e, "spins"); ti.Polls != 21 || ti.Wakes != 20 || ti.SelfWakes != 20 {
			t.Errorf("polls %d, wakes %d, self-wakes %d; want 21, 20, 20", ti.Polls, ti.Wakes, ti.SelfWakes)
		}
	})
}

func TestWriteTasks(t *testing.T) {
	bubble(t, Config{Workers: 1, Record: true}, func(t *testing.T, e *Executor) {
		SpawnNamed[int](e, "planted", lostWaker{})
		synctest.Wait()
		time.Sleep(2 * time.Second)
		var b bytes.Buffer
		if err := WriteTasks(&b, e.Tasks(), e.Lints(LintConfig{}), time.Now()); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(b.String()), "\n")
		if len(lines) != 4 || !strings.Contains(lines[0], "polls") ||
			!strings.Contains(lines[1], "idle") || !strings.HasSuffix(lines[1], "planted") ||
			lines[2] != "lints: 1 findings" || !strings.Contains(lines[3], "task 1 (planted) lost its waker: idle for 2s") {
			t.Fatalf("task list:\n%s", b.String())
		}
	})
}
