package async

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/chansync/chansync/internal/procfs"
)

// The executor's overheads, each beside the goroutine operation it stands
// in for, in the same run:
//
//	go test -run '^$' -bench . -count 10 ./csp/async > async.txt
//	benchstat -col /impl async.txt
//
// Beside the time per operation, the spawn and wake benchmarks report the
// CPU time the whole process spent per operation (cpu-ns/op, on Linux):
// what an operation costs the machine, not only the goroutine that times
// it. A form that wakes the other processor and keeps it busy can take
// less time per operation and more CPU.

// A cpuMeter reads the process's CPU time at the start of a benchmark's
// loop, to report the CPU time per operation at its end.
type cpuMeter struct {
	start time.Duration
	ok    bool // the system has a process CPU clock (procfs.CPUTime)
}

func meterCPU() cpuMeter {
	t, err := procfs.CPUTime(0)
	return cpuMeter{start: t, ok: err == nil}
}

// report reports the CPU time since m started per op of ops, as unit:
// "cpu-ns/op" for b.N operations, "cpu-ns/task" for tasks. It reports
// nothing where there is no process CPU clock.
func (m cpuMeter) report(b *testing.B, ops int, unit string) {
	if !m.ok || ops <= 0 {
		return
	}
	end, err := procfs.CPUTime(0)
	if err != nil {
		b.Fatalf("reading the process's CPU time: %v", err)
	}
	b.ReportMetric(float64(end-m.start)/float64(ops), unit)
}

// ready is a future that is ready at its first poll.
type ready struct{}

func (*ready) Poll(*Context) (int, bool) { return 1, true }

// BenchmarkSpawnJoin: spawn a task, a worker polls it once (Ready), the
// spawner joins it; against go f() and a receive of f's result.
func BenchmarkSpawnJoin(b *testing.B) {
	b.Run("impl=executor", func(b *testing.B) {
		e := NewExecutor(Config{})
		defer e.Close()
		ctx := context.Background()
		b.ReportAllocs()
		cpu := meterCPU()
		for b.Loop() {
			if v, _ := Spawn[int](e, ready{}).Join(ctx); v != 1 {
				b.Fatal(v)
			}
		}
		cpu.report(b, b.N, "cpu-ns/op")
	})
	// The same on a current-thread executor, from a future that RunOn
	// polls: nothing parks, the driver polls the task and its completion
	// wakes the future (bench-tokio's SpawnJoin is this loop inside a
	// tokio task).
	b.Run("impl=executor-runon", func(b *testing.B) {
		e := NewExecutor(Config{Workers: NoWorkers})
		defer e.Close()
		b.ReportAllocs()
		b.ResetTimer()
		cpu := meterCPU()
		if _, err := RunOn[int](context.Background(), e, &spawnJoins{e: e, n: b.N}); err != nil {
			b.Fatal(err)
		}
		cpu.report(b, b.N, "cpu-ns/op")
	})
	b.Run("impl=goroutine", func(b *testing.B) {
		c := make(chan int)
		b.ReportAllocs()
		cpu := meterCPU()
		for b.Loop() {
			go func() { c <- 1 }()
			if v := <-c; v != 1 {
				b.Fatal(v)
			}
		}
		cpu.report(b, b.N, "cpu-ns/op")
	})
}

// BenchmarkSpawnMany: spawn 1,000 tasks at once and wait for all of them,
// per task; against 1,000 goroutines and a sync.WaitGroup (the shape of
// the tutorial's H2O program, where every atom is spawned up front).
func BenchmarkSpawnMany(b *testing.B) {
	const n = 1000
	b.Run("impl=executor", func(b *testing.B) {
		e := NewExecutor(Config{})
		defer e.Close()
		hs := make([]JoinHandle[int], n)
		b.ReportAllocs()
		cpu := meterCPU()
		for b.Loop() {
			for i := range hs {
				hs[i] = Spawn[int](e, ready{})
			}
			BlockOn[struct{}](context.Background(), &JoinAll[int]{Handles: hs})
		}
		cpu.report(b, b.N*n, "cpu-ns/task")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
	})
	b.Run("impl=goroutine", func(b *testing.B) {
		b.ReportAllocs()
		cpu := meterCPU()
		for b.Loop() {
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {})
			}
			wg.Wait()
		}
		cpu.report(b, b.N*n, "cpu-ns/task")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
	})
}

