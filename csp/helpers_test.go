package csp

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// async runs f in a new goroutine and returns a channel that will hold its
// result.
func async(f func() error) <-chan error {
	c := make(chan error, 1)
	go func() { c <- f() }()
	return c
}

// returned fails the test unless the call behind c has returned (inside a
// synctest bubble, after synctest.Wait), and gives its result.
func returned(t *testing.T, c <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-c:
		return err
	default:
		t.Fatalf("%s is still blocked, want it returned", what)
		return nil
	}
}

// blocked fails the test if the call behind c has returned.
func blocked(t *testing.T, c <-chan error, what string) {
	t.Helper()
	select {
	case err := <-c:
		t.Fatalf("%s returned %v, want it still blocked", what, err)
	default:
	}
}

// randomContext returns a context for one blocking call of a stress or
// linearizability test: sometimes already cancelled, often with a deadline
// so short that it races with the call, otherwise one that ends after up to
// patience, or never if patience is 0.
func randomContext(r *rand.Rand, patience time.Duration) (context.Context, context.CancelFunc) {
	switch x := r.IntN(8); {
	case x == 0:
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx, cancel
	case x < 4:
		return context.WithTimeout(context.Background(), time.Duration(r.IntN(50))*time.Microsecond)
	case patience == 0:
		return context.WithCancel(context.Background())
	}
	return context.WithTimeout(context.Background(), 100*time.Microsecond+time.Duration(r.Int64N(int64(patience))))
}
