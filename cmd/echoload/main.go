// Command echoload is a closed-loop load generator for any line echo
// server, and the harness that compares chansync's server with a minimal
// baseline.
//
// Usage:
//
//	go run ./cmd/echoload [-addr 127.0.0.1:50000] [-c 50] [-d 10s | -n lines] [-size 64] [-pipeline 1] [-client goroutine|thread] [-server-pid PID] [-json | -quiet] [-plot DIR [-plot-format svg]]
//	go run ./cmd/echoload -idle 10000        # open idle connections until interrupted
//	go run ./cmd/echoload -compare           # the whole comparison, one table
//	go run ./cmd/echoload -compare -plot docs -report docs/results/echoload-compare.md
//
// Each connection writes a line, reads the echo, checks it byte for byte and
// writes the next, keeping -pipeline lines in flight. It reports lines/s,
// MB/s, latency percentiles from an HDR histogram, how many connections got
// an echo, and errors by kind; a mismatch, short read or reset is counted,
// never skipped. When stderr is a terminal, a progress bar shows the lines
// done, their rate and the time left (not with -quiet or -json).
//
// -client sets how each connection is driven: by a goroutine of its own
// through net.Conn and Go's netpoller (goroutine, the default), or by an
// OS thread of its own with blocking read and write system calls on a
// blocking socket, as the tutorial's thread-per-connection client does
// (thread, Linux only). The checks and the report are the same.
//
// -server-pid PID measures what the load costs the server, if PID is its
// process: the process's CPU time, user and system over all its threads,
// is read at the start and the end of the run (in nanoseconds, from its
// CPU-time clock; Linux only) and reported in all and per echoed line.
// So is how long the server's threads waited, runnable, for a processor
// (the sum of their run-queue waits in /proc/PID/task/*/schedstat): where
// the load generator and the server share the processors, it is time the
// client's threads, or anything else running, held them, and a large wait
// says that the server's lines/s measure the sharing as much as the
// server. The kernel keeps the wait per thread, so a server thread that
// exits during the run takes its wait with it. It reads the whole
// machine's CPU time too (/proc/stat), and reports how many processors'
// worth of the machine was busy over the run, doing anything but idling
// or waiting for I/O: this load generator's own CPU is in it, as is
// anything else's. Busy processors well short of all of them say that the
// run left processors idle, so that its lines/s were held back by
// something other than CPU. -compare measures every server it starts in
// the same way, and its tables give each server's CPU per line and its
// wait per second of the run (s/s).
//
// Before the load starts, one connection is dialled to check that a server
// listens: if none does, echoload says so in one line and exits 1. SIGINT
// (Ctrl-C) or SIGTERM during a load run stops it, as wrk and hey do, and
// prints the report of what ran until then, marked as interrupted; the exit
// status is then 130 after SIGINT and 143 after SIGTERM (128 plus the
// signal's number, as a shell reports a program the signal ended), so that
// a script can tell a cut run from a whole one. A second signal ends the
// program at once. With -idle a signal is the normal end: exit 0.
//
// -plot DIR draws the results in DIR: echoload-latency.png, the latency
// percentile distribution (one line per server, on HdrHistogram's 1/(1-p)
// axis), and echoload-throughput.png, lines/s as grouped bars. With
// -compare it also draws the tutorial's modes (echoload-modes-*.png).
// -plot-format svg writes SVG instead. The directory is checked before
// anything is measured, and echoload says on stderr what it wrote.
//
// -compare -report FILE also writes the comparison's tables to FILE as
// markdown, under a header naming the machine (processor, CPUs, system),
// the Go version, the date and the command line. A quick, rough comparison
// takes about a minute: -compare -compare-d 300ms -compare-reps 1.
//
// Flags that would do nothing in a combination (-compare with -c, -n with
// -d, -json with -quiet, ...) are refused with exit status 2, as are bad
// values.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/chansync/chansync/cmd/internal/cli"
	"github.com/chansync/chansync/cmd/internal/figure"
	"github.com/chansync/chansync/cmd/internal/report"
	"github.com/chansync/chansync/cmd/internal/ulimit"
	"github.com/chansync/chansync/internal/procfs"
)

func main() {
	serverChild.Become()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, notifyInterrupts))
}

// interrupts diverts SIGINT and SIGTERM to the channel it returns, until
// its stop function is called; a run that can be cut short calls it, and
// a test gives run one that delivers signals of its own.
type interrupts func() (signals <-chan os.Signal, stop func())

func notifyInterrupts() (<-chan os.Signal, func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM)
	return c, func() { signal.Stop(c) }
}

