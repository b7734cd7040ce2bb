package h2o

import (
	"time"

	"github.com/chansync/chansync/csp"
)

// Floor measures what the tutorial's workload costs before any
// synchronization: it spawns 3n goroutines, joined with a csp.Group as the
// atoms are, each of which only waits on a gate that opens once all are
// spawned, and returns the time from the first spawn until all have
// returned. A factory's time for n molecules spawned at once is compared
// with it.
func Floor(n int) time.Duration {
	gate := make(chan struct{})
	g := csp.NewGroup()
	start := time.Now()
	for range 3 * n {
		g.Go(func() error { <-gate; return nil })
	}
	close(gate)
	_ = g.Wait() // every goroutine returns nil
	return time.Since(start)
}
