package async

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// RunOn polls its future again after a burst of tasks only if the future's
// wake token is there, and leaves the token in place (current.go): the
// wakes that come while it stays there find it full. This harness tries to
// lose a wake of the future that way. In each round the future waits for a
// number of deliveries, each a count and a wake of its waker, made by tasks
// it spawns (which pend a random number of times first), by tasks spawned
// from other goroutines, and by other goroutines directly, in random
// interleavings. A lost wake leaves RunOn asleep with every delivery made:
// the round's deadline then fails the test.
func TestRunOnLosesNoWake(t *testing.T) {
	rounds := 300
	if testing.Short() {
		rounds = 50
	}
	for seed := range uint64(rounds) {
		runOnRound(t, seed)
	}
}

// deliveries is what a round's future waits for: a count guarded by a lock
// channel, and the waker of the future's last poll.
type deliveries struct {
	lock  chan struct{}
	count int
	waker Waker
}

// deliver counts one delivery and wakes the future.
func (d *deliveries) deliver() {
	d.lock <- struct{}{}
	d.count++
	w := d.waker
	<-d.lock
	w.Wake()
}

// collector is the future RunOn runs: it spawns its share of the
// delivering tasks, a few in each poll, and is ready once all deliveries
// have arrived. Each poll spawns at least one while some are left, since
// nothing may wake it again once those spawned have delivered.
type collector struct {
	e       *Executor
	d       *deliveries
	need    int
	toSpawn int
	rng     *rand.Rand
	handles []JoinHandle[int]
}

func (c *collector) Poll(cx *Context) (int, bool) {
	for n := 1 + c.rng.IntN(3); n > 0 && c.toSpawn > 0; n-- {
		c.toSpawn--
		c.handles = append(c.handles, Spawn[int](c.e, deliverer{d: c.d, pends: c.rng.IntN(4)}))
	}
	c.d.lock <- struct{}{}
	c.d.waker = cx.Waker()
	got := c.d.count
	<-c.d.lock
	if got == c.need && c.toSpawn == 0 {
		return got, true
	}
	return 0, false
}

// deliverer is a task that returns Pending pends times (waking itself, so
// that it is queued again) and then delivers, if it has d.
type deliverer struct {
	d     *deliveries
	pends int
}

func (f *deliverer) Poll(cx *Context) (int, bool) {
	if f.pends > 0 {
		f.pends--
		cx.Waker().Wake()
		return 0, false
	}
	if f.d != nil {
		f.d.deliver()
	}
	return 1, true
}

func runOnRound(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x52756e4f6e))
	e := NewExecutor(Config{Workers: NoWorkers})
	defer e.Close()
	d := &deliveries{lock: make(chan struct{}, 1)}
	fromTasks, fromOutside, direct := rng.IntN(40), rng.IntN(10), rng.IntN(10)
	c := &collector{e: e, d: d, need: fromTasks + fromOutside + direct, toSpawn: fromTasks, rng: rng}
	// Two goroutines outside: one spawns delivering tasks and tasks that
	// deliver nothing (each push leaves RunOn a token to wake on), the
	// other delivers directly; both pause now and then, so that RunOn
	// sleeps between their moves and wakes on either token.
	outside := make(chan JoinHandle[int], 2*fromOutside)
	done := make(chan struct{}, 2)
	pause := func(rng *rand.Rand) {
		switch rng.IntN(4) {
		case 0:
			runtime.Gosched()
		case 1:
			time.Sleep(time.Duration(rng.IntN(50)) * time.Microsecond)
		}
	}
	go func() {
		defer func() { done <- struct{}{} }()
		orng := rand.New(rand.NewPCG(seed, 1))
		for range fromOutside {
			pause(orng)
			outside <- Spawn[int](e, deliverer{d: d, pends: orng.IntN(3)})
			if orng.IntN(2) == 0 {
				outside <- Spawn[int](e, deliverer{pends: orng.IntN(2)})
			}
		}
		close(outside)
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		orng := rand.New(rand.NewPCG(seed, 2))
		for range direct {
			pause(orng)
			d.deliver()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := RunOn[int](ctx, e, c)
	if err != nil {
		d.lock <- struct{}{}
		made := d.count
		<-d.lock
		t.Fatalf("seed %d: RunOn = %v with %d of %d deliveries made: a wake was lost", seed, err, made, c.need)
	}
	if got != c.need {
		t.Fatalf("seed %d: the future saw %d deliveries, want %d", seed, got, c.need)
	}
	<-done
	<-done
	for h := range outside {
		c.handles = append(c.handles, h)
	}
	// Every delivering task completed: joined by RunOn once more, since
	// their last polls may follow the delivery they made.
	all := &JoinAll[int]{Handles: c.handles, Each: func(i, v int, err error) {
		if v != 1 || err != nil {
			t.Errorf("seed %d: task %d = %d, %v", seed, i, v, err)
		}
	}}
	if _, err := RunOn[struct{}](ctx, e, all); err != nil {
		t.Fatalf("seed %d: joining the tasks: %v", seed, err)
	}
}
