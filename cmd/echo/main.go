// Command echo runs chansync's line echo server: every line a client sends
// is written back to it.
//
// Usage:
//
//	go run ./cmd/echo [flags] [port]
//
// It listens on 127.0.0.1:50000 unless told otherwise; a port given as the
// argument replaces the port of -addr, as in the tutorial. Talk to it with
// `nc 127.0.0.1 50000`. SIGINT or SIGTERM starts a graceful shutdown that
// lasts at most -drain-timeout; a second signal exits at once. -h prints
// the flags on standard output and exits 0; bad flags or arguments exit
// with status 2, in one line; a failure to listen exits with status 1,
// and a port in use is told with what to do about it.
//
// -debug-addr HOST:PORT serves the server's metrics (Prometheus, at
// /metrics; -debug-latency adds a histogram of each echo's time) and the
// runtime's profiles (/debug/pprof/) on a listener of their own, and
// with -debug-tasks, in reactor mode, the connections' tasks with the
// runtime's lints (/debug/tasks, tasks.go), until the server stops
// (debug.go); an address it cannot listen on exits with
// status 2, in one line. Without it nothing else listens.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/chansync/chansync/cmd/internal/cli"
	"github.com/chansync/chansync/echo"
)

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, sigs))
}

// usageError is a problem with the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const synopsis = `usage: echo [flags] [port]

