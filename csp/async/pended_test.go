package async

import (
	"math/rand/v2"
	"testing"
)

// fakeTask is a runnable with only a header and a number, for the tests
// of the pended list and of the run queue.
type fakeTask struct {
	header
	n int
}

func (*fakeTask) Wake()            {}
func (*fakeTask) run(*worker)      {}
func (*fakeTask) dropAndComplete() {}

// The pended list holds exactly the tasks that joined it and have not left,
// whatever the order in which they leave (head, tail or middle), through a
// burst that grows it and shrinks it again, and a task that left holds no
// link to the others.
func TestPendedListHoldsItsTasks(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 0))
		var l pendedList
		var on []*fakeTask
		check := func(step int) {
			t.Helper()
			listed := map[*header]bool{}
			var prev *pendedNode
			for n := l.head; n != nil; n = n.next {
				h := n.task.hdr()
				if listed[h] {
					t.Fatalf("seed %d step %d: a task is on the list twice", seed, step)
				}
				if n.prev != prev || h.node != n {
					t.Fatalf("seed %d step %d: a node's prev is not the node before it, or its task's node is another", seed, step)
				}
				listed[h], prev = true, n
			}
			each := 0
			l.each(func(r runnable) { each++ })
			if each != len(listed) {
				t.Fatalf("seed %d step %d: each sees %d tasks, the links %d", seed, step, each, len(listed))
			}
			if len(listed) != len(on) {
				t.Fatalf("seed %d step %d: the list holds %d tasks, want %d", seed, step, len(listed), len(on))
			}
			for _, f := range on {
				if !listed[&f.header] || f.node == nil {
					t.Fatalf("seed %d step %d: a task that joined is not on the list", seed, step)
				}
			}
		}
		for step := range 4000 {
			var join bool
			switch {
			case step < 1600:
				join = rng.IntN(4) > 0
			case step < 2400:
				join = false
			default:
				join = rng.IntN(2) == 0
			}
			if join || len(on) == 0 {
				f := &fakeTask{}
				l.add(&f.header, f)
				on = append(on, f)
			} else {
				i := rng.IntN(len(on))
				f := on[i]
				l.remove(&f.header)
				if f.node != nil {
					t.Fatalf("seed %d step %d: a task that left keeps a place on the list", seed, step)
				}
				on[i] = on[len(on)-1]
				on = on[:len(on)-1]
			}
			if step%97 == 0 {
				check(step)
			}
		}
		check(-1)
		for _, f := range on {
			l.remove(&f.header)
		}
		if l.head != nil {
			t.Fatalf("seed %d: emptied, the list still has a head", seed)
		}
	}
}

// Tasks a taker moved from the overflow list and gives back go back at its
// head, in their order, whether they fit in the places they were taken
// from or the list was emptied or compacted since, so that the next taker
// takes every task once and in the order they were pushed.
func TestGiveBackKeepsTheOverflowListInOrder(t *testing.T) {
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 1))
		q := newRunQueue(1)
		q.ch <- nil // the channel is full: every push goes to the overflow list
		pushed, next := 0, 0
		var local []runnable
		for range 200 {
			switch rng.IntN(3) {
			case 0:
				for range rng.IntN(3 * overflowBatch) {
					q.push(&fakeTask{n: pushed})
					pushed++
				}
			case 1:
				local, _ = q.takeOverflow(local)
			default:
				// Poll some of what was taken, give the rest back.
				k := rng.IntN(len(local) + 1)
				for _, r := range local[:k] {
					if got := r.(*fakeTask).n; got != next {
						t.Fatalf("seed %d: polled task %d, want %d", seed, got, next)
					}
					next++
				}
				if k < len(local) {
					q.giveBack(local[k:])
				}
				local = local[:0]
			}
		}
		q.giveBack(local)
		for {
			var n int
			local, n = q.takeOverflow(local[:0])
			if n == 0 {
				break
			}
			for _, r := range local {
				if got := r.(*fakeTask).n; got != next {
					t.Fatalf("seed %d: took task %d, want %d", seed, got, next)
				}
				next++
			}
		}
		if next != pushed {
			t.Fatalf("seed %d: took %d tasks of %d pushed", seed, next, pushed)
		}
	}
}
