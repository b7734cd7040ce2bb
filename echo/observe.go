package echo

import "time"

// An Observer is told what a server does while it does it: each
// connection admitted or refused, each echo written, each end and its
// reason. It is how a program counts what its server does (cmd/echo
// serves the counts as Prometheus metrics) without the package depending
// on a metrics library. Set it in Config.Observer.
//
// Every mode calls it at the same points, and calls it as things happen,
// not when a connection ends, so counts taken from it move while
// connections are open. For each connection, Accepted (or Refused) comes
// first, then its Echoed calls, then its Ended, in that order; different
// connections call it concurrently, from the serve loop, from their own
// goroutines and, in reactor mode, from the goroutines that poll every
// connection. So its methods must be safe for concurrent use, quick, and
// must never block.
//
// A nil Observer costs nothing: the server then reads no clock and makes
// no call it would not make without one.
type Observer interface {
	// Accepted: a connection was admitted under Config.MaxConns and is
	// served from now on.
	Accepted()
	// Refused: a connection came while Config.MaxConns connections were
	// being served; it is told "ERR server busy" and closed. It is not
	// Accepted and does not end: this is all an Observer hears of it.
	Refused()
	// Echoed: lines complete lines, bytes bytes in all, were written back
	// to their client in one write. took is the server's part of their
	// round trip: from when it had read and framed them to when the write
	// of their echo returned, which is mostly the write itself, and, in
	// reactor mode, any wait for the task's next poll in between. Lines
	// that arrive together (one read) are echoed together, in one call.
	Echoed(lines, bytes int, took time.Duration)
	// Ended: an accepted connection is over and closed, for why, one of
	// EndReasons.
	Ended(why EndReason)
}

// admit tells the observer, if any, that the serve loop admitted a
// connection or refused it.
func (s *Server) admit(admitted bool) {
	o := s.cfg.Observer
	switch {
	case o == nil:
	case admitted:
		o.Accepted()
	default:
		o.Refused()
	}
}

// echoed tells the observer, which is set, of lines and bytes echoed in a
// write whose lines had been framed at from, on the server's clock.
//
//go:noinline
func (s *Server) echoed(lines, bytes int, from int64) {
	s.cfg.Observer.Echoed(lines, bytes, time.Duration(s.policy.now()-from))
}
