// Package echo is the tutorial's line echo server, hardened to be run for
// real.
//
// A client sends lines; the server writes each complete line back, byte for
// byte, as soon as its '\n' arrives. When the client closes, a final line
// without '\n' is not echoed. The picture:
//
//	acceptor goroutine ──accepted──▶ ┌────────────────────┐
//	   (ln.Accept loop)  ──errors──▶ │  the serve loop    │ ──go──▶ one goroutine
//	Shutdown, Close ─────close─────▶ │  select { ... }    │         per connection
//	ctx.Done() ────────────────────▶ │  owns the live set │ ◀──ended── (id, reason)
//	                                 └────────────────────┘
//
// The serve loop is the only owner of the set of live connections, so it
// needs no lock: every change arrives on a channel. A connection takes a
// permit from a csp.Semaphore of Config.MaxConns; one over the limit is told
// "ERR server busy" and closed. Each connection enforces its own limits:
// the idle timeout between lines, the line timeout once a line has begun,
// the write timeout, and the maximum line length. The loop is the same in
// every mode; what differs is a runner, which accepts and starts each
// connection: in goroutine, thread and sequential modes a goroutine per
// connection that waits with its socket's deadlines, in reactor mode
// (ModeReactor) a task on an executor that waits with a timer of the
// reactor that wakes it. Both follow one policy: the same deadlines, the
// same reasons to end, the same shutdown.
//
// Shutdown follows net/http's order: stop accepting at once, close idle
// connections at once, let a connection in the middle of a line finish it and
// have it echoed until the Shutdown context's deadline, then cut what is
// left. A connection is idle only if it has no line begun and nothing has
// arrived from its client: bytes that wait unread in its socket are a line
// begun. Every complete line the server has read is answered first, and a
// connection the server ends by its own choice (shutdown, line too long,
// server busy) sends the end of the stream and drains what its client still
// sends before it closes, so that the client reads all it was sent and then
// EOF, not a connection reset. Close, like the end of Serve's context,
// stops at once without draining.
//
// Reading order, every file of the package (a suffix says where a file
// builds: _linux, _unix, _windows, and _other for the rest):
//
//   - doc.go: this.
//   - server.go: Server, Serve, Shutdown, Close; config.go: Config, the
//     modes and the defaults; observe.go: the Observer, told of each
//     connection admitted or refused, each echo and each end as they
//     happen.
//   - loop.go: the serve loop, and the runner through which every mode
//     accepts and starts connections; accept.go, the acceptor's loop;
//     ends.go, how a connection's end is recorded (its permit given back,
//     its record logged, the serve loop told).
//   - policy.go: the deadlines every connection keeps, and the shutdown as
//     a connection sees it; reason.go, why a connection ends and what it
//     says last; log.go, what the server logs of a connection.
//   - frame.go: the line framer every mode uses.
//   - goroutine.go: the runner of goroutine, thread and sequential modes;
//     thread_linux.go, thread_other.go, the OS thread's id that thread
//     mode logs. conn.go: a connection on its own goroutine, its reading
//     and writing (conn_unix.go, conn_windows.go: its reads);
//     conn_end.go, how it ends, and how the serve loop wakes and cuts it.
//   - reactor_linux.go: the runner of reactor mode, on csp/async
//     (reactor_other.go: refused where there is no epoll). rconn_linux.go:
//     a connection as a state machine, its reading, writing and waiting;
//     rconn_end_linux.go, how it ends, and how the serve loop wakes and
//     cuts it; fd_linux.go, the system calls on its socket.
package echo
