package echo

// How a connection's end is recorded, in every mode. Each mode closes its
// connection its own way (conn_end.go, rconn_end_linux.go), and then hands
// the server an endRecord: connEnded gives back the permit, logs the end
// and tells the serve loop, which takes the connection out of its live set.

// endRecord is what the server records of a connection that is over.
type endRecord struct {
	id           uint64
	remote       string
	lines, bytes int64
	start        int64 // on the server's clock
	thread       int   // the OS thread's id in ModeThread, else 0
	why          endReason
	err          error // what failed, for the error reasons
}

// connEnded accounts for a connection that is over and closed: it tells
// the observer, if any, and gives back the connection's permit (a refused
// one, which ends with endBusy, was told as refused and never had one),
// logs its end and reports it to the serve loop. The observer hears of the
// end before the permit is back, so that it never counts more
// connections open than Config.MaxConns.
func (s *Server) connEnded(r endRecord) {
	if r.why == endBusy {
		s.logRefused(r.id, r.remote)
	} else {
		if o := s.cfg.Observer; o != nil {
			o.Ended(r.why)
		}
		s.limit.Release()
		s.logEnded(r)
	}
	s.ends.add(ended{r.id, r.why})
}

// ended is what a connection reports to the serve loop when it is over.
type ended struct {
	id  uint64
	why endReason
}

// endings is where connections report their end to the serve loop, in
// every mode. A reactor-mode task must not block the goroutine that polls
// it, so it cannot send on a channel that the loop may not be receiving
// from at that moment; a connection appends to a list under a one-slot lock
// instead, and leaves a token in a one-slot signal channel that the loop
// selects on. A token is left after every append and the loop takes the
// whole list after each token, so no ending is missed.
type endings struct {
	lock   chan struct{} // guards list
	list   []ended
	signal chan struct{}
}

func newEndings() endings {
	return endings{lock: make(chan struct{}, 1), signal: make(chan struct{}, 1)}
}

// add reports an ending; it never blocks for long.
func (e *endings) add(x ended) {
	e.lock <- struct{}{}
	e.list = append(e.list, x)
	<-e.lock
	select {
	case e.signal <- struct{}{}:
	default: // a token is there already
	}
}

// take moves every reported ending into into[:0] and returns it.
func (e *endings) take(into []ended) []ended {
	e.lock <- struct{}{}
	into = append(into[:0], e.list...)
	clear(e.list)
	e.list = e.list[:0]
	<-e.lock
	return into
}
