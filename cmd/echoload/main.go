// Command echoload is a closed-loop load generator for any line echo
// server, and the harness that compares chansync's server with a minimal
// baseline.
//
// Usage:
//
//	go run ./cmd/echoload [-addr 127.0.0.1:50000] [-c 50] [-d 10s | -n lines] [-size 64] [-pipeline 1] [-json] [-quiet]
//	go run ./cmd/echoload -idle 10000        # open idle connections until interrupted
//	go run ./cmd/echoload -compare           # the whole comparison, one table
//	go run ./cmd/echoload -compare -plot docs # and its figures, as PNG in docs/
//
// Each connection writes a line, reads the echo, checks it byte for byte and
// writes the next, keeping -pipeline lines in flight. It reports lines/s,
// MB/s, latency percentiles from an HDR histogram, and errors by kind; a
// mismatch, short read or reset is counted, never skipped. When stderr is a
// terminal, a progress bar shows the lines done, their rate and the time
// left.
//
// -plot DIR draws the results in DIR: echoload-latency.png, the latency
// percentile distribution (one line per server, on HdrHistogram's 1/(1-p)
// axis), and echoload-throughput.png, lines/s as grouped bars. With
// -compare it also draws the tutorial's modes (echoload-modes-*.png).
// -plot-format svg writes SVG instead. The directory is checked before
// anything is measured.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/chansync/chansync/cmd/internal/ulimit"
)

func main() {
	if kind := os.Getenv(serverEnv); kind != "" {
		os.Exit(serveChild(kind, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("echoload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:50000", "the echo server's address")
	conns := fs.Int("c", 50, "connections")
	dur := fs.Duration("d", 10*time.Second, "how long to run (unless -n is given)")
	total := fs.Int64("n", 0, "total lines to send, spread over the connections (0: run for -d)")
	size := fs.Int("size", 64, "line length in bytes, its newline included")
	pipeline := fs.Int("pipeline", 1, "lines in flight per connection")
	quiet := fs.Bool("quiet", false, "no progress line")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	idle := fs.Int("idle", 0, "open this many idle connections (one line each) and hold them until interrupted")
	compare := fs.Bool("compare", false, "compare chansync's server with the baseline and print one table")
	pointDur := fs.Duration("compare-d", 3*time.Second, "with -compare: how long each load point runs")
	reps := fs.Int("compare-reps", 6, "with -compare: alternating runs per point (the median is reported)")
	plotDir := fs.String("plot", "", "draw the latency and throughput figures in this directory")
	plotFormat := fs.String("plot-format", "png", "with -plot: png or svg")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usage(stderr, "unexpected argument %q", fs.Arg(0))
	case *conns < 1:
		return usage(stderr, "-c must be at least 1")
	case *size < 1:
		return usage(stderr, "-size must be at least 1 (the newline)")
	case *pipeline < 1:
		return usage(stderr, "-pipeline must be at least 1")
	case *total < 0 || (*total == 0 && *dur <= 0):
		return usage(stderr, "need a positive -d or -n")
	case *idle < 0:
		return usage(stderr, "-idle must not be negative")
	case *pointDur <= 0:
		return usage(stderr, "-compare-d must be positive")
	case *reps < 1:
		return usage(stderr, "-compare-reps must be at least 1")
	case *plotDir != "" && *idle > 0 && !*compare:
		return usage(stderr, "-plot draws a load run or -compare, not -idle")
	}
	var plots *figures
	if *plotDir != "" {
		if err := checkPlotDir(*plotDir, *plotFormat); err != nil {
			return usage(stderr, "%v", err)
		}
		plots = &figures{dir: *plotDir, format: *plotFormat}
	}
	if *compare {
		return runCompare(stdout, stderr, *pointDur, *reps, plots)
	}
	if *idle > 0 {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
		defer signal.Stop(stop)
		return runIdle(*addr, *idle, stdout, stderr, stop)
	}
	if err := checkFDs(*conns); err != nil {
		fmt.Fprintf(stderr, "echoload: %v\n", err)
		return 1
	}

	cfg := loadConfig{addr: *addr, conns: *conns, duration: *dur, lines: *total, size: *size, pipeline: *pipeline}
	var res result
	if !*quiet && isTerminal(os.Stderr) {
		res = runWithProgress(cfg, stderr)
	} else {
		res = runLoad(cfg)
	}
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
		if *total > 0 {
			how += fmt.Sprintf("-n %d", *total)
		} else {
			how += fmt.Sprintf("-d %v", *dur)
		}
		if err := plots.run(*addr, how, res); err != nil {
			fmt.Fprintf(stderr, "echoload: %v\n", err)
			return 1
		}
	}
	return code
}

func usage(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "echoload: "+format+"\n", args...)
	return 2
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func printResult(w io.Writer, r result) {
	fmt.Fprintf(w, "%d connections, %d-byte lines: %d lines in %.2fs\n", r.Conns, r.Size, r.Lines, r.Seconds)
	fmt.Fprintf(w, "throughput: %.0f lines/s, %.2f MB/s\n", r.LinesPerSec, r.MBPerSec)
	fmt.Fprintf(w, "latency: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
		usText(r.P50), usText(r.P90), usText(r.P99), usText(r.P999), usText(r.Max))
	if len(r.Errors) == 0 {
		fmt.Fprintln(w, "errors: none")
		return
	}
	kinds := make([]string, 0, len(r.Errors))
	for k := range r.Errors {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	fmt.Fprintln(w, "errors:")
	for _, k := range kinds {
		fmt.Fprintf(w, "  %d × %s\n", r.Errors[k], k)
	}
}

func usText(us float64) string {
	return time.Duration(us * float64(time.Microsecond)).String()
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
