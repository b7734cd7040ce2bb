package echo

import (
	"errors"
	"testing"
	"time"
)

// The deadline of every wait, with and without a drain deadline, and the
// reason a connection ends with there: both modes take them from here.
func TestPolicyDeadline(t *testing.T) {
	cfg, err := Config{IdleTimeout: 10 * time.Second, LineTimeout: 20 * time.Second,
		WriteTimeout: 30 * time.Second, LingerTimeout: 5 * time.Second}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	const from = int64(time.Hour)
	at := func(d time.Duration) int64 { return from + int64(d) }
	for _, tc := range []struct {
		why      endReason
		draining bool
		drainAt  int64
		want     int64
		wantWhy  endReason
	}{
		{endIdleTimeout, false, never, at(10 * time.Second), endIdleTimeout},
		{endLineTimeout, false, never, at(20 * time.Second), endLineTimeout},
		{endWriteTimeout, false, never, at(30 * time.Second), endWriteTimeout},
		{endShutdown, false, never, at(5 * time.Second), endShutdown},
		{endTooLong, false, never, at(5 * time.Second), endTooLong},
		{endBusy, false, never, at(5 * time.Second), endBusy},
		// Draining without a drain deadline changes nothing.
		{endLineTimeout, true, never, at(20 * time.Second), endLineTimeout},
		// A drain deadline is read only while draining.
		{endLineTimeout, false, at(15 * time.Second), at(20 * time.Second), endLineTimeout},
		// A sooner drain deadline cuts a line; a write or a linger ends
		// there with its own reason; a later one changes nothing.
		{endLineTimeout, true, at(15 * time.Second), at(15 * time.Second), endCut},
		{endIdleTimeout, true, at(5 * time.Second), at(5 * time.Second), endCut},
		{endWriteTimeout, true, at(15 * time.Second), at(15 * time.Second), endWriteTimeout},
		{endShutdown, true, at(time.Second), at(time.Second), endShutdown},
		{endIdleTimeout, true, at(15 * time.Second), at(10 * time.Second), endIdleTimeout},
		// At the same moment, the drain deadline is the reason.
		{endLineTimeout, true, at(20 * time.Second), at(20 * time.Second), endCut},
	} {
		p := newPolicy(cfg)
		p.drainAt = tc.drainAt
		d, why := p.deadline(tc.why, from, tc.draining)
		if d != tc.want || why != tc.wantWhy {
			t.Errorf("deadline(%v, draining %v, drain at %v) = %v, %q; want %v, %q", tc.why, tc.draining,
				time.Duration(tc.drainAt-from), time.Duration(d-from), why, time.Duration(tc.want-from), tc.wantWhy)
		}
	}
	p := newPolicy(cfg)
	if d, _ := p.deadline(endIdleTimeout, never-1, false); d != never {
		t.Errorf("a deadline past the clock's end is %d, want never", d)
	}
}

// A connection the serve loop closes under it while it waits for a line
// was cut by the drain deadline only once the deadline has passed (force).
func TestPolicyCutReason(t *testing.T) {
	cfg, _ := Config{}.withDefaults()
	p := newPolicy(cfg)
	if got := p.cutReason(); got != endClosedByServer {
		t.Fatalf("before the drain deadline: %q, want %q", got, endClosedByServer)
	}
	close(p.force)
	if got := p.cutReason(); got != endCut {
		t.Fatalf("after the drain deadline: %q, want %q", got, endCut)
	}
}

// The reasons' texts are what the log records say: tests and cmd/echo's
// users parse them, so they never change.
func TestEndReasonText(t *testing.T) {
	want := map[endReason]string{
		endClientClosed:   "client closed",
		endIdleTimeout:    "idle timeout",
		endLineTimeout:    "line timeout",
		endWriteTimeout:   "write timeout",
		endTooLong:        "line too long",
		endBusy:           "server busy",
		endShutdown:       "shutdown",
		endCut:            "shutdown: line unfinished at the drain deadline",
		endClosedByServer: "closed by server",
		endReadError:      "read error",
		endWriteError:     "write error",
		endRegisterError:  "register error",
		endPanicked:       "internal error: the connection's task panicked",
	}
	if len(want) != len(endReasonText)-1 {
		t.Fatalf("%d reasons have a text, the test knows %d", len(endReasonText)-1, len(want))
	}
	for why, text := range want {
		if why.String() != text {
			t.Errorf("reason %d reads %q, want %q", why, why.String(), text)
		}
	}
	if got := endReadError.text(errors.New("read: connection reset by peer")); got != "read error: read: connection reset by peer" {
		t.Errorf("with its error: %q", got)
	}
	for why := range want {
		if purpose := why == endShutdown || why == endTooLong || why == endBusy; why.onPurpose() != purpose {
			t.Errorf("%q: on purpose %v, want %v", why, why.onPurpose(), purpose)
		}
		if hasLine := why == endTooLong || why == endBusy; (why.lastLine() != nil) != hasLine {
			t.Errorf("%q: last line %q", why, why.lastLine())
		}
	}
}
