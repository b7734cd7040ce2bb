// Command inbox runs the tutorial's AddToInbox three ways (a goroutine that
// blocks, a state machine polled by an executor and woken by a reactor, and
// callbacks) and shows what each costs.
//
// Usage:
//
//	go run ./cmd/inbox -trace            # one operation's lifecycle, line by line, then an error path
//	go run ./cmd/inbox -trace -exectrace inbox.trace && go tool trace inbox.trace
//	go run ./cmd/inbox [-n 100000] [-latency 5ms] [-style goroutine,statemachine,callback] [-json | -report FILE]
//
// -trace prints who acts at each step of one AddToInbox on the executor and
// the reactor (spawn, poll, each state transition, Pending, the reactor's
// wake, Ready), first for a delivery that succeeds, then for one that fails.
// It measures nothing, so it takes none of the measuring flags. It ends
// with the executor's task records (async.Executor.Tasks) and what the
// lints find in them. With -exectrace FILE it also writes an execution
// trace of the run (runtime/trace) to FILE, for `go tool trace FILE`: each
// operation's task is a user-defined task there, each poll a region, each
// wake a log message. (-trace prints text; -exectrace writes the binary
// trace that go tool trace reads.)
//
// Otherwise, for each style, it starts n operations at once (each request
// answered after -latency) and prints a table: resident memory per
// operation in flight (the slope of the resident set against the number of
// operations waiting, in a fresh child process that grows to n of them in 8
// steps), heap allocations and nanoseconds per operation (from the first
// start to the last completion, in another fresh child), and the most
// goroutines alive at once. -json prints one JSON object per style instead;
// -report FILE also writes the table to FILE as markdown, under a header
// naming the machine, the Go version, the date and the command line.
//
// At -n 1000000 the goroutine style's memory child holds a million parked
// goroutines, about 3 GB. -h prints the flags; a bad flag or a combination
// of flags that would do nothing exits 2.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/chansync/chansync/cmd/internal/cli"
	"github.com/chansync/chansync/cmd/internal/exectrace"
	"github.com/chansync/chansync/cmd/internal/report"
)