const synopsis = `usage:
  echoload [-addr HOST:PORT] [-c 50] [-d 10s | -n LINES] [-size 64] [-pipeline 1] [-client goroutine|thread] [-server-pid PID] [-json | -quiet] [-plot DIR [-plot-format png|svg]]
  echoload [-addr HOST:PORT] -idle CONNS
  echoload -compare [-compare-d 3s] [-compare-reps 6] [-plot DIR [-plot-format png|svg]] [-report FILE]

A load run reports lines/s, MB/s, latency percentiles, the connections
served and errors by kind, and with -server-pid the server's CPU time per
echoed line, how long its threads waited for a processor, and how busy the
machine's processors were (this load generator included). If nothing
listens at -addr, or no process has the pid, it says so in one line and
exits 1. Ctrl-C (SIGINT) or SIGTERM stops a load run and prints the
report of what ran so far, marked as interrupted; the exit status is then
130 (SIGINT) or 143 (SIGTERM). -idle holds its connections until
interrupted and then exits 0.

-compare runs chansync's server (each mode) and a minimal baseline, each in
a fresh child process on loopback, at 1, 50 and 1000 connections, and
prints markdown tables of lines/s, server CPU per line and latency; by
default it takes about 10 minutes, and -compare-d 300ms -compare-reps 1
gives a rough one in about a minute.`

