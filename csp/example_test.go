package csp_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chansync/chansync/csp"
)

// Two permits: a third acquirer waits (or, with TryAcquire, is refused)
// until one is given back.
func ExampleSemaphore() {
	sem := csp.NewSemaphore(2)
	ctx := context.Background()
	sem.Acquire(ctx)
	sem.Acquire(ctx)
	fmt.Println("third:", sem.TryAcquire())
	sem.Release()
	fmt.Println("after a release:", sem.TryAcquire(), "free:", sem.Available())
	// Output:
	// third: false
	// after a release: true free: 0
}

// An acquire that cannot be served in time gives up and leaves no trace.
func ExampleSemaphore_AcquireN() {
	sem := csp.NewSemaphore(3)
	sem.AcquireN(context.Background(), 2)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := sem.AcquireN(ctx, 2)
	fmt.Println(err, sem.Available())
	// Output: context deadline exceeded 1
}

// Three parties meet at the barrier; the last to arrive leads.
func ExampleBarrier() {
	b := csp.NewBarrier(3)
	leaders := make(chan bool, 3)
	g := csp.NewGroup()
	for range 3 {
		g.Go(func() error {
			leader, err := b.Wait(context.Background())
			leaders <- leader
			return err
		})
	}
	g.Wait()
	close(leaders)
	n := 0
	for l := range leaders {
		if l {
			n++
		}
	}
	fmt.Println("leaders:", n)
	// Output: leaders: 1
}

// A Mutex may be held while waiting on something else, and a waiter can give
// up instead of hanging.
func ExampleMutex() {
	m := csp.NewMutex()
	m.Lock(context.Background())
	done := make(chan error)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		done <- m.Lock(ctx) // the holder is waiting on us: give up in time
	}()
	err := <-done // blocking while holding m
	m.Unlock()
	fmt.Println(err)
	// Output: context deadline exceeded
}

// join_all: run tasks, wait for all, get the first error.
func ExampleGroup() {
	g, ctx := csp.WithContext(context.Background())
	results := make([]int, 4)
	for i := range results {
		g.Go(func() error {
			if i == 3 {
				return errors.New("task 3 failed")
			}
			results[i] = i * i
			return nil
		})
	}
	err := g.Wait()
	fmt.Println(results[:3], err, ctx.Err())
	// Output: [0 1 4] task 3 failed context canceled
}
