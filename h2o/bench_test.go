package h2o

// Run with
//
//	go test -run '^$' -bench . -count 10 ./h2o | tee h2o.txt
//	benchstat -col /impl h2o.txt

import (
	"context"
	"testing"
	"time"

	"github.com/chansync/chansync/csp"
	"github.com/chansync/chansync/internal/baseline"
	"golang.org/x/sync/semaphore"
)

// conventional is the water factory built the usual way: x/sync semaphores
// and a sync.Cond barrier. It ignores cancellation at the barrier.
type conventional struct {
	hydrogen, oxygen *semaphore.Weighted
	barrier          *baseline.CondBarrier
}

func newConventional() *conventional {
	return &conventional{semaphore.NewWeighted(2), semaphore.NewWeighted(1), baseline.NewCondBarrier(3)}
}

func (c *conventional) Hydrogen(ctx context.Context, bond func()) error {
	return c.atom(ctx, c.hydrogen, bond)
}

func (c *conventional) Oxygen(ctx context.Context, bond func()) error {
	return c.atom(ctx, c.oxygen, bond)
}

func (c *conventional) atom(ctx context.Context, s *semaphore.Weighted, bond func()) error {
	if err := s.Acquire(ctx, 1); err != nil {
		return err
	}
	defer s.Release(1)
	c.barrier.Wait()
	bond()
	return nil
}

func nop(Atom) func() { return func() {} }

// BenchmarkSteadyState measures the synchronization itself: a crew of 20
// hydrogen and 10 oxygen goroutines makes b.N molecules from a shared
// supply of atoms. ns/op is ns per molecule.
func BenchmarkSteadyState(b *testing.B) {
	for _, impl := range []struct {
		name string
		new  func() Factory
	}{
		{"impl=csp", func() Factory { return NewWater() }},
		{"impl=conventional", func() Factory { return newConventional() }},
	} {
		b.Run(impl.name, func(b *testing.B) {
			f := impl.new()
			produce(f, b.N, 20, 10, 0, nop)
		})
	}
}

// spawnAll is the tutorial's workload: 2n hydrogen and n oxygen goroutines
// spawned at once, interleaved, joined with a csp.Group.
func spawnAll(n int, f Factory) time.Duration {
	ctx := context.Background()
	g := csp.NewGroup()
	start := time.Now()
	for range n {
		g.Go(func() error { return f.Hydrogen(ctx, func() {}) })
		g.Go(func() error { return f.Oxygen(ctx, func() {}) })
		g.Go(func() error { return f.Hydrogen(ctx, func() {}) })
	}
	g.Wait()
	return time.Since(start)
}

// BenchmarkTutorialWorkload runs n = 100,000 molecules with all 3n
// goroutines spawned at once, alternating with the floor (the same
// goroutines doing nothing but wait on a gate) in every iteration, after one
// warm-up of each. It reports ns per molecule for both and their ratio.
func BenchmarkTutorialWorkload(b *testing.B) {
	const n = 100_000
	spawnAll(n, NewWater())
	Floor(n)
	var factory, floor time.Duration
	for b.Loop() {
		factory += spawnAll(n, NewWater())
		floor += Floor(n)
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*n) }
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(per(factory), "factory-ns/molecule")
	b.ReportMetric(per(floor), "floor-ns/molecule")
	b.ReportMetric(float64(factory)/float64(floor), "factory/floor")
}
