package async_test

import (
	"context"
	"fmt"
	"time"

	"github.com/chansync/chansync/csp/async"
)

// countdown is a hand-written future: it needs n wakes before it is ready.
// Each poll it hands its waker to whoever will wake it; here, a goroutine.
type countdown struct {
	n     int
	wakes chan async.Waker
}

func (c *countdown) Poll(cx *async.Context) (string, bool) {
	if c.n == 0 {
		return "liftoff", true
	}
	c.n--
	c.wakes <- cx.Waker() // "wake me when you are done"
	return "", false      // Pending
}

// Spawn a future on an executor, wake it from another goroutine, join it.
func Example() {
	e := async.NewExecutor(async.Config{Workers: 2})
	defer e.Close()

	wakes := make(chan async.Waker, 1)
	go func() {
		for w := range wakes {
			w.Wake() // the event the future waits for has happened
		}
	}()
	defer close(wakes)

	h := async.Spawn[string](e, countdown{n: 3, wakes: wakes})
	v, err := h.Join(context.Background())
	fmt.Println(v, err)
	// Output: liftoff <nil>
}

// A Sleep is a future of the timers; a ManualClock moves only when told to,
// which is how tests make time deterministic.
func ExampleManualClock() {
	clock := async.NewManualClock(time.Unix(0, 0))
	sleep := clock.Sleep(time.Second)
	cx := async.NewContext(async.NewWaker(async.WakerFunc(func() { fmt.Println("woken") })))

	_, ready := sleep.Poll(cx)
	fmt.Println("ready:", ready)
	clock.Advance(time.Second)
	_, ready = sleep.Poll(cx)
	fmt.Println("ready:", ready)
	// Output:
	// ready: false
	// woken
	// ready: true
}
