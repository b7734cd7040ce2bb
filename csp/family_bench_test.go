package csp

// Benchmarks of Notify, RWMutex, OnceCell, Broadcast and Watch, each beside
// the conventional sync-based version in the same run; compare them with
//
//	go test -run '^$' -bench 'RWMutex|Notify|OnceCell|Broadcast|Watch' -count 10 ./csp | tee family.txt
//	benchstat -col /impl family.txt

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// inParallel runs body from goroutines goroutines in all, whatever
// GOMAXPROCS is; body gets a per-goroutine counter.
func inParallel(b *testing.B, goroutines int, body func(i int)) {
	b.SetParallelism(max(1, goroutines/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			body(i)
		}
	})
}

// BenchmarkRWMutex: 16 goroutines, each op a read (RLock, read, RUnlock) or,
// one time in ten or one in two, a write.
func BenchmarkRWMutex(b *testing.B) {
	ctx := context.Background()
	for _, reads := range []int{90, 50} {
		name := map[int]string{90: "reads=90", 50: "reads=50"}[reads]
		isRead := func(i int) bool { return i%10 < reads/10 }
		b.Run(name+"/impl=csp", func(b *testing.B) {
			m, shared := NewRWMutex(), 0
			inParallel(b, 16, func(i int) {
				if isRead(i) {
					m.RLock(ctx)
					_ = shared
					m.RUnlock()
				} else {
					m.Lock(ctx)
					shared++
					m.Unlock()
				}
			})
		})
		b.Run(name+"/impl=sync", func(b *testing.B) {
			var m sync.RWMutex
			shared := 0
			inParallel(b, 16, func(i int) {
				if isRead(i) {
					m.RLock()
					_ = shared
					m.RUnlock()
				} else {
					m.Lock()
					shared++
					m.Unlock()
				}
			})
		})
	}
}

// condNotify is the conventional Notify: a permit guarded by a mutex, and a
// condition variable to wait on it. It cannot be cancelled.
type condNotify struct {
	mu     sync.Mutex
	cond   sync.Cond
	permit bool
}

func newCondNotify() *condNotify {
	n := &condNotify{}
	n.cond.L = &n.mu
	return n
}

func (n *condNotify) NotifyOne() {
	n.mu.Lock()
	n.permit = true
	n.mu.Unlock()
	n.cond.Signal()
}

func (n *condNotify) Wait() {
	n.mu.Lock()
	for !n.permit {
		n.cond.Wait()
	}
	n.permit = false
	n.mu.Unlock()
}

// BenchmarkNotify: two goroutines play ping-pong, each waking the other;
// one op is a round trip, two notifications and two wake-ups.
func BenchmarkNotify(b *testing.B) {
	pingPong := func(b *testing.B, ping, pong func(), waitPing, waitPong func()) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range b.N {
				waitPing()
				pong()
			}
		}()
		for range b.N {
			ping()
			waitPong()
		}
		<-done
	}
	b.Run("pingpong/impl=csp", func(b *testing.B) {
		ctx := context.Background()
		ping, pong := NewNotify(), NewNotify()
		pingPong(b, ping.NotifyOne, pong.NotifyOne, func() { ping.Wait(ctx) }, func() { pong.Wait(ctx) })
	})
	b.Run("pingpong/impl=cond", func(b *testing.B) {
		ping, pong := newCondNotify(), newCondNotify()
		pingPong(b, ping.NotifyOne, pong.NotifyOne, ping.Wait, pong.Wait)
	})
}

// BenchmarkOnceCell: 16 goroutines read a cell that is already set.
func BenchmarkOnceCell(b *testing.B) {
	b.Run("get/impl=csp", func(b *testing.B) {
		c := NewOnceCell[int]()
		c.Set(1)
		inParallel(b, 16, func(int) { c.Get() })
	})
	b.Run("get/impl=sync", func(b *testing.B) {
		get := sync.OnceValue(func() int { return 1 })
		get()
		inParallel(b, 16, func(int) { get() })
	})
}

// condRing is the conventional broadcast channel: a ring of the last values
// sent, guarded by a mutex, and a condition variable that Send broadcasts.
type condRing struct {
	mu     sync.Mutex
	cond   sync.Cond
	ring   []int
	next   uint64
	closed bool
}

type condRingSub struct {
	r    *condRing
	next uint64
}

func newCondRing(capacity int) *condRing {
	r := &condRing{ring: make([]int, capacity)}
	r.cond.L = &r.mu
	return r
}

func (r *condRing) Send(v int) {
	r.mu.Lock()
	r.ring[r.next%uint64(len(r.ring))] = v
	r.next++
	r.mu.Unlock()
	r.cond.Broadcast()
}

func (r *condRing) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cond.Broadcast()
}

func (r *condRing) Subscribe() *condRingSub {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &condRingSub{r: r, next: r.next}
}

// Recv returns the next value and true, or the number of values missed and
// false, or closed.
func (s *condRingSub) Recv() (v int, missed uint64, closed bool) {
	r := s.r
	r.mu.Lock()
	defer r.mu.Unlock()
	for s.next == r.next && !r.closed {
		r.cond.Wait()
	}
	capacity := uint64(len(r.ring))
	switch {
	case r.next-s.next > capacity:
		missed = r.next - capacity - s.next
		s.next += missed
		return 0, missed, false
	case s.next < r.next:
		v = r.ring[s.next%capacity]
		s.next++
		return v, 0, false
	}
	return 0, 0, true
}

