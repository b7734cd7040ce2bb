// Command ctxswitch measures, on the machine it runs on, the tutorial's
// threads-versus-async table for Go: what it costs to create a task, to
// switch between tasks, and to keep a task alive, for OS threads and for
// goroutines. It ports the methodology of Jim Blandy's context-switch
// benchmarks (github.com/jimblandy/context-switch), which the tutorial
// quotes for Rust.
//
// Usage:
//
//	go run ./cmd/ctxswitch [-tasks 1000] [-iters 10] [-json] [-quick] [-plot FILE.png|FILE.svg]
//
// In Go an "OS thread" task is a goroutine locked to its own OS thread with
// runtime.LockOSThread and kept blocked, so the runtime must start a new
// thread for every one of them; the program counts the threads in
// /proc/self/task to prove it did. A goroutine task is a plain goroutine.
//
//   - creation: the time to start -tasks tasks until every one has run its
//     first instruction, per task, and the mean latency from a task's go
//     statement to its first instruction;
//   - context switch: a bucket brigade of -tasks tasks in a chain, each
//     passing a token from its upstream neighbour to its downstream one; the
//     time of one trip divided by the number of hops. Once over unbuffered
//     channels, once over a socketpair per link (blocking reads and writes on
//     the thread side, the netpoller on the goroutine side, as Blandy does);
//   - memory: the process's resident set for growing numbers of blocked
//     tasks, the slope of a least-squares line through them per task; for
//     threads also the kernel stacks (KernelStack in /proc/meminfo, a
//     system-wide figure).
//
// Every figure is the mean and standard deviation of -iters runs after a
// warm-up. Limits (the runtime's thread limit, the system's thread and file
// limits) are checked before anything runs.
//
// -plot FILE also draws the table as grouped bars, threads against
// goroutines on a log scale with the improvement factor above each pair,
// as PNG or SVG by FILE's extension. FILE is checked before anything runs.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/chansync/chansync/cmd/internal/figure"
)

func main() {
	if spec := os.Getenv(childEnv); spec != "" {
		if err := memoryChild(spec, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "ctxswitch: %v\n", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	tasks int
	iters int
	json  bool
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ctxswitch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tasks := fs.Int("tasks", 1000, "tasks per measurement (chain length, tasks created, most tasks alive)")
	iters := fs.Int("iters", 10, "measured runs per figure, after one warm-up")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	quick := fs.Bool("quick", false, "a fast, rough run: 100 tasks, 3 runs")
	plotFile := fs.String("plot", "", "also draw the results as a bar chart in this .png or .svg file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ctxswitch: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	opt := options{tasks: *tasks, iters: *iters, json: *asJSON}
	if *quick {
		opt.tasks, opt.iters = 100, 3
	}
	if opt.tasks < 10 || opt.iters < 1 {
		fmt.Fprintf(stderr, "ctxswitch: need -tasks of at least 10 and -iters of at least 1\n")
		return 2
	}
	if *plotFile != "" {
		if err := figure.CheckFile(*plotFile); err != nil {
			fmt.Fprintf(stderr, "ctxswitch: -plot: %v\n", err)
			return 2
		}
	}
	notes, err := checkLimits(opt.tasks)
	if err != nil {
		fmt.Fprintf(stderr, "ctxswitch: %v\n", err)
		return 1
	}
	res, err := measure(opt)
	if err != nil {
		fmt.Fprintf(stderr, "ctxswitch: %v\n", err)
		return 1
	}
	res.Notes = notes
	if opt.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res)
	} else {
		printTable(stdout, res)
	}
	if *plotFile != "" {
		if err := plotResults(*plotFile, res); err != nil {
			fmt.Fprintf(stderr, "ctxswitch: %v\n", err)
			return 1
		}
	}
	return 0
}
