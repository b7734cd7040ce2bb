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
	"github.com/chansync/chansync/csp/async"
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

// spawnAllTasks is the same workload as tasks: 3n atoms spawned at once on
// e, interleaved, joined with async.JoinAll from the last spawned (see
// cmd/h2o: the joiner then sleeps until nearly all are done, as
// csp.Group.Wait does).
// With local, e has no workers and the benchmark's goroutine runs the
// tasks while it joins them (async.RunOn).
func spawnAllTasks(n int, e *async.Executor, local bool, handles []async.JoinHandle[struct{}]) time.Duration {
	w := NewTaskWater(e)
	bond := func() {}
	start := time.Now()
	for i := range n {
		handles[3*n-1-3*i] = w.Spawn(H, bond)
		handles[3*n-2-3*i] = w.Spawn(O, bond)
		handles[3*n-3-3*i] = w.Spawn(H, bond)
	}
	all := &async.JoinAll[struct{}]{Handles: handles[:3*n]}
	if local {
		async.RunOn[struct{}](context.Background(), e, all)
	} else {
		async.BlockOn[struct{}](context.Background(), all)
	}
	return time.Since(start)
}

// BenchmarkTutorialWorkload runs n = 100,000 molecules with all 3n atoms
// spawned at once, five ways in every iteration: the goroutine factory,
// the task factory on an executor with one worker per processor (the
// default), on one with a single worker, and on one with none, whose tasks
// the benchmark's goroutine runs while it joins them (tokio's
// current_thread runtime; each executor kept for the whole benchmark, as a
// program has one runtime), and the floor (the same
// goroutines as the goroutine factory doing nothing but wait on a gate),
// after one warm-up of each. It reports ns per molecule for each and their
// ratios to the floor.
func BenchmarkTutorialWorkload(b *testing.B) {
	const n = 100_000
	e := async.NewExecutor(async.Config{})
	defer e.Close()
	e1 := async.NewExecutor(async.Config{Workers: 1})
	defer e1.Close()
	e0 := async.NewExecutor(async.Config{Workers: async.NoWorkers})
	defer e0.Close()
	handles := make([]async.JoinHandle[struct{}], 3*n)
	spawnAll(n, NewWater())
	spawnAllTasks(n, e, false, handles)
	spawnAllTasks(n, e1, false, handles)
	spawnAllTasks(n, e0, true, handles)
	Floor(n)
	var factory, tasks, tasks1, tasks0, floor time.Duration
	for b.Loop() {
		factory += spawnAll(n, NewWater())
		tasks += spawnAllTasks(n, e, false, handles)
		tasks1 += spawnAllTasks(n, e1, false, handles)
		tasks0 += spawnAllTasks(n, e0, true, handles)
		floor += Floor(n)
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*n) }
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(per(factory), "factory-ns/molecule")
	b.ReportMetric(per(tasks), "tasks-ns/molecule")
	b.ReportMetric(per(tasks1), "tasks-1worker-ns/molecule")
	b.ReportMetric(per(floor), "floor-ns/molecule")
	b.ReportMetric(float64(factory)/float64(floor), "factory/floor")
	b.ReportMetric(float64(tasks)/float64(floor), "tasks/floor")
	b.ReportMetric(float64(tasks1)/float64(floor), "tasks-1worker/floor")
	b.ReportMetric(per(tasks0), "tasks-local-ns/molecule")
	b.ReportMetric(float64(tasks0)/float64(floor), "tasks-local/floor")
}
