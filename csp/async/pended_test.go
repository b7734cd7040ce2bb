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

// The pended list holds exactly the tasks that joined it and have not left,
// each at the place its slot says, whatever the order in which they leave,
// through a burst that grows it and shrinks it again; emptied, it lets go
// of the burst's arrays.
func TestPendedListHoldsItsTasks(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 0))
		var l pendedList
		var on []*fakeTask
		for step := range 20000 {
			var join bool
			switch {
			case step < 8000:
				join = rng.IntN(4) > 0
			case step < 12000:
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
				l.remove(&on[i].header)
				if on[i].slot != 0 {
					t.Fatalf("seed %d step %d: a task that left keeps slot %d", seed, step, on[i].slot)
				}
				on[i] = on[len(on)-1]
				on = on[:len(on)-1]
			}
			if len(l.tasks) != len(on) {
				t.Fatalf("seed %d step %d: list holds %d tasks, want %d", seed, step, len(l.tasks), len(on))
			}
		}
		listed := map[*header]bool{}
		l.each(func(r runnable) { listed[r.hdr()] = true })
		for _, f := range on {
			if i := int(f.slot - 1); i < 0 || i >= len(l.tasks) || l.tasks[i] != runnable(f) || !listed[&f.header] {
				t.Fatalf("seed %d: a task's slot %d does not find it on the list", seed, f.slot)
			}
		}
		if len(listed) != len(on) {
			t.Fatalf("seed %d: the list holds %d tasks, want %d", seed, len(listed), len(on))
		}
		for _, f := range on {
			l.remove(&f.header)
		}
		if len(l.tasks) != 0 || cap(l.tasks) > pendedKept {
			t.Fatalf("seed %d: emptied, the list holds %d tasks and keeps an array of %d", seed, len(l.tasks), cap(l.tasks))
		}
	}
}
