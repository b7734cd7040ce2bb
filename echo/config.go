package echo

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/chansync/chansync/csp/async"
)

// Mode is how the server runs its connections.
type Mode string

const (
	// ModeGoroutine serves each connection on its own goroutine, the
	// counterpart of the tutorial's tokio::spawn per client. The default.
	ModeGoroutine Mode = "goroutine"
	// ModeThread serves each connection on its own goroutine locked to its
	// own OS thread, the counterpart of the tutorial's std::thread::spawn per
	// client. Every connection costs a kernel thread (its stack and a kernel
	// context switch per wake-up); the server raises the runtime's thread
	// limit (debug.SetMaxThreads) to MaxConns plus a margin while serving.
	ModeThread Mode = "thread"
	// ModeSequential is the tutorial's bug: the accept loop serves one client
	// to completion before it accepts the next, as when the handler is
	// awaited in the accept loop instead of spawned. Other clients connect
	// (the kernel completes the handshake) but get no echo until every
	// client ahead of them has gone. Kept to show the bug.
	ModeSequential Mode = "sequential"
	// ModeReactor serves every connection as a state machine polled by an
	// executor and woken by a reactor (csp/async): the tutorial's
	// picture of what tokio::spawn does underneath. No goroutine per
	// connection: a connection is a task holding its socket, its state and
	// one timer, and the reactor's goroutine polls whichever are ready (with
	// a helper per other processor when many are). Linux only (epoll); the
	// listener must be a TCP (or other socket) listener.
	ModeReactor Mode = "reactor"
)

// Config is the server's configuration. A zero field takes its default.
type Config struct {
	// Addr is the TCP address ListenAndServe listens on.
	// Default 127.0.0.1:50000, the tutorial's.
	Addr string
	// Mode is how connections are run. Default ModeGoroutine.
	Mode Mode
	// MaxLineBytes is the longest line accepted, its '\n' included. A
	// client that sends a longer line gets "ERR line too long" and is
	// disconnected. Default 64 KiB.
	MaxLineBytes int
	// MaxConns is the most connections served at once. A client over the
	// limit gets "ERR server busy" and is disconnected at once. Default
	// 10,000.
	MaxConns int
	// IdleTimeout is how long a connection may wait between lines.
	// Default 5 minutes. To keep timers off the per-line path, the deadline
	// is moved only when it lags by more than 1/16 of the timeout (at most
	// a second), so a connection may be closed up to that much early.
	IdleTimeout time.Duration
	// LineTimeout is how long a line may take to arrive once its first
	// byte has, against clients that trickle bytes. Default 60 seconds.
	LineTimeout time.Duration
	// WriteTimeout bounds each write, against clients that never read.
	// Default 30 seconds; like IdleTimeout, it may fire up to 1/16 of
	// itself (at most a second) early.
	WriteTimeout time.Duration
	// LingerTimeout bounds how long a connection the server ends on
	// purpose (shutdown, line too long, server busy) waits, once it has
	// sent the end of the stream, for its client to close, reading and
	// dropping what the client still sends; closing earlier would answer
	// that input with a reset, and the client could lose the last lines
	// it was sent. During a shutdown the drain deadline ends it sooner.
	// Default 1 second.
	LingerTimeout time.Duration
	// Logger receives "Accepted connection" and "Connection ended" records
	// and the server's errors. Default slog.Default().
	Logger *slog.Logger
	// Observer, if set, is told of every connection admitted or refused,
	// every echo written and every end, as they happen (see Observer).
	// Default none, which costs nothing.
	Observer Observer
	// Executor, if set, is called in reactor mode with the executor that
	// runs the connections, before it runs any, and that executor keeps
	// task records (async.Config.Record), so that its Tasks and Lints
	// show the connections' tasks. Default none: no records.
	Executor func(*async.Executor)
	// Helpers is, in reactor mode, how many goroutines help the reactor's
	// goroutine poll the connections when one of its turns wakes more than
	// a few (async.Config.Helpers). Default none: the reactor's goroutine
	// polls every connection, as tokio's current_thread runtime does, for
	// the least CPU per line and the lowest p99. A helper buys lines a
	// second only where one processor is not enough for the server, at
	// 1.1-1.3x the CPU per line (docs/2-echo.md gives the figures). Other
	// modes ignore it.
	Helpers int
}

const (
	DefaultAddr          = "127.0.0.1:50000"
	DefaultMaxLineBytes  = 64 << 10
	DefaultMaxConns      = 10_000
	DefaultIdleTimeout   = 5 * time.Minute
	DefaultLineTimeout   = 60 * time.Second
	DefaultWriteTimeout  = 30 * time.Second
	DefaultLingerTimeout = time.Second
)

// withDefaults returns c with every zero field set to its default, or an
// error naming the first field that is out of range.
func (c Config) withDefaults() (Config, error) {
	switch c.Mode {
	case "":
		c.Mode = ModeGoroutine
	case ModeGoroutine, ModeThread, ModeSequential:
	case ModeReactor:
		if err := reactorSupported(); err != nil {
			return c, err
		}
	default:
		return c, fmt.Errorf("echo: unknown mode %q (want goroutine, thread, sequential or reactor)", c.Mode)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"MaxLineBytes", int64(c.MaxLineBytes)},
		{"MaxConns", int64(c.MaxConns)},
		{"IdleTimeout", int64(c.IdleTimeout)},
		{"LineTimeout", int64(c.LineTimeout)},
		{"WriteTimeout", int64(c.WriteTimeout)},
		{"LingerTimeout", int64(c.LingerTimeout)},
		{"Helpers", int64(c.Helpers)},
	} {
		if f.v < 0 {
			return c, fmt.Errorf("echo: %s must not be negative", f.name)
		}
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.MaxLineBytes == 0 {
		c.MaxLineBytes = DefaultMaxLineBytes
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.LineTimeout == 0 {
		c.LineTimeout = DefaultLineTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.LingerTimeout == 0 {
		c.LingerTimeout = DefaultLingerTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}
