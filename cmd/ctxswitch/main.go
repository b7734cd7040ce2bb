// Command ctxswitch measures, on the machine it runs on, the tutorial's
// threads-versus-async table for Go: what it costs to create a task, to
// switch between tasks, and to keep a task alive, for OS threads and for
// goroutines. It ports the methodology of Jim Blandy's context-switch
// benchmarks (github.com/jimblandy/context-switch), which the tutorial
// quotes for Rust.
//
// Usage:
//
//	go run ./cmd/ctxswitch [-tasks 1000] [-iters 10] [-quick] [-json | -report FILE] [-quiet] [-plot DIR [-plot-format png|svg]]
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
// limits) are checked before anything runs. A run of more than a second
// shows a progress bar on standard error when that is a terminal, unless
// -quiet or -json.
//
// -plot DIR also draws the table in DIR/ctxswitch.png (ctxswitch.svg with
// -plot-format svg) as grouped bars, threads against goroutines on a log
// scale with the improvement factor above each pair, and says on standard
// error where it wrote. -report FILE writes the table to FILE as markdown,
// under a header naming the machine, the Go version, the date and the
// command line. DIR and FILE are checked before anything runs. -h prints
// the flags; a bad flag or combination exits 2.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/chansync/chansync/cmd/internal/cli"
	"github.com/chansync/chansync/cmd/internal/figure"
	"github.com/chansync/chansync/cmd/internal/progress"
	"github.com/chansync/chansync/cmd/internal/report"
)

func main() {
	memoryChild.Become()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	tasks int
	iters int
	json  bool
}

// plotName is the name of -plot's figure in its directory, before the
// extension.
const plotName = "ctxswitch"

func run(args []string, stdout, stderr io.Writer) int {
	cmd := cli.New("ctxswitch",
		"ctxswitch measures what OS threads and goroutines cost on this machine: creation, context switch and memory per task.",
		"usage: ctxswitch [-tasks 1000] [-iters 10] [-quick] [-json | -report FILE] [-quiet] [-plot DIR [-plot-format png|svg]]")
	tasks := cmd.Flags.Int("tasks", 1000, "tasks per measurement (chain length, tasks created, most tasks alive)")
	iters := cmd.Flags.Int("iters", 10, "measured runs per figure, after one warm-up")
	asJSON := cmd.Flags.Bool("json", false, "print the results as JSON")
	quick := cmd.Flags.Bool("quick", false, "a fast, rough run: 100 tasks, 3 runs")
	quiet := cmd.Flags.Bool("quiet", false, "no progress bar")
	plotDir := cmd.Flags.String("plot", "", "also draw the results as a bar chart, "+plotName+".png, in this directory (made if need be)")
	plotFormat := cmd.Flags.String("plot-format", "png", "with -plot: png or svg")
	reportFile := cmd.Flags.String("report", "", "also write the table as markdown to this file, under a header naming the machine, Go version, date and command")
	if code, ok := cmd.Parse(args, stdout, stderr); !ok {
		return code
	}
	if code, ok := cmd.NoArgs(stderr); !ok {
		return code
	}
	if code, ok := cmd.Check(stderr,
		cli.Conflict{Flag: "quick", With: []string{"tasks", "iters"}, Why: "-quick sets 100 tasks and 3 runs"},
		cli.Conflict{Flag: "json", With: []string{"report"}, Why: "-json prints no table to report"},
		cli.Conflict{Flag: "json", With: []string{"quiet"}, Why: "-json prints no progress bar"},
	); !ok {
		return code
	}
	if code, ok := cmd.CheckNeeds(stderr, cli.Need{Flag: "plot-format", Needs: "plot", Why: "it sets the format of -plot's figure"}); !ok {
		return code
	}
	opt := options{tasks: *tasks, iters: *iters, json: *asJSON}
	if *quick {
		opt.tasks, opt.iters = 100, 3
	}
	if opt.tasks < 10 || opt.iters < 1 {
		return cmd.Fail(stderr, "need -tasks of at least 10 and -iters of at least 1")
	}
	var plotPath string
	if *plotDir != "" {
		if err := figure.CheckFormat(*plotFormat); err != nil {
			return cmd.Fail(stderr, "%v", err)
		}
		if err := figure.CheckDir(*plotDir); err != nil {
			return cmd.Fail(stderr, "-plot %s: %v", *plotDir, err)
		}
		plotPath = filepath.Join(*plotDir, plotName+"."+*plotFormat)
	}
	var rep *report.Report
	if *reportFile != "" {
		if err := report.Check(*reportFile); err != nil {
			return cmd.Fail(stderr, "-report: %v", err)
		}
		rep = report.New(*reportFile, "ctxswitch: threads versus goroutines", "ctxswitch", args)
	}
	notes, err := checkLimits(opt.tasks)
	if err != nil {
		fmt.Fprintf(stderr, "ctxswitch: %v\n", err)
		return 1
	}
	var meter *progress.Meter
	if !*quiet && !opt.json && cli.IsTerminal(stderr) {
		meter = progress.Start(stderr, int64(measureRuns(opt)), "runs", progress.Delay)
	}
	res, err := measure(opt, meter)
	meter.Finish()
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
		out := stdout
		if rep != nil {
			out = rep.Tee(stdout)
		}
		printTable(out, res)
	}
	if rep != nil {
		if err := rep.Write(); err != nil {
			fmt.Fprintf(stderr, "ctxswitch: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "ctxswitch: wrote %s\n", *reportFile)
	}
	if plotPath != "" {
		if err := plotResults(plotPath, res); err != nil {
			fmt.Fprintf(stderr, "ctxswitch: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "ctxswitch: wrote %s\n", plotPath)
	}
	return 0
}