// BenchmarkBroadcast has one sender and 8 subscribers, in two ways. One op
// is one value sent.
//
// lockstep: the sender waits until every subscriber has received the value
// before it sends the next, so an op is a send and 8 deliveries, the
// latency of a broadcast. flood: the sender never waits; subscribers that
// fall more than the capacity (64) behind skip values, and missed/op is the
// share of deliveries skipped, which differs between the implementations
// and changes how much work each op includes.
func BenchmarkBroadcast(b *testing.B) {
	const subscribers, capacity = 8, 64
	// run drives recv functions, each returning the values it missed and
	// whether the broadcast is closed, against send; with lockstep, each
	// delivery is acknowledged and the sender waits for all of them.
	run := func(b *testing.B, lockstep bool, send func(int), closeAll func(), recv []func() (uint64, bool)) {
		var wg sync.WaitGroup
		var missed atomic.Uint64
		acks := make(chan struct{}, subscribers)
		for _, r := range recv {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					m, closed := r()
					if closed {
						return
					}
					missed.Add(m)
					if lockstep {
						acks <- struct{}{}
					}
				}
			}()
		}
		b.ResetTimer()
		for i := range b.N {
			send(i)
			if lockstep {
				for range subscribers {
					<-acks
				}
			}
		}
		closeAll()
		wg.Wait()
		if !lockstep {
			b.ReportMetric(float64(missed.Load())/float64(b.N*subscribers), "missed/op")
		}
	}
	for _, lockstep := range []bool{true, false} {
		mode := map[bool]string{true: "lockstep", false: "flood"}[lockstep]
		b.Run(mode+"/impl=csp", func(b *testing.B) {
			bc := NewBroadcast[int](capacity)
			ctx := context.Background()
			var recv []func() (uint64, bool)
			for range subscribers {
				s := bc.Subscribe()
				recv = append(recv, func() (uint64, bool) {
					_, err := s.Recv(ctx)
					var lag *LaggedError
					if errors.As(err, &lag) {
						return lag.Missed, false
					}
					return 0, err != nil
				})
			}
			run(b, lockstep, func(v int) { bc.Send(v) }, bc.Close, recv)
		})
		b.Run(mode+"/impl=cond", func(b *testing.B) {
			ring := newCondRing(capacity)
			var recv []func() (uint64, bool)
			for range subscribers {
				s := ring.Subscribe()
				recv = append(recv, func() (uint64, bool) {
					_, missed, closed := s.Recv()
					return missed, closed
				})
			}
			run(b, lockstep, ring.Send, ring.Close, recv)
		})
	}
}

// condWatch is the conventional watch: the latest value behind an atomic
// pointer, read without a lock, and a condition variable for waiting on a
// newer version.
type condWatch struct {
	latest atomic.Pointer[versioned]
	mu     sync.Mutex
	cond   sync.Cond
	closed bool
}

type versioned struct {
	value   int
	version uint64
}

func newCondWatch(v int) *condWatch {
	w := &condWatch{}
	w.cond.L = &w.mu
	w.latest.Store(&versioned{value: v})
	return w
}

func (w *condWatch) Send(v int) {
	w.mu.Lock()
	w.latest.Store(&versioned{value: v, version: w.latest.Load().version + 1})
	w.mu.Unlock()
	w.cond.Broadcast()
}

func (w *condWatch) Close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.cond.Broadcast()
}

// Changed waits for a version newer than *seen and records it; false once
// closed with nothing newer.
func (w *condWatch) Changed(seen *uint64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.latest.Load().version == *seen && !w.closed {
		w.cond.Wait()
	}
	v := w.latest.Load().version
	changed := v != *seen
	*seen = v
	return changed
}

func (w *condWatch) Borrow() int { return w.latest.Load().value }

// BenchmarkWatch has two parts. lockstep: one sender and 8 watchers that
// follow with Changed and Borrow; the sender waits until every watcher has
// seen the value before it sends the next, so an op is a send and 8
// wake-ups. borrow: 16 goroutines read the latest value, each through its
// own Watcher; borrow-shared: through Watch.Borrow, which takes the lock.
func BenchmarkWatch(b *testing.B) {
	const watchers = 8
	lockstep := func(b *testing.B, send func(int), closeAll func(), watch []func() bool) {
		var wg sync.WaitGroup
		acks := make(chan struct{}, watchers)
		for _, changed := range watch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for changed() {
					acks <- struct{}{}
				}
			}()
		}
		b.ResetTimer()
		for i := 1; i <= b.N; i++ {
			send(i)
			for range watchers {
				<-acks
			}
		}
		closeAll()
		wg.Wait()
	}
	b.Run("lockstep/impl=csp", func(b *testing.B) {
		w := NewWatch(0)
		ctx := context.Background()
		var watch []func() bool
		for range watchers {
			r := w.Subscribe()
			watch = append(watch, func() bool {
				if r.Changed(ctx) != nil {
					return false
				}
				r.Borrow()
				return true
			})
		}
		lockstep(b, w.Send, w.Close, watch)
	})
	b.Run("lockstep/impl=cond", func(b *testing.B) {
		w := newCondWatch(0)
		var watch []func() bool
		for range watchers {
			var seen uint64
			watch = append(watch, func() bool {
				if !w.Changed(&seen) {
					return false
				}
				w.Borrow()
				return true
			})
		}
		lockstep(b, w.Send, w.Close, watch)
	})
	b.Run("borrow/impl=csp", func(b *testing.B) {
		w := NewWatch(1)
		b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			r := w.Subscribe() // each reader its own Watcher
			for pb.Next() {
				r.Borrow()
			}
		})
	})
	b.Run("borrow/impl=cond", func(b *testing.B) {
		w := newCondWatch(1)
		inParallel(b, 16, func(int) { w.Borrow() })
	})
	b.Run("borrow-shared/impl=csp", func(b *testing.B) {
		w := NewWatch(1)
		inParallel(b, 16, func(int) { w.Borrow() }) // Watch.Borrow takes the lock
	})
}
