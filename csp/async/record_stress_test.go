package async

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
)

// turnstile takes a permit of sem, yields once, gives it back, and does
// that n times; a Dropper, so an abort gives back its place in the queue.
type turnstile struct {
	sem     *Semaphore
	acq     Acquire
	n       int
	waiting bool // acq is in use
	holding bool
	yielded bool
}

func (f *turnstile) Poll(cx *Context) (int, bool) {
	for f.n > 0 {
		if !f.holding {
			if !f.waiting {
				f.acq, f.waiting = f.sem.Acquire(), true
			}
			if _, ok := f.acq.Poll(cx); !ok {
				return 0, false
			}
			f.waiting, f.holding = false, true
		}
		if !f.yielded {
			f.yielded = true
			cx.Waker().Wake()
			return 0, false
		}
		f.sem.Release()
		f.holding, f.yielded = false, false
		f.n--
	}
	return 0, true
}

func (f *turnstile) Drop() {
	if f.waiting {
		f.acq.Drop()
	}
	if f.holding {
		f.sem.Release()
	}
}

// TestStressRecordsAddUp runs rounds of tasks that queue for a semaphore
// on a recording worker pool, aborts some of them at random while they
// wait or hold a permit, and reads snapshots all along. Once every task
// has completed, each record says so, no place holds any task's waker
// (every wait list gave back what it held, aborted waits included), and
// each task's busy, scheduled and idle times add up to its life.
func TestStressRecordsAddUp(t *testing.T) {
	const tasks = 200
	for round := range stressRounds(t) {
		e := NewExecutor(Config{Workers: 2, Record: true})
		sem := NewSemaphore(3)
		handles := make([]JoinHandle[int], tasks)
		for i := range handles {
			handles[i] = SpawnNamed[int](e, "turnstile", turnstile{sem: sem, n: 1 + rand.IntN(5)})
		}
		stop := make(chan struct{})
		read := make(chan int)
		go func() {
			n := 0
			for {
				select {
				case <-stop:
					read <- n
					return
				default:
					n += len(e.Tasks())
				}
			}
		}()
		for range tasks / 10 {
			handles[rand.IntN(tasks)].Abort()
		}
		for i, h := range handles {
			if _, err := h.Join(context.Background()); err != nil && !errors.Is(err, ErrAborted) {
				t.Fatalf("round %d: task %d: %v", round, i, err)
			}
		}
		close(stop)
		<-read
		ts := e.Tasks()
		if len(ts) != tasks {
			t.Fatalf("round %d: %d records, want %d", round, len(ts), tasks)
		}
		for _, ti := range ts {
			life := ti.Ended.Sub(ti.Spawned)
			if ti.State != TaskDone || ti.Wakers != 0 || ti.Busy+ti.Scheduled > life || ti.Busy+ti.Scheduled+ti.Idle != life {
				t.Fatalf("round %d: %+v: want done, no holder, busy+scheduled+idle = its life %v, busy+scheduled within it", round, ti, life)
			}
		}
		if err := e.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}