func main() {
	measuringChild.Become()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const synopsis = `usage:
  inbox -trace [-exectrace FILE]
  inbox [-n 100000] [-latency 5ms] [-style goroutine,statemachine,callback] [-json | -report FILE]

-trace prints one AddToInbox's lifecycle on the executor and the reactor,
then an error path, and the executor's task records; -exectrace FILE also
writes an execution trace for go tool trace. Otherwise, for each style, inbox starts n operations at
once and prints a table: memory per operation in flight, allocations and
time per operation, and the most goroutines alive at once, each measured
in a fresh child process.

Memory: at -n 1000000 the goroutine style's child holds a million parked
goroutines, about 3 GB.`

func run(args []string, stdout, stderr io.Writer) int {
	cmd := cli.New("inbox",
		"inbox runs the tutorial's AddToInbox three ways (a blocking goroutine, a state machine on an executor, callbacks) and shows what each costs.",
		synopsis)
	fs := cmd.Flags
	trace := fs.Bool("trace", false, "print one AddToInbox's lifecycle on the executor and reactor, then an error path, and measure nothing")
	n := fs.Int("n", 100000, "operations per style, all started at once")
	latency := fs.Duration("latency", 5*time.Millisecond, "how long each request takes")
	styleList := fs.String("style", strings.Join(styles, ","), "comma-separated styles to measure")
	asJSON := fs.Bool("json", false, "print one JSON object per style instead of the table")
	reportFile := fs.String("report", "", "also write the table as markdown to this file, under a header naming the machine, Go version, date and command")
	execTrace := fs.String("exectrace", "", "with -trace: also write an execution trace (runtime/trace) of the run to this file, for go tool trace")
	if code, ok := cmd.Parse(args, stdout, stderr); !ok {
		return code
	}
	if code, ok := cmd.NoArgs(stderr); !ok {
		return code
	}
	if code, ok := cmd.Check(stderr,
		cli.Conflict{Flag: "trace", With: []string{"n", "latency", "style", "json", "report"}, Why: "-trace follows two operations and measures nothing"},
		cli.Conflict{Flag: "json", With: []string{"report"}, Why: "-json prints no table to report"},
	); !ok {
		return code
	}
	if code, ok := cmd.CheckNeeds(stderr,
		cli.Need{Flag: "exectrace", Needs: "trace", Why: "it traces the run of -trace, in this process"},
	); !ok {
		return code
	}
	if *n < memorySteps {
		return cmd.Fail(stderr, "-n must be at least %d, got %d", memorySteps, *n)
	}
	if *latency < 0 {
		return cmd.Fail(stderr, "-latency must not be negative, got %v", *latency)
	}
	var chosen []string
	for _, s := range strings.Split(*styleList, ",") {
		if !validStyle(s) {
			return cmd.Fail(stderr, "unknown style %q (want goroutine, statemachine or callback)", s)
		}
		chosen = append(chosen, s)
	}
	var rep *report.Report
	if *reportFile != "" {
		if err := report.Check(*reportFile); err != nil {
			return cmd.Fail(stderr, "-report: %v", err)
		}
		rep = report.New(*reportFile, "inbox: AddToInbox as a goroutine, a state machine and callbacks", "inbox", args)
	}

	if *trace {
		if *execTrace != "" {
			stop, err := exectrace.Start(*execTrace)
			if err != nil {
				return cmd.Fail(stderr, "-exectrace: %v", err)
			}
			err = runTrace(stdout)
			if serr := stop(); err == nil {
				err = serr
			}
			if err != nil {
				fmt.Fprintf(stderr, "inbox: %v\n", err)
				return 1
			}
			return 0
		}
		if err := runTrace(stdout); err != nil {
			fmt.Fprintf(stderr, "inbox: %v\n", err)
			return 1
		}
		return 0
	}

	var rows []row
	for _, style := range chosen {
		r, err := measure(style, *n, *latency)
		if err != nil {
			fmt.Fprintf(stderr, "inbox: %v\n", err)
			return 1
		}
		if r.Failures > 0 {
			fmt.Fprintf(stderr, "inbox: %s: %d of %d operations failed\n", style, r.Failures, r.Ops)
			return 1
		}
		if *asJSON {
			json.NewEncoder(stdout).Encode(r)
		}
		rows = append(rows, r)
	}
	if *asJSON {
		return 0
	}
	out := stdout
	if rep != nil {
		out = rep.Tee(stdout)
	}
	printTable(out, rows)
	if rep != nil {
		if err := rep.Write(); err != nil {
			fmt.Fprintf(stderr, "inbox: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "inbox: wrote %s\n", rep.Path())
	}
	return 0
}

// printTable prints the rows as a Markdown table, then the ratios the
// goals are stated in.
func printTable(w io.Writer, rows []row) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "%d operations per style, all started at once, each request taking %gms:\n\n", rows[0].Ops, rows[0].LatencyMs)
	fmt.Fprintln(w, "| style | bytes per op in flight (RSS slope) | allocs/op | ns/op | peak goroutines |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	by := map[string]row{}
	for _, r := range rows {
		by[r.Style] = r
		fmt.Fprintf(w, "| %s | %.0f | %.2f | %.0f | %d |\n", r.Style, r.BytesPerOp, r.AllocsPerOp, r.NsPerOp, r.PeakGoroutines)
	}
	g, okG := by["goroutine"]
	s, okS := by["statemachine"]
	if okG && okS && s.BytesPerOp > 0 && s.NsPerOp > 0 {
		fmt.Fprintf(w, "\nstate machine against goroutine: %.1fx less memory per operation, %.2fx the time per operation\n",
			g.BytesPerOp/s.BytesPerOp, s.NsPerOp/g.NsPerOp)
	}
}
