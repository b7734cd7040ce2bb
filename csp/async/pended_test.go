package async

import (
	"math/rand/v2"
	"testing"
)

// fakeTask is a runnable with only a header, for the pended list's test.
type fakeTask struct{ header }

func (*fakeTask) Wake()            {}
func (*fakeTask) run(*worker)      {}
func (*fakeTask) dropAndComplete() {}

// The pended list keeps every live task that joined it, and, swept at each
// completion, never holds more than about twice its live tasks, whatever
// the order in which they complete.
func TestPendedListKeepsTheLiveAndSheds(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 0))
		var l pendedList
		var live []*fakeTask
		for step := range 20000 {
			// Mostly grow, then only shrink, then mix: the list must
			// follow its live tasks both ways.
			var grow bool
			switch {
			case step < 8000:
				grow = rng.IntN(4) > 0
			case step < 12000:
				grow = false
			default:
				grow = rng.IntN(2) == 0
			}
			if grow || len(live) == 0 {
				f := &fakeTask{}
				f.state, f.pended = idle, true
				l.add(f)
				live = append(live, f)
			} else {
				i := rng.IntN(len(live))
				live[i].state = complete
				live[i] = live[len(live)-1]
				live = live[:len(live)-1]
				l.completed()
			}
			if int(l.live) != len(live) {
				t.Fatalf("seed %d step %d: list counts %d live, want %d", seed, step, l.live, len(live))
			}
			if len(l.tasks) > 2*len(live)+3 {
				t.Fatalf("seed %d step %d: list holds %d tasks for %d live", seed, step, len(l.tasks), len(live))
			}
		}
		on := map[*header]bool{}
		for _, r := range l.tasks {
			on[r.hdr()] = true
		}
		for _, f := range live {
			if !on[&f.header] {
				t.Fatalf("seed %d: a live task is not on the list", seed)
			}
		}
	}
}
