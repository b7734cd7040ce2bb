package csp

// Benchmarks run each primitive beside its conventional baseline in the same
// run; compare them with
//
//	go test -run '^$' -bench . -count 10 ./csp | tee bench.txt
//	benchstat -col /impl bench.txt

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/chansync/chansync/internal/baseline"
	"github.com/sourcegraph/conc"
	"golang.org/x/sync/semaphore"
)

// contended runs body from 16 goroutines when GOMAXPROCS is 2.
func contended(b *testing.B, body func()) {
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body()
		}
	})
}

func BenchmarkMutex(b *testing.B) {
	ctx := context.Background()
	b.Run("uncontended/impl=csp", func(b *testing.B) {
		m, n := NewMutex(), 0
		for b.Loop() {
			m.Lock(ctx)
			n++
			m.Unlock()
		}
	})
	b.Run("uncontended/impl=sync", func(b *testing.B) {
		var m sync.Mutex
		n := 0
		for b.Loop() {
			m.Lock()
			n++
			m.Unlock()
		}
	})
	b.Run("contended/impl=csp", func(b *testing.B) {
		m, n := NewMutex(), 0
		contended(b, func() {
			m.Lock(ctx)
			n++
			m.Unlock()
		})
	})
	b.Run("contended/impl=sync", func(b *testing.B) {
		var m sync.Mutex
		n := 0
		contended(b, func() {
			m.Lock()
			n++
			m.Unlock()
		})
	})
}

func BenchmarkSemaphore(b *testing.B) {
	const permits = 4
	ctx := context.Background()
	b.Run("contended/impl=csp", func(b *testing.B) {
		s := NewSemaphore(permits)
		contended(b, func() {
			s.Acquire(ctx)
			s.Release()
		})
	})
	b.Run("contended/impl=xsync", func(b *testing.B) {
		s := semaphore.NewWeighted(permits)
		contended(b, func() {
			s.Acquire(ctx, 1)
			s.Release(1)
		})
	})
	b.Run("contended/impl=chan", func(b *testing.B) {
		s := make(chan struct{}, permits)
		contended(b, func() {
			s <- struct{}{}
			<-s
		})
	})
}

// benchBarrier measures one generation per op: parties goroutines each pass
// the barrier b.N times.
func benchBarrier(b *testing.B, parties int, wait func()) {
	var wg sync.WaitGroup
	b.ResetTimer()
	for range parties {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range b.N {
				wait()
			}
		}()
	}
	wg.Wait()
}

func BenchmarkBarrier(b *testing.B) {
	ctx := context.Background()
	for _, parties := range []int{3, 16} {
		name := map[int]string{3: "parties=3", 16: "parties=16"}[parties]
		b.Run(name+"/impl=csp", func(b *testing.B) {
			br := NewBarrier(parties)
			benchBarrier(b, parties, func() { br.Wait(ctx) })
		})
		b.Run(name+"/impl=cond", func(b *testing.B) {
			br := baseline.NewCondBarrier(parties)
			benchBarrier(b, parties, func() { br.Wait() })
		})
	}
}

// BenchmarkGroup starts 100 trivial tasks and waits for them, per op.
func BenchmarkGroup(b *testing.B) {
	const tasks = 100
	nop := func() error { return nil }
	b.Run("impl=csp", func(b *testing.B) {
		for b.Loop() {
			g := NewGroup()
			for range tasks {
				g.Go(nop)
			}
			g.Wait()
		}
	})
	b.Run("impl=waitgroup", func(b *testing.B) {
		for b.Loop() {
			var wg sync.WaitGroup
			for range tasks {
				wg.Add(1)
				go func() { defer wg.Done(); nop() }()
			}
			wg.Wait()
		}
	})
	b.Run("impl=conc", func(b *testing.B) {
		for b.Loop() {
			var wg conc.WaitGroup
			for range tasks {
				wg.Go(func() { nop() })
			}
			wg.Wait()
		}
	})
}
