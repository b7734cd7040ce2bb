package async

import "testing"

// busy is a future that does units of work, one per Proceed, and records
// in order which task did what.
type busy struct {
	name   string
	units  int
	done   int
	polls  int
	events *[]string
}

func (b *busy) Poll(cx *Context) (int, bool) {
	b.polls++
	for b.done < b.units {
		if !cx.Proceed() {
			*b.events = append(*b.events, b.name+" yields")
			return 0, false
		}
		b.done++
	}
	*b.events = append(*b.events, b.name+" done")
	return b.polls, true
}

// A task that has more to do than one poll's budget does Budget units, then
// yields: it is queued again behind the tasks already waiting, and needs one
// poll per budget's worth of work.
func TestProceedYieldsAfterTheBudget(t *testing.T) {
	e := NewExecutor(Config{Workers: NoWorkers})
	defer e.Close()
	var events []string
	long := Spawn[int](e, busy{name: "long", units: 2*Budget + 1, events: &events})
	short := Spawn[int](e, busy{name: "short", units: Budget, events: &events})
	for e.RunQueued(1) {
	}
	want := []string{"long yields", "short done", "long yields", "long done"}
	if len(events) != len(want) {
		t.Fatalf("events %q, want %q", events, want)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Fatalf("events %q, want %q", events, want)
		}
	}
	for name, h := range map[string]JoinHandle[int]{"long": long, "short": short} {
		polls, err, done := h.PollJoin(NewContext(Waker{}))
		if want := map[string]int{"long": 3, "short": 1}[name]; !done || err != nil || polls != want {
			t.Fatalf("%s: %d polls (done %v, %v), want %d", name, polls, done, err, want)
		}
	}
}

// A Context made by hand has a full budget, and BlockOn gives each poll a
// full one.
func TestProceedBudgetOfHandAndBlockOnContexts(t *testing.T) {
	cx := NewContext(Waker{})
	n := 0
	for cx.Proceed() {
		n++
	}
	if n != Budget {
		t.Fatalf("a new Context allowed %d units, want %d", n, Budget)
	}
	var events []string
	polls, err := BlockOn[int](hangGuard(t), &busy{name: "b", units: 3 * Budget, events: &events})
	if err != nil || polls != 3 {
		t.Fatalf("BlockOn of 3 budgets of work: %d polls, %v; want 3 (two that yield, and the last)", polls, err)
	}
}
