package echo

import (
	"context"
	"errors"
	"time"
)

// A runner is how one mode accepts and runs connections; C is what its
// acceptor accepts (a net.Conn, or in reactor mode a socket). The serve
// loop does everything else, the same way in every mode.
type runner[C any] interface {
	// accept is the acceptor goroutine: it hands connections to the serve
	// loop until stop is closed or accepting fails for good (acceptLoop).
	accept(accepted chan<- C, errs chan<- error, stop <-chan struct{})
	// takes reports whether the loop takes a new connection while live
	// connections are being served.
	takes(live int) bool
	// start serves c as connection id, or refuses it ("ERR server busy")
	// if it was not admitted under the limit, and returns it as the serve
	// loop keeps it. The connection reports its end through
	// Server.connEnded.
	start(id uint64, c C, admitted bool) liveConn
	// stopAccepting closes the listener, which ends the acceptor.
	stopAccepting()
	// close releases what the mode holds, once every connection has
	// ended and the acceptor has returned.
	close()
}

// liveConn is a connection as the serve loop keeps it: a goroutine's *conn,
// or a reactor-mode task.
type liveConn interface {
	// wake has the connection look at the shutdown at once.
	wake(now time.Time)
	// cut ends the connection at once.
	cut()
}

// serveLoop is the state of the serve loop, which it alone owns: the live
// set, and what it has done about the shutdown.
type serveLoop[C any] struct {
	s         *Server
	mode      runner[C]
	live      map[uint64]liveConn
	lastID    uint64
	ends      []ended       // the last endings taken, reused
	cuts      int           // connections cut at the drain deadline
	accepting bool          // false once stop is closed
	stop      chan struct{} // closed when accepting stops
	err       error         // what Serve returns, set when accepting stops
}

// serve is the select-driven heart of Serve, for every mode: the acceptor
// hands it connections, the connections report their ends, and Shutdown,
// Close and ctx stop it; it returns once every connection has ended.
//
// The shutdown follows net/http's order. A graceful one stops accepting and
// wakes every connection: an idle one closes, one in the middle of a line
// goes on until it ends or the drain deadline passes (force), when the loop
// cuts what is left. Close, the end of ctx and a failed accept stop
// accepting and cut every connection at once.
func serve[C any](ctx context.Context, s *Server, mode runner[C]) error {
	l := &serveLoop[C]{s: s, mode: mode, live: make(map[uint64]liveConn), accepting: true, stop: make(chan struct{})}
	accepted := make(chan C)
	acceptErrs := make(chan error)
	acceptorDone := make(chan struct{})
	go func() {
		defer close(acceptorDone)
		mode.accept(accepted, acceptErrs, l.stop)
	}()

	shutdown, force, closing, ctxDone := s.policy.shutdown, s.policy.force, s.closing, ctx.Done()
	for l.accepting || len(l.live) > 0 {
		in := accepted
		if !l.accepting || !mode.takes(len(l.live)) {
			in = nil // nobody new for now (sequential mode: until the client is gone)
		}
		select {
		case c := <-in:
			l.lastID++
			admitted := s.limit.TryAcquire()
			s.admit(admitted)
			l.live[l.lastID] = mode.start(l.lastID, c, admitted)

		case <-s.ends.signal:
			l.collect()

		case err := <-acceptErrs:
			l.acceptFailed(err)

		case <-shutdown:
			shutdown = nil
			l.drain()

		case <-force:
			force = nil
			l.cutAll()

		case <-closing:
			closing = nil
			l.stopAccepting(ErrServerClosed)
			l.cutAll()

		case <-ctxDone:
			ctxDone = nil
			l.stopAccepting(ctx.Err())
			l.cutAll()
		}
	}
	<-acceptorDone
	mode.close()
	s.recordCuts(l.cuts)
	return l.err
}

// collect takes the connections that have reported their end out of the
// live set.
func (l *serveLoop[C]) collect() {
	l.ends = l.s.ends.take(l.ends)
	for _, e := range l.ends {
		delete(l.live, e.id)
		if e.why == endCut {
			l.cuts++
		}
	}
}

// acceptFailed logs an accept error; one that is not temporary stops the
// server.
func (l *serveLoop[C]) acceptFailed(err error) {
	log := l.s.cfg.Logger
	var retry *retryError
	if errors.As(err, &retry) {
		log.Warn("accept failed; retrying", "err", retry.err, "delay", retry.delay)
		return
	}
	if l.accepting {
		log.Error("accept failed; stopping", "err", err)
		l.stopAccepting(err)
		l.cutAll()
	}
}

// stopAccepting stops accepting for good, the first time it is called;
// Serve will return err.
func (l *serveLoop[C]) stopAccepting(err error) {
	if !l.accepting {
		return
	}
	l.accepting, l.err = false, err
	close(l.stop)
	l.mode.stopAccepting()
}

// drain begins a graceful shutdown: it stops accepting and wakes every
// connection to look at the shutdown.
func (l *serveLoop[C]) drain() {
	l.stopAccepting(ErrServerClosed)
	now := time.Now()
	for _, c := range l.live {
		c.wake(now)
	}
}

// cutAll ends every live connection at once.
func (l *serveLoop[C]) cutAll() {
	for _, c := range l.live {
		c.cut()
	}
}