func run(args []string, stdout, stderr io.Writer, interrupts interrupts) int {
	cmd := cli.New("echoload",
		"echoload is a closed-loop load generator for a line echo server, and the harness that compares chansync's server with a minimal baseline.",
		synopsis)
	fs := cmd.Flags
	addr := fs.String("addr", "127.0.0.1:50000", "the echo server's address")
	conns := fs.Int("c", 50, "connections")
	dur := fs.Duration("d", 10*time.Second, "how long to run (instead of -n)")
	total := fs.Int64("n", 0, "total lines to send, spread over the connections (instead of -d)")
	size := fs.Int("size", 64, "line length in bytes, its newline included")
	pipeline := fs.Int("pipeline", 1, "lines in flight per connection")
	client := fs.String("client", clientGoroutine, "how each connection is driven: goroutine (net.Conn, Go's netpoller) or thread (an OS thread of its own, blocking system calls; Linux)")
	serverPID := fs.Int("server-pid", 0, "the server's process id: measure its CPU time per echoed line, how long its threads waited for a processor, and how busy the machine's processors were, this load generator included (Linux)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	asJSON := fs.Bool("json", false, "print the result as JSON (and no progress bar)")
	idle := fs.Int("idle", 0, "open this many idle connections (one line each) and hold them until interrupted")
	compare := fs.Bool("compare", false, "compare chansync's server with the baseline and print markdown tables")
	pointDur := fs.Duration("compare-d", 3*time.Second, "with -compare: how long each load point runs")
	reps := fs.Int("compare-reps", 6, "with -compare: alternating runs per point (the median is reported)")
	plotDir := fs.String("plot", "", "draw the latency and throughput figures in this directory (made if need be)")
	plotFormat := fs.String("plot-format", "png", "with -plot: png or svg")
	reportFile := fs.String("report", "", "with -compare: also write its tables to this markdown file, under a header naming the machine, Go version, date and command")
	if code, ok := cmd.Parse(args, stdout, stderr); !ok {
		return code
	}
	if code, ok := cmd.NoArgs(stderr); !ok {
		return code
	}
	if code, ok := cmd.CheckNeeds(stderr,
		cli.Need{Flag: "compare-d", Needs: "compare", Why: "it sets how long each of the comparison's load points runs"},
		cli.Need{Flag: "compare-reps", Needs: "compare", Why: "it sets how many times the comparison runs each load point"},
		cli.Need{Flag: "report", Needs: "compare", Why: "it writes the comparison's tables"},
		cli.Need{Flag: "plot-format", Needs: "plot", Why: "it sets the format of -plot's figures"},
	); !ok {
		return code
	}
	if code, ok := cmd.Check(stderr,
		cli.Conflict{Flag: "compare", With: []string{"idle"}, Why: "they are different runs"},
		cli.Conflict{Flag: "compare", With: []string{"addr", "server-pid"}, Why: "-compare starts its own servers, and measures them"},
		cli.Conflict{Flag: "compare", With: []string{"c", "d", "n", "size", "pipeline", "client"}, Why: "-compare runs its own load points"},
		cli.Conflict{Flag: "compare", With: []string{"json", "quiet"}, Why: "-compare prints markdown tables and no progress bar"},
		cli.Conflict{Flag: "idle", With: []string{"c", "d", "n", "size", "pipeline", "client"}, Why: "-idle opens its own count of connections and sends one line on each"},
		cli.Conflict{Flag: "idle", With: []string{"server-pid"}, Why: "-idle sends no load whose cost could be measured"},
		cli.Conflict{Flag: "idle", With: []string{"json", "quiet", "plot"}, Why: "-idle prints one line, and no progress bar or figure"},
		cli.Conflict{Flag: "n", With: []string{"d"}, Why: "-n runs for a count of lines, -d for a time"},
		cli.Conflict{Flag: "json", With: []string{"quiet"}, Why: "-json prints no progress bar"},
	); !ok {
		return code
	}
	switch {
	case *conns < 1:
		return cmd.Fail(stderr, "-c must be at least 1")
	case *size < 1:
		return cmd.Fail(stderr, "-size must be at least 1 (the newline)")
	case *pipeline < 1:
		return cmd.Fail(stderr, "-pipeline must be at least 1")
	case *total < 0:
		return cmd.Fail(stderr, "-n must not be negative")
	case *total == 0 && *dur <= 0:
		return cmd.Fail(stderr, "need a positive -d or -n")
	case *idle < 0:
		return cmd.Fail(stderr, "-idle must not be negative")
	case *pointDur <= 0:
		return cmd.Fail(stderr, "-compare-d must be positive")
	case *reps < 1:
		return cmd.Fail(stderr, "-compare-reps must be at least 1")
	case *client != clientGoroutine && *client != clientThread:
		return cmd.Fail(stderr, "-client must be %s or %s, not %q", clientGoroutine, clientThread, *client)
	case *client == clientThread && !threadClientRuns:
		return cmd.Fail(stderr, "-client thread needs Linux; this is %s", runtime.GOOS)
	case cmd.Given("server-pid") && *serverPID < 1:
		return cmd.Fail(stderr, "-server-pid must be a process id, at least 1")
	}
	if *serverPID != 0 {
		if _, err := procfs.CPUTime(*serverPID); errors.Is(err, errors.ErrUnsupported) {
			return cmd.Fail(stderr, "-server-pid: %v", err)
		}
	}
	var plots *figures
	if *plotDir != "" {
		if err := figure.CheckFormat(*plotFormat); err != nil {
			return cmd.Fail(stderr, "%v", err)
		}
		if err := figure.CheckDir(*plotDir); err != nil {
			return cmd.Fail(stderr, "-plot %s: %v", *plotDir, err)
		}
		plots = &figures{dir: *plotDir, format: *plotFormat}
	}
	if *compare {
		var rep *report.Report
		if *reportFile != "" {
			if err := report.Check(*reportFile); err != nil {
				return cmd.Fail(stderr, "-report: %v", err)
			}
			rep = report.New(*reportFile, "echoload -compare: chansync's echo server against a minimal baseline", "echoload", args)
		}
		return runCompare(stdout, stderr, *pointDur, *reps, plots, rep)
	}
	if *idle > 0 {
		return runIdle(*addr, *idle, stdout, stderr, interrupts)
	}
	if err := checkFDs(*conns); err != nil {
		fmt.Fprintf(stderr, "echoload: %v\n", err)
		return 1
	}
	if err := checkServer(*addr); err != nil {
		fmt.Fprintf(stderr, "echoload: %v\n", err)
		return 1
	}
	if *serverPID != 0 {
		if _, err := procfs.CPUTime(*serverPID); err != nil {
			fmt.Fprintf(stderr, "echoload: -server-pid: %v\n", err)
			return 1
		}
	}
	if *client == clientThread {
		defer threadClientRuntime(*conns)()
	}

	cfg := loadConfig{addr: *addr, conns: *conns, duration: *dur, lines: *total, size: *size, pipeline: *pipeline, client: *client, serverPID: *serverPID}
	res, sig := runInterruptible(cfg, !*quiet && !*asJSON && cli.IsTerminal(stderr), stderr, interrupts)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res)
	} else {
		printResult(stdout, res)
	}
	code := 0
	if len(res.Errors) > 0 {
		code = 1
	}
	if plots != nil {
		how := fmt.Sprintf("echoload -c %d -size %d -pipeline %d ", *conns, *size, *pipeline)
		if *client == clientThread {
			how += "-client thread "
		}
		if *total > 0 {
			how += fmt.Sprintf("-n %d", *total)
		} else {
			how += fmt.Sprintf("-d %v", *dur)
		}
		if res.Interrupted {
			how += fmt.Sprintf(", interrupted after %.1fs", res.Seconds)
		}
		paths, err := plots.run(*addr, how, res)
		for _, p := range paths {
			fmt.Fprintf(stderr, "echoload: wrote %s\n", p)
		}
		if err != nil {
			fmt.Fprintf(stderr, "echoload: %v\n", err)
			return 1
		}
	}
	if sig != nil {
		return exitStatus(sig)
	}
	return code
}