// pingPong is one of two tasks that take turns: each, on its turn, hands
// the turn to the other and wakes it, then waits for its own turn again.
// One hop is one wake and one re-poll.
type pingPong struct {
	me int
	s  *turns
}

type turns struct {
	lock   chan struct{} // guards the rest
	turn   int
	hops   int
	n      int
	wakers [2]Waker
}

func (p *pingPong) Poll(cx *Context) (int, bool) {
	s := p.s
	s.lock <- struct{}{}
	s.wakers[p.me] = cx.Waker()
	other := s.wakers[1-p.me]
	switch {
	case s.hops >= s.n:
		<-s.lock
		other.Wake() // it may be waiting for a turn that will not come
		return s.hops, true
	case s.turn != p.me:
		<-s.lock
		return 0, false
	}
	s.turn = 1 - p.me
	s.hops++
	<-s.lock
	other.Wake()
	return 0, false
}

// selfWake wakes itself during each poll until it has been polled n times:
// the wake arrives while the task runs, so the worker queues it again.
type selfWake struct{ polls, n int }

func (f *selfWake) Poll(cx *Context) (int, bool) {
	f.polls++
	if f.polls >= f.n {
		return f.polls, true
	}
	cx.Waker().Wake()
	return 0, false
}

// BenchmarkWake: one wake and the poll it causes. Two tasks taking turns
// (the wake crosses from one task to the other through the run queue), a
// task waking itself during its poll; against two goroutines taking turns
// over unbuffered channels (the wake is the runtime readying a parked
// goroutine).
func BenchmarkWake(b *testing.B) {
	b.Run("impl=executor-pingpong", func(b *testing.B) {
		e := NewExecutor(Config{})
		defer e.Close()
		s := &turns{lock: make(chan struct{}, 1), n: b.N}
		b.ReportAllocs()
		b.ResetTimer()
		cpu := meterCPU()
		h0 := Spawn[int](e, pingPong{me: 0, s: s})
		h1 := Spawn[int](e, pingPong{me: 1, s: s})
		h0.Join(context.Background())
		h1.Join(context.Background())
		cpu.report(b, b.N, "cpu-ns/op")
	})
	b.Run("impl=executor-self", func(b *testing.B) {
		e := NewExecutor(Config{})
		defer e.Close()
		b.ReportAllocs()
		b.ResetTimer()
		cpu := meterCPU()
		Spawn[int](e, selfWake{n: b.N}).Join(context.Background())
		cpu.report(b, b.N, "cpu-ns/op")
	})
	b.Run("impl=goroutine-pingpong", func(b *testing.B) {
		ping, pong := make(chan struct{}), make(chan struct{})
		done := make(chan struct{})
		b.ReportAllocs()
		b.ResetTimer()
		go func() {
			defer close(done)
			for range pong {
				ping <- struct{}{}
			}
		}()
		cpu := meterCPU()
		for range b.N {
			pong <- struct{}{}
			<-ping
		}
		close(pong)
		<-done
		cpu.report(b, b.N, "cpu-ns/op")
	})
}

// spawnJoins is a future that spawns a task ready at its first poll and
// joins it, n times over: tokio's `tokio::spawn(async { 1 }).await` in a
// loop, from inside a task.
type spawnJoins struct {
	e    *Executor
	n    int
	h    JoinHandle[int]
	busy bool
}

func (f *spawnJoins) Poll(cx *Context) (int, bool) {
	for f.n > 0 {
		if !f.busy {
			f.h, f.busy = Spawn[int](f.e, ready{}), true
		}
		v, err, ok := f.h.PollJoin(cx)
		if !ok {
			return 0, false
		}
		if v != 1 || err != nil {
			panic(err)
		}
		f.busy = false
		f.n--
	}
	return 0, true
}
