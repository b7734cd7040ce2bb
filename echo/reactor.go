package echo

import "net/netip"

// Reactor mode (ModeReactor; reactor_linux.go) serves connections as
// tasks on a csp/async executor, woken by its reactor:
//
//	acceptor goroutine ──sockets──▶ serve loop ──async.Spawn──▶ executor: run queue
//	  (accept4 on the                (live set, limit,              of the connections' tasks
//	   listener's fd)                 shutdown, cut)                    ▲      │ polled by
//	                                       ▲                       wake │      ▼ (Pending: fd + timer)
//	                                       └──endings◀── a task ends   reactor goroutine: epoll_wait,
//	                                                                   timer heap, then the polls
//
// The serve loop is the same select loop as in the other modes; what it
// starts per connection is a task instead of a goroutine. The executor has
// no workers: the reactor's goroutine polls the tasks it wakes (helpers
// join in when a turn wakes many).

// A socket is a connection accepted in reactor mode: its file descriptor,
// owned by whoever holds it, and the client's address.
type socket struct {
	fd     int
	remote netip.AddrPort
}

// remoteText is the client's address for the log.
func remoteText(a netip.AddrPort) string {
	if !a.IsValid() {
		return "" // not an IP socket
	}
	return a.String()
}

// endings is where reactor-mode tasks report their end to the serve loop.
// A task must not block the goroutine that polls it, so it cannot send on a channel that the
// loop may not be receiving from at that moment; it appends to a list
// under a one-slot lock instead, and leaves a token in a one-slot signal
// channel that the loop selects on. A token is left after every append and
// the loop takes the whole list after each token, so no ending is missed.
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
