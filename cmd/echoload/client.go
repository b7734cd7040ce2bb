package main

import (
	"context"
	"io"
	"net"
	"runtime"
	"runtime/debug"
	"time"
)

// The client modes, -client's values: how each connection of a run is
// driven.
const (
	// clientGoroutine drives each connection from a goroutine of its own,
	// with net.Conn, so that its waits go through Go's netpoller.
	clientGoroutine = "goroutine"
	// clientThread drives each connection from an OS thread of its own
	// with blocking system calls, as the tutorial's client does
	// (dialThread).
	clientThread = "thread"
)

// A clientConn is one connection of a run, as its client mode dials it.
// A wait in Read or Write ends with os.ErrDeadlineExceeded once the run's
// context has ended, or at the connection's deadline: the run's end in a
// run by duration, waitLimit after the dial in a run by count of lines.
type clientConn interface {
	io.ReadWriter
	// Close closes the connection; after it, neither the run's context nor
	// the deadline touches it.
	Close() error
}

// waitLimit is how long a connection of a run by count of lines has for
// all its lines, so that a server that stops answering ends the run.
const waitLimit = 60 * time.Second

// dial opens one connection of a run for cfg.client, whose waits end when
// ctx ends, at end if quota is 0 (a run by duration), or after waitLimit.
// The caller of a thread connection has locked its OS thread.
func dial(ctx context.Context, cfg loadConfig, quota int64, end time.Time) (clientConn, error) {
	deadline := end
	if quota > 0 {
		deadline = time.Now().Add(waitLimit)
	}
	if cfg.client == clientThread {
		cut, release := context.WithDeadline(ctx, deadline)
		c, err := dialThread(cut, cfg.addr)
		if err != nil {
			release()
			return nil, err
		}
		return releasing{c, release}, nil
	}
	dialer := net.Dialer{Timeout: 10 * time.Second}
	c, err := dialer.DialContext(ctx, "tcp", cfg.addr)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(deadline)
	// An interrupt ends any wait at once, as the deadline does.
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	return netConn{c, stop}, nil
}

// A netConn is a goroutine-mode connection.
type netConn struct {
	net.Conn
	stop func() bool // unhooks the connection from the run's context
}

func (c netConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

// releasing is a thread-mode connection, which releases the timer of its
// deadline once closed.
type releasing struct {
	clientConn
	release context.CancelFunc
}

func (c releasing) Close() error {
	err := c.clientConn.Close()
	c.release()
	return err
}

// threadClientRuntime sets the Go runtime up for a thread client of conns
// connections, and returns what sets it back. A thread that returns from
// a blocking system call needs a P (one of GOMAXPROCS) to run Go code
// again. With one P per core, the P of a thread blocked in read is handed
// to another thread, and the thread, woken by its echo, waits until a P
// comes free: the server would see a client of fewer, burstier threads
// than a C or Rust one. With a P per connection, every thread keeps its
// own across its calls. It also lets the runtime have more than its
// default limit of 10,000 threads.
func threadClientRuntime(conns int) (restore func()) {
	procs := runtime.GOMAXPROCS(max(runtime.GOMAXPROCS(0), conns+runtime.NumCPU()))
	threads := debug.SetMaxThreads(max(10_000, conns+1000))
	return func() {
		runtime.GOMAXPROCS(procs)
		debug.SetMaxThreads(threads)
	}
}
