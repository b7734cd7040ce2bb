package async_test

import (
	"context"
	"fmt"

	"github.com/chansync/chansync/csp/async"
)

// An Acquire is a future: polled while no permit is free, it queues and
// returns Pending; the Release that frees a permit assigns it to the
// queued acquire and wakes it.
func ExampleSemaphore() {
	sem := async.NewSemaphore(1)
	first, second := sem.Acquire(), sem.Acquire()
	cx := async.NewContext(async.NewWaker(async.WakerFunc(func() { fmt.Println("second woken") })))

	_, ready := first.Poll(cx)
	fmt.Println("first ready:", ready)
	_, ready = second.Poll(cx)
	fmt.Println("second ready:", ready)
	sem.Release() // first gives its permit back: it goes to second
	_, ready = second.Poll(cx)
	fmt.Println("second ready:", ready)
	// Output:
	// first ready: true
	// second ready: false
	// second woken
	// second ready: true
}

// party is a task that waits at a barrier and reports whether it led.
type party struct{ wait async.BarrierWait }

func (p *party) Poll(cx *async.Context) (bool, bool) { return p.wait.Poll(cx) }

// Three tasks meet at a barrier of three; the last to arrive leads.
func ExampleBarrier() {
	e := async.NewExecutor(async.Config{})
	defer e.Close()
	b := async.NewBarrier(3)
	var handles []async.JoinHandle[bool]
	for range 3 {
		handles = append(handles, async.Spawn[bool](e, party{b.Wait()}))
	}
	leaders := 0
	for _, h := range handles {
		if leader, _ := h.Join(context.Background()); leader {
			leaders++
		}
	}
	fmt.Println("leaders:", leaders)
	// Output: leaders: 1
}