// runInterruptible runs cfg, with a progress bar on stderr if bar, until
// it is done or a signal arrives from interrupts. It returns what ran, and
// the signal that cut it short or nil.
func runInterruptible(cfg loadConfig, bar bool, stderr io.Writer, interrupts interrupts) (result, os.Signal) {
	signals, stopSignals := interrupts()
	defer stopSignals()
	ctx, cancel := context.WithCancel(context.Background())
	caught := make(chan os.Signal, 1)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case sig := <-signals:
			stopSignals() // a second signal ends the program at once
			caught <- sig
			cancel()
		case <-ctx.Done():
		}
	}()
	var res result
	if bar {
		res = runWithProgress(ctx, cfg, stderr)
	} else {
		res = runLoad(ctx, cfg)
	}
	cancel()
	<-watched
	select {
	case sig := <-caught:
		return res, sig
	default:
		return res, nil
	}
}

// exitStatus is the status of a run that sig cut short: 128 plus the
// signal's number, as a shell reports a program that the signal ended.
func exitStatus(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// checkServer dials addr once, so that a server that is not there is
// reported in one line rather than as a run of refused connections.
func checkServer(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("cannot connect to %s: is cmd/echo running?", addr)
	case err != nil:
		return fmt.Errorf("cannot connect to %s: %v", addr, err)
	}
	return c.Close()
}

func printResult(w io.Writer, r result) {
	if r.Interrupted {
		fmt.Fprintf(w, "interrupted after %.2fs: the figures below are of what ran until then\n", r.Seconds)
	}
	fmt.Fprintf(w, "%d connections, %d-byte lines: %d lines in %.2fs\n", r.Conns, r.Size, r.Lines, r.Seconds)
	if r.Client == clientThread {
		fmt.Fprintln(w, "client: an OS thread per connection, blocking read and write")
	}
	fmt.Fprintf(w, "throughput: %.0f lines/s, %.2f MB/s\n", r.LinesPerSec, r.MBPerSec)
	if r.ServerCPUSeconds > 0 {
		fmt.Fprintf(w, "server CPU (pid %d): %.3fs", r.ServerPID, r.ServerCPUSeconds)
		if r.Lines > 0 {
			fmt.Fprintf(w, ", %s per line", cpuText(r.ServerCPUPerLine))
		}
		if r.ServerRunQueueWait != nil {
			fmt.Fprintf(w, "; its threads waited %.3fs for a processor", *r.ServerRunQueueWait)
			if r.Seconds > 0 {
				fmt.Fprintf(w, " (%.2fs per second of the run)", *r.ServerRunQueueWait/r.Seconds)
			}
		}
		fmt.Fprintln(w)
	}
	if r.MachineBusyCores != nil {
		fmt.Fprintf(w, "machine: its %d processors were busy %.2f processors' worth of the run (%.0f%%), this load generator included\n",
			r.MachineProcessors, *r.MachineBusyCores, 100**r.MachineBusyCores/float64(r.MachineProcessors))
	}
	fmt.Fprintf(w, "latency: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
		usText(r.P50), usText(r.P90), usText(r.P99), usText(r.P999), usText(r.Max))
	if r.Served < r.Active {
		fmt.Fprintf(w, "served: %d of %d connections got an echo\n", r.Served, r.Active)
	}
	if len(r.Errors) == 0 {
		fmt.Fprintln(w, "errors: none")
		return
	}
	fmt.Fprintln(w, "errors:")
	for _, e := range errorList(r.Errors) {
		fmt.Fprintf(w, "  %s\n", e)
	}
}

func usText(us float64) string {
	return time.Duration(us * float64(time.Microsecond)).String()
}

// cpuText writes a CPU time per line, in µs, to a tenth of a µs.
func cpuText(us float64) string {
	return fmt.Sprintf("%.1fµs", us)
}

// checkFDs makes sure n connections fit in the file-descriptor limit.
func checkFDs(n int) error {
	limit, err := ulimit.OpenFiles()
	if err != nil {
		return err
	}
	if need := uint64(n) + 64; limit < need {
		return fmt.Errorf("%d connections need about %d file descriptors, but ulimit -n is %d: raise it (ulimit -n %d) or lower the count", n, need, limit, need)
	}
	return nil
}
