// Command external uses chansync from a module of its own: csp's Semaphore
// and Group, and a future of its own spawned on csp/async's executor.
// tests/external_test.go builds and runs it.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/chansync/chansync/csp"
	"github.com/chansync/chansync/csp/async"
)

// countdown is a hand-written future: Ready after n wakes. Each time it is
// Pending it hands its waker to whoever will wake it (here, a goroutine).
type countdown struct {
	n     int
	wakes chan<- async.Waker
}

func (c *countdown) Poll(cx *async.Context) (string, bool) {
	if c.n == 0 {
		return "liftoff", true
	}
	c.n--
	c.wakes <- cx.Waker() // "wake me when you are done"
	return "", false      // Pending
}

func main() {
	ctx := context.Background()

	// At most 2 of the 5 jobs hold a permit at once; the Group joins them.
	sem := csp.NewSemaphore(2)
	g := csp.NewGroup()
	squares := make(chan int, 5)
	for i := range 5 {
		g.Go(func() error {
			if err := sem.Acquire(ctx); err != nil {
				return err
			}
			defer sem.Release()
			squares <- i * i
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	close(squares)
	sum := 0
	for s := range squares {
		sum += s
	}
	fmt.Println("sum of squares:", sum)

	// A future of our own, spawned as a task and joined.
	e := async.NewExecutor(async.Config{Workers: 1})
	defer e.Close()
	wakes := make(chan async.Waker, 1)
	go func() {
		for w := range wakes {
			w.Wake()
		}
	}()
	defer close(wakes)
	h := async.Spawn[string](e, countdown{n: 3, wakes: wakes})
	v, err := h.Join(ctx)
	fmt.Println("task:", v, err)
}
