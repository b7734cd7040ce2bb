package echo

import (
	"math"
	"time"
)

// never is a deadline that never comes.
const never = math.MaxInt64

// policy is the connection policy every mode follows: when each wait of a
// connection ends and the reason it ends with then, and the shutdown as a
// connection sees it. The modes differ only in how they wait (a goroutine
// sets its socket's deadlines; a reactor-mode task sets its timer) and in
// how often they move what they wait for (see session.prepare and
// rconn.wait).
//
// Times are nanoseconds on the server's clock, now, which is monotonic:
// a connection keeps its times as plain integers, and at converts one back
// for the calls that want a time.Time.
type policy struct {
	epoch                     time.Time
	idle, line, write, linger int64 // Config's timeouts

	// shutdown is closed when a graceful shutdown begins; force when its
	// deadline has passed and the serve loop cuts what is left.
	shutdown, force chan struct{}
	// drainAt is the first Shutdown's context deadline, or never. It is
	// written before shutdown is closed and read only after.
	drainAt int64
}

func newPolicy(cfg Config) policy {
	return policy{
		epoch:    time.Now(),
		idle:     int64(cfg.IdleTimeout),
		line:     int64(cfg.LineTimeout),
		write:    int64(cfg.WriteTimeout),
		linger:   int64(cfg.LingerTimeout),
		shutdown: make(chan struct{}),
		force:    make(chan struct{}),
		drainAt:  never,
	}
}

// now is the time on the server's clock.
func (p *policy) now() int64 { return int64(time.Since(p.epoch)) }

// at converts a time on the server's clock to a time.Time.
func (p *policy) at(t int64) time.Time { return p.epoch.Add(time.Duration(t)) }

// beginShutdown starts the graceful shutdown, which ends at deadline if
// there is one. Only the first Shutdown calls it.
func (p *policy) beginShutdown(deadline time.Time, hasDeadline bool) {
	if hasDeadline {
		p.drainAt = int64(deadline.Sub(p.epoch))
	}
	close(p.shutdown)
}

// shuttingDown reports whether a graceful shutdown has begun.
func (p *policy) shuttingDown() bool { return isClosed(p.shutdown) }

// deadline returns when a wait of a connection ends, and the reason the
// connection ends with then. why names the wait by the reason it times out
// with, and from is when its clock started:
//
//   - endIdleTimeout: waiting for a line to begin, from the last progress;
//   - endLineTimeout: waiting for the line begun to end, from its start;
//   - endWriteTimeout: waiting for a write to finish, from its start;
//   - an end on purpose (endShutdown, endTooLong, endBusy): saying the
//     last line, or lingering, from when that began (Config.LingerTimeout).
//
// While draining, no wait outlasts the drain deadline; a wait for a line
// cut there ends with endCut, a write or a linger with its own reason.
// draining may be true only once the caller has seen shutdown closed: only
// then may drainAt be read.
func (p *policy) deadline(why endReason, from int64, draining bool) (int64, endReason) {
	timeout := p.linger
	switch why {
	case endIdleTimeout:
		timeout = p.idle
	case endLineTimeout:
		timeout = p.line
	case endWriteTimeout:
		timeout = p.write
	}
	d := from + timeout
	if d < from {
		d = never // a timeout too long to count
	}
	if draining && p.drainAt <= d {
		d = p.drainAt
		if why == endIdleTimeout || why == endLineTimeout {
			why = endCut
		}
	}
	return d, why
}

// endDeadline is when a connection that the server ends on purpose for why
// (endReason.onPurpose), from now, gives up saying its last line or
// lingering, and closes.
func (p *policy) endDeadline(why endReason) int64 {
	d, _ := p.deadline(why, p.now(), p.shuttingDown())
	return d
}

// cutReason is why a connection waiting for a line ended when the serve
// loop closed it under it: cut at the drain deadline, or closed at once
// (Serve's context ended, Close, accepting failed for good).
func (p *policy) cutReason() endReason {
	if isClosed(p.force) {
		return endCut
	}
	return endClosedByServer
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
