package async

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// A record is what a probe future reports to its test. Tests in a synctest
// bubble read it after synctest.Wait, which orders the worker's writes
// before the reads.
type record struct {
	polls       int   // times Poll was called
	readyAt     int   // Poll returns Ready on this call (1-based); 0: never
	waker       Waker // the waker of the last poll
	drops       int   // times Drop was called
	pollsAfter  int   // polls after it returned Ready: must stay 0
	finished    bool
	onPoll      func(r *record) // called during each poll, after the count
	panicOnPoll int             // Poll panics on this call
}

// probe is a future whose state is in a record the test can see; the task
// holds the probe by value.
type probe struct{ r *record }

func (p *probe) Poll(cx *Context) (int, bool) {
	r := p.r
	if r.finished {
		r.pollsAfter++
	}
	r.polls++
	r.waker = cx.Waker()
	if r.onPoll != nil {
		r.onPoll(r)
	}
	if r.panicOnPoll == r.polls {
		probePanics(r.polls)
	}
	if r.readyAt > 0 && r.polls >= r.readyAt {
		r.finished = true
		return r.polls, true
	}
	return 0, false
}

func (p *probe) Drop() { p.r.drops++ }

// probePanics is a named function, so a test can find it in the stack.
func probePanics(n int) {
	panic("probe panics on poll " + string(rune('0'+n)))
}