It listens on 127.0.0.1:50000 unless told otherwise; a port given as the
argument replaces the port of -addr. Talk to it with nc 127.0.0.1 50000.
SIGINT or SIGTERM starts a graceful shutdown that lasts at most
-drain-timeout; a second signal exits at once. -debug-addr serves
metrics and profiles (and with -debug-tasks the task list): keep it on
loopback or a private network.`

// flags are the program's flags, defined on their command.
type flags struct {
	cmd                      *cli.Command
	addr, mode, level        *string
	debugAddr                *string
	debugLatency, debugTasks *bool
	maxLine, maxConns        *int
	helpers                  *int
	idle, line, write, drain *time.Duration
	linger                   *time.Duration
}

func newFlags() *flags {
	cmd := cli.New("echo", "echo runs chansync's line echo server: every line a client sends is written back to it.", synopsis)
	fs := cmd.Flags
	return &flags{
		cmd:      cmd,
		addr:     fs.String("addr", echo.DefaultAddr, "address to listen on"),
		mode:     fs.String("mode", string(echo.ModeGoroutine), "goroutine, thread, sequential (the tutorial's bug) or reactor (Linux: tasks on an executor, woken by epoll)"),
		maxLine:  fs.Int("max-line", echo.DefaultMaxLineBytes, "longest line in bytes, its newline included"),
		maxConns: fs.Int("max-conns", echo.DefaultMaxConns, "most connections served at once"),
		idle:     fs.Duration("idle-timeout", echo.DefaultIdleTimeout, "how long a connection may wait between lines"),
		line:     fs.Duration("line-timeout", echo.DefaultLineTimeout, "how long a begun line may take to arrive"),
		write:    fs.Duration("write-timeout", echo.DefaultWriteTimeout, "how long one write may take"),
		drain:    fs.Duration("drain-timeout", 10*time.Second, "how long a graceful shutdown may take"),
		linger:   fs.Duration("linger-timeout", echo.DefaultLingerTimeout, "how long a connection the server ends waits for its client to close"),
		level:    fs.String("log-level", "info", "debug, info, warn or error"),
		helpers: fs.Int("helpers", 0, "with -mode reactor, goroutines that help the reactor's goroutine poll when a turn wakes many connections: "+
			"more lines a second where one processor is not enough for the server, for more CPU per line"),
		debugAddr: fs.String("debug-addr", "", "`HOST:PORT` to serve /metrics (Prometheus) and /debug/pprof/ on; none if empty. "+
			"Keep it on loopback or a private network: profiles show the program's internals"),
		debugLatency: fs.Bool("debug-latency", false, "with -debug-addr, also time each echo into the histogram echo_line_latency_seconds "+
			"(it costs the server 1 to 3% more CPU per line)"),
		debugTasks: fs.Bool("debug-tasks", false, "with -debug-addr and -mode reactor, also keep the executor's task records and serve them, with the runtime's lints, "+
			"at /debug/tasks (it costs the server about 2% more CPU per line)"),
	}
}

// options are what the command line asks for.
type options struct {
	cfg          echo.Config
	drain        time.Duration
	debugAddr    string // "": no debug endpoint
	debugLatency bool   // the endpoint's metrics include the latency histogram
	debugTasks   bool   // the endpoint serves /debug/tasks
}

// parse reads the command line. After -h or -help it returns flag.ErrHelp
// for run to print the usage.
func parse(args []string, stderr io.Writer) (options, error) {
	f := newFlags()
	fs := f.cmd.Flags
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return options{}, err
		}
		return options{}, usageError{err.Error()}
	}
	if fs.NArg() > 1 {
		return options{}, usageError{fmt.Sprintf("too many arguments: %q", fs.Args())}
	}
	if fs.NArg() == 1 {
		port, err := strconv.Atoi(fs.Arg(0))
		if err != nil || port < 0 || port > 65535 {
			return options{}, usageError{fmt.Sprintf("port %q is not a number from 0 to 65535", fs.Arg(0))}
		}
		host, _, err := net.SplitHostPort(*f.addr)
		if err != nil {
			return options{}, usageError{fmt.Sprintf("-addr %q: %v", *f.addr, err)}
		}
		*f.addr = net.JoinHostPort(host, strconv.Itoa(port))
	}
	for name, v := range map[string]int64{
		"-max-line": int64(*f.maxLine), "-max-conns": int64(*f.maxConns),
		"-idle-timeout": int64(*f.idle), "-line-timeout": int64(*f.line),
		"-write-timeout": int64(*f.write), "-drain-timeout": int64(*f.drain),
		"-linger-timeout": int64(*f.linger),
	} {
		if v <= 0 {
			return options{}, usageError{fmt.Sprintf("%s must be positive", name)}
		}
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*f.level)); err != nil {
		return options{}, usageError{fmt.Sprintf("-log-level %q: want debug, info, warn or error", *f.level)}
	}
	if *f.debugAddr != "" {
		if _, _, err := net.SplitHostPort(*f.debugAddr); err != nil {
			return options{}, usageError{fmt.Sprintf("-debug-addr %q: %v", *f.debugAddr, err)}
		}
	} else if *f.debugLatency {
		return options{}, usageError{"-debug-latency needs -debug-addr"}
	}
	switch {
	case *f.debugTasks && *f.debugAddr == "":
		return options{}, usageError{"-debug-tasks needs -debug-addr"}
	case *f.debugTasks && echo.Mode(*f.mode) != echo.ModeReactor:
		return options{}, usageError{"-debug-tasks needs -mode reactor: only reactor mode runs its connections as tasks"}
	}
	if f.cmd.Given("helpers") {
		switch {
		case echo.Mode(*f.mode) != echo.ModeReactor:
			return options{}, usageError{"-helpers needs -mode reactor: only reactor mode has helpers"}
		case *f.helpers < 0:
			return options{}, usageError{"-helpers must not be negative"}
		}
	}
	cfg := echo.Config{
		Addr:          *f.addr,
		Mode:          echo.Mode(*f.mode),
		MaxLineBytes:  *f.maxLine,
		MaxConns:      *f.maxConns,
		IdleTimeout:   *f.idle,
		LineTimeout:   *f.line,
		WriteTimeout:  *f.write,
		LingerTimeout: *f.linger,
		Helpers:       *f.helpers,
		Logger:        slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl})),
	}
	return options{cfg: cfg, drain: *f.drain, debugAddr: *f.debugAddr, debugLatency: *f.debugLatency, debugTasks: *f.debugTasks}, nil
}

func run(args []string, stdout, stderr io.Writer, sigs <-chan os.Signal) int {
	opts, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		newFlags().cmd.PrintUsage(stdout)
		return 0
	}
	if err != nil {
		return newFlags().cmd.Fail(stderr, "%v", err)
	}
	cfg := opts.cfg
	var debug *debugEndpoint // nil without -debug-addr
	if opts.debugAddr != "" {
		var tasks *taskPage // the connections' tasks, with -debug-tasks
		if opts.debugTasks {
			tasks = newTaskPage()
			cfg.Executor = tasks.set
		}
		debug = newDebugEndpoint(opts.debugLatency, tasks)
		cfg.Observer = debug.metrics
	}
	srv, err := echo.NewServer(cfg)
	if err != nil {
		fmt.Fprintln(stderr, err) // already "echo: ..."
		return 2
	}
	// The debug address is listened on first, so that one that cannot be
	// is refused before the server listens at all.
	var dln net.Listener
	if debug != nil {
		if dln, err = net.Listen("tcp", opts.debugAddr); err != nil {
			return newFlags().cmd.Fail(stderr, "-debug-addr %q: %v", opts.debugAddr, err)
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		if dln != nil {
			dln.Close()
		}
		fmt.Fprint(stderr, listenError(cfg.Addr, err))
		return 1
	}
	log := cfg.Logger
	var debugDone <-chan struct{} // closed if the debug endpoint stops serving by itself
	if debug != nil {
		// Logged before "Listening", so that whoever waits for that
		// record finds the debug address too.
		log.Info("Debug endpoint", "addr", dln.Addr().String(), "serves", debug.paths())
		debug.serve(dln)
		defer debug.close()
		debugDone = debug.done
	}
	log.Info("Listening", "addr", ln.Addr().String(), "mode", srv.Config().Mode)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()

	var shutdownDone chan error // made at the first signal
	for {
		select {
		case err := <-served:
			debug.close() // it stops with the server
			if !errors.Is(err, echo.ErrServerClosed) {
				fmt.Fprintf(stderr, "echo: %v\n", err)
				return 1
			}
			if err := <-shutdownDone; err != nil {
				log.Warn("Shutdown cut connections at the drain deadline", "err", err)
			}
			log.Info("Stopped")
			return 0
		case <-debugDone:
			debugDone = nil
			log.Error("Debug endpoint stopped; the server goes on", "err", debug.err)
		case sig := <-sigs:
			if shutdownDone != nil {
				log.Warn("Second signal; exiting now", "signal", sig.String())
				return 1
			}
			log.Info("Shutting down", "signal", sig.String(), "drain-timeout", opts.drain)
			shutdownDone = make(chan error, 1)
			go func(done chan<- error) {
				ctx, cancel := context.WithTimeout(context.Background(), opts.drain)
				defer cancel()
				done <- srv.Shutdown(ctx)
			}(shutdownDone)
		}
	}
}

// listenError is what the program prints when it cannot listen on addr.
// A port in use is the usual reason, and has two usual causes: another
// program listens there; or one listened or connected from there within
// the last minute, and the system holds the port for a minute after some
// of its connections end (TIME_WAIT). Right after `go test`, whose clients
// draw their ports from the range that 50000 lies in, it was the second.
func listenError(addr string, err error) string {
	if !addrInUse(err) {
		return fmt.Sprintf("echo: %v\n", err)
	}
	reason := error(err)
	var se *os.SyscallError
	if errors.As(err, &se) {
		reason = se // "bind: address already in use", the rest is said already
	}
	msg := fmt.Sprintf("echo: cannot listen on %s: the port is in use (%v)\n", addr, reason)
	if _, port, err := net.SplitHostPort(addr); err == nil {
		if p, err := strconv.Atoi(port); err == nil && p > 0 {
			other := p + 1
			if other > 65535 {
				other = p - 1
			}
			msg += fmt.Sprintf("echo: to listen on another port, give it as the argument: go run ./cmd/echo %d\n", other)
		}
	}
	return msg + "echo: if the port was only just released (a server or a test run stopped within the last minute), wait a minute and try again\n"
}

// addrInUse reports whether err is the system's "address already in use".
func addrInUse(err error) bool {
	const wsaeaddrinuse = syscall.Errno(10048) // Windows' number for it
	return errors.Is(err, syscall.EADDRINUSE) || (runtime.GOOS == "windows" && errors.Is(err, wsaeaddrinuse))
}
