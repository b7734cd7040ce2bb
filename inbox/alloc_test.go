package inbox

import (
	"context"
	"math"
	"testing"

	"github.com/chansync/chansync/csp/async"
)

// allocsPerOp measures the heap allocations of k operations and of 2k, run
// by start and wait, and returns the difference divided by k: what one
// more operation costs, without what a run costs whatever its size.
func allocsPerOp(t *testing.T, k int, start func(i int), wait func(n int)) float64 {
	t.Helper()
	measure := func(n int) float64 {
		return testing.AllocsPerRun(20, func() {
			for i := range n {
				start(i)
			}
			wait(n)
		})
	}
	return (measure(2*k) - measure(k)) / float64(k)
}

// allocServices has room in every inbox for all the deliveries of the
// test, so every operation succeeds and no error is formatted.
func allocServices(timers async.Timers) *Services {
	s := NewServices(0, timers)
	s.AddMessage("msg-1", "hello")
	s.AddUser(1, "ada", 1<<20, true)
	s.AddUser(2, "bob", 1<<20, false)
	return s
}

// TestStateMachineAllocatesOncePerOperation pins the state machine at one
// heap allocation per operation, the task that holds it, on the real
// executor and reactor; and shows what the callback and goroutine versions
// cost for the same operations.
func TestStateMachineAllocatesOncePerOperation(t *testing.T) {
	r, exec := newRuntime(t)
	svc := allocServices(r)
	const k = 100
	ctx := context.Background()
	id := func(i int) UserID { return UserID(1 + i%2) } // half cache hits, half misses

	handles := make([]async.JoinHandle[error], 2*k)
	join := &async.JoinAll[error]{Each: func(_ int, err, joinErr error) {
		if err != nil || joinErr != nil {
			t.Errorf("operation failed: %v, %v", err, joinErr)
		}
	}}
	sm := allocsPerOp(t, k,
		func(i int) { handles[i] = async.Spawn[error](exec, NewAddToInbox(svc, "msg-1", id(i))) },
		func(n int) {
			*join = async.JoinAll[error]{Handles: handles[:n], Each: join.Each}
			async.BlockOn[struct{}](ctx, join)
		})
	// Under the race detector AllocsPerRun adds an allocation of its own
	// now and then (one in a whole run: 0.01 per operation here).
	if sm != 1 && !(raceEnabled && math.Abs(sm-1) <= 0.011) {
		t.Errorf("state machine: %v heap allocations per operation, want exactly 1 (its task)", sm)
	}

	results := make(chan error, 2*k)
	done := func(err error) { results <- err }
	wait := func(n int) {
		for range n {
			if err := <-results; err != nil {
				t.Error(err)
			}
		}
	}
	cb := allocsPerOp(t, k, func(i int) { AddToInboxCallback(ctx, svc, "msg-1", id(i), done) }, wait)
	if cb <= 2 {
		t.Errorf("callbacks: %v allocations per operation; a closure per step should make it several", cb)
	}

	gsvc := allocServices(nil)
	g := allocsPerOp(t, k, func(i int) {
		go func() { results <- AddToInbox(ctx, gsvc, "msg-1", id(i)) }()
	}, wait)
	t.Logf("heap allocations per operation: state machine %.2f, callbacks %.2f, goroutine %.2f", sm, cb, g)
}
