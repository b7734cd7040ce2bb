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

// GoContext waits for a free slot only as long as its context lasts; a task
// that could not start in time is never run.
func ExampleGroup_GoContext() {
	g := csp.NewGroup()
	g.SetLimit(1)
	release := make(chan struct{})
	g.Go(func() error { <-release; return nil }) // takes the only slot

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := g.GoContext(ctx, func() error {
		fmt.Println("never printed")
		return nil
	})
	fmt.Println("GoContext:", err)

	close(release)
	fmt.Println("Wait:", g.Wait())
	// Output:
	// GoContext: context deadline exceeded
	// Wait: <nil>
}

// A limit of zero lets no task start, as with errgroup: TryGo reports
// false, and GoContext gives up when its context ends.
func ExampleGroup_SetLimit() {
	g := csp.NewGroup()
	g.SetLimit(0)
	task := func() error { return nil }
	fmt.Println("TryGo:", g.TryGo(task))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	fmt.Println("GoContext:", g.GoContext(ctx, task))

	g.SetLimit(-1) // no limit
	fmt.Println("TryGo without a limit:", g.TryGo(task), g.Wait())
	// Output:
	// TryGo: false
	// GoContext: context deadline exceeded
	// TryGo without a limit: true <nil>
}

// NotifyOne before anybody waits is not lost: it leaves a permit, and a
// burst of notifications leaves only one.
func ExampleNotify() {
	n := csp.NewNotify()
	n.NotifyOne()
	n.NotifyOne()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	fmt.Println(n.Wait(ctx)) // the permit
	fmt.Println(n.Wait(ctx)) // nothing left: waits until ctx ends
	// Output:
	// <nil>
	// context deadline exceeded
}

// A queued writer holds up the readers that come after it, so readers
// cannot starve it.
func ExampleRWMutex() {
	m := csp.NewRWMutex()
	ctx := context.Background()
	m.RLock(ctx)
	writer := make(chan error)
	go func() { writer <- m.Lock(ctx) }()
	// Once the writer has queued, a new reader is refused although only a
	// reader holds the lock.
	for m.TryRLock() {
		m.RUnlock()
		time.Sleep(time.Microsecond)
	}
	fmt.Println("a reader behind the queued writer is refused")
	m.RUnlock()
	fmt.Println("writer:", <-writer)
	m.Unlock()
	fmt.Println("reader now:", m.TryRLock())
	// Output:
	// a reader behind the queued writer is refused
	// writer: <nil>
	// reader now: true
}

// An init that fails leaves the cell empty; the next caller runs its own.
func ExampleOnceCell() {
	cell := csp.NewOnceCell[string]()
	ctx := context.Background()
	_, err := cell.GetOrInit(ctx, func(context.Context) (string, error) {
		return "", errors.New("config server down")
	})
	fmt.Println(err)
	v, err := cell.GetOrInit(ctx, func(context.Context) (string, error) { return "config v2", nil })
	fmt.Println(v, err)
	v, _ = cell.GetOrInit(ctx, func(context.Context) (string, error) { return "never used", nil })
	fmt.Println(v)
	// Output:
	// config server down
	// config v2 <nil>
	// config v2
}

// A subscriber that falls behind by more than the capacity is told how many
// values it missed, then continues from the oldest one kept.
func ExampleBroadcast() {
	b := csp.NewBroadcast[int](2)
	sub := b.Subscribe()
	for v := 1; v <= 5; v++ {
		b.Send(v) // never waits for the subscriber
	}
	b.Close()
	ctx := context.Background()
	for {
		v, err := sub.Recv(ctx)
		var lag *csp.LaggedError
		switch {
		case errors.As(err, &lag):
			fmt.Println("missed", lag.Missed)
			continue
		case errors.Is(err, csp.ErrClosed):
			fmt.Println("closed")
			return
		}
		fmt.Println(v)
	}
	// Output:
	// missed 3
	// 4
	// 5
	// closed
}

// A watcher sees the latest value, not a backlog.
func ExampleWatch() {
	config := csp.NewWatch("v1")
	w := config.Subscribe()
	config.Send("v2")
	config.Send("v3")
	ctx := context.Background()
	if err := w.Changed(ctx); err == nil {
		fmt.Println("now", w.Borrow())
	}
	config.Close()
	fmt.Println(w.Changed(ctx))
	// Output:
	// now v3
	// csp: closed
}

// Oneshot and mpsc need no type in Go: a channel with a buffer of one is a
// oneshot, a buffered channel shared by several senders is an mpsc. What
// tokio signals by dropping the sender, Go signals by close.
func Example_oneshotAndMPSC() {
	reply := make(chan int, 1) // tokio::sync::oneshot
	go func() { reply <- 42 }()
	fmt.Println("oneshot:", <-reply)

	jobs := make(chan string, 8) // tokio::sync::mpsc::channel(8)
	g := csp.NewGroup()
	for _, name := range []string{"a", "b"} {
		g.Go(func() error { jobs <- name; return nil })
	}
	go func() { g.Wait(); close(jobs) }() // every sender done: "all senders dropped"
	n := 0
	for range jobs { // ends at close, as recv() returns None in Rust
		n++
	}
	fmt.Println("mpsc:", n, "jobs")
	// Output:
	// oneshot: 42
	// mpsc: 2 jobs
}
