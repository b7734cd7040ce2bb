// Command inbox runs the tutorial's AddToInbox three ways (a goroutine that
// blocks, a state machine polled by an executor and woken by a reactor, and
// callbacks) and shows what each costs.
//
// Usage:
//
//	go run ./cmd/inbox -trace            # one operation's lifecycle, line by line, then an error path
//	go run ./cmd/inbox [-n 100000] [-latency 5ms] [-style goroutine,statemachine,callback] [-json]
//
// -trace prints who acts at each step of one AddToInbox on the executor and
// the reactor (spawn, poll, each state transition, Pending, the reactor's
// wake, Ready), first for a delivery that succeeds, then for one that fails.
//
// Otherwise, for each style, it starts n operations at once (each request
// answered after -latency) and prints a table: resident memory per
// operation in flight (the slope of the resident set against the number of
// operations waiting, in a fresh child process that grows to n of them in 8
// steps), heap allocations and nanoseconds per operation (from the first
// start to the last completion, in another fresh child), and the most
// goroutines alive at once. -json prints one JSON object per style instead.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

func main() {
	if spec := os.Getenv(childEnv); spec != "" {
		if err := child(spec, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "inbox: %v\n", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: inbox [-trace] [-n ops] [-latency d] [-style list] [-json]
  -trace        print one AddToInbox's lifecycle on the executor and reactor, then an error path
  -n ops        operations per style, all started at once (default 100000)
  -latency d    how long each request takes (default 5ms)
  -style list   comma-separated styles to measure (default goroutine,statemachine,callback)
  -json         one JSON object per style instead of the table
`

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inbox", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	trace := fs.Bool("trace", false, "")
	n := fs.Int("n", 100000, "")
	latency := fs.Duration("latency", 5*time.Millisecond, "")
	styleList := fs.String("style", strings.Join(styles, ","), "")
	asJSON := fs.Bool("json", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "inbox: %v (see -h)\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "inbox: unexpected argument %q (see -h)\n", fs.Arg(0))
		return 2
	}
	nSet := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "trace" {
			nSet = true
		}
	})
	if *n < memorySteps {
		fmt.Fprintf(stderr, "inbox: -n must be at least %d, got %d\n", memorySteps, *n)
		return 2
	}
	if *latency < 0 {
		fmt.Fprintf(stderr, "inbox: -latency must not be negative, got %v\n", *latency)
		return 2
	}
	var chosen []string
	for _, s := range strings.Split(*styleList, ",") {
		if !validStyle(s) {
			fmt.Fprintf(stderr, "inbox: unknown style %q (want goroutine, statemachine or callback)\n", s)
			return 2
		}
		chosen = append(chosen, s)
	}

	if *trace {
		if err := runTrace(stdout); err != nil {
			fmt.Fprintf(stderr, "inbox: %v\n", err)
			return 1
		}
		if !nSet {
			return 0
		}
		fmt.Fprintln(stdout)
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
	if !*asJSON {
		printTable(stdout, rows)
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
