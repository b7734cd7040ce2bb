// Command benchcmp compares a revision of chansync with the working tree on
// the tutorial's workloads, alternating the two, and names every workload
// that got slower. scripts/benchcmp runs it:
//
//	scripts/benchcmp [flags] REV
//
// It checks REV out into a temporary git worktree (removed afterwards),
// builds cmd/h2o, cmd/echo and the test binaries of csp and csp/async at
// REV and in the working tree, and cmd/echoload in the working tree only.
// Then, -count rounds, each workload runs once per side, the two sides in
// turn (REV first in odd rounds, the working tree first in even ones):
//
//	h2o            cmd/h2o -n 100000 -quiet: ns per molecule, and the
//	               process's CPU time per molecule
//	h2o-tasks      the same with -runtime tasks
//	echo-goroutine cmd/echo in its own process, the working tree's
//	echo-reactor   cmd/echoload against it at 50 connections: lines/s, and
//	               the server's CPU time (echoload -server-pid)
//	               per echoed line
//	csp, async     the benchmarks of csp and csp/async (chansync's rows;
//	               -bench . adds the baselines), one -count per round
//
// It prints a benchstat table of the two sides, then each workload's
// rounds paired (the median of the per-round cost ratios and a sign test:
// the two runs of a round share the machine's state, so the pairs see
// through a drift that widens both sides' spread), and then every workload
// whose cost grew by more than -threshold percent with p < -alpha by
// either test (time or CPU per operation up, or lines/s down); with -fail
// it exits 1 if there is one. With 6 rounds, the default, a sign test can
// reach p = 0.031; with fewer it cannot go below 0.05.
//
// Each -batch rounds run in a child process behind -measure-cmd, if given
// (such as a lock that keeps other jobs off the CPU), so that the lock is
// held for a round or a few, not for the whole comparison. A round of
// every workload takes about a minute on 2 cores.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 2 && os.Args[1] == roundFlag {
		os.Exit(runRound(os.Args[2], os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// benchstatPkg is the benchstat that prints the table, pinned so that its
// CSV, which decide reads, does not change under us.
const benchstatPkg = "golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da"

// defaultBench selects chansync's own rows of the csp and csp/async
// benchmarks (impl=csp, impl=executor...) at either depth of sub-benchmark;
// the baselines beside them do not change between revisions.
const defaultBench = `./impl=(csp|executor.*)$|././impl=(csp|executor.*)$`

// options is the command line.
type options struct {
	rev        string
	count      int
	batch      int
	workloads  []string
	molecules  int
	echoConns  int
	echoTime   time.Duration
	bench      string
	benchtime  string
	benchmem   bool
	threshold  float64 // percent
	alpha      float64
	fail       bool
	out        string
	measureCmd []string
	buildCmd   []string
	benchstat  []string
}

const usageText = `benchcmp compares a revision with the working tree on the tutorial's workloads, alternated, and names every workload that got slower.

usage: scripts/benchcmp [flags] REV   (flags may also follow REV)

REV is any git revision (98d125e, main, HEAD~3). Workloads (-w, comma
separated): h2o, h2o-tasks, echo-goroutine, echo-reactor, csp, async, or
all. A round of all of them takes about a minute on 2 cores; a quick look
at one: scripts/benchcmp -w h2o REV. It prints a benchstat table, the
rounds paired (median cost ratio, sign test), and the workloads more than
-threshold percent slower with p < -alpha by either test.

Flags:`

func parseOptions(args []string, stdout, stderr io.Writer) (options, int, bool) {
	var o options
	fs := flag.NewFlagSet("benchcmp", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&o.count, "count", 6, "rounds: runs of each workload on each side")
	fs.IntVar(&o.batch, "batch", 1, "rounds run by one child process, behind one -measure-cmd")
	work := fs.String("w", "all", "workloads, comma separated: "+strings.Join(allWorkloads, ", ")+", or all")
	fs.IntVar(&o.molecules, "n", 100000, "molecules per H2O run")
	fs.IntVar(&o.echoConns, "c", 50, "echo connections")
	fs.DurationVar(&o.echoTime, "d", 3*time.Second, "how long each echo run lasts")
	fs.StringVar(&o.bench, "bench", defaultBench, "benchmarks of csp and csp/async to run (go test -bench)")
	fs.StringVar(&o.benchtime, "benchtime", "500ms", "go test -benchtime for each benchmark")
	fs.BoolVar(&o.benchmem, "benchmem", false, "also compare the benchmarks' allocations")
	fs.Float64Var(&o.threshold, "threshold", 5, "percent of added cost from which a workload counts as slower")
	fs.Float64Var(&o.alpha, "alpha", 0.05, "p-value below which a change counts")
	fs.BoolVar(&o.fail, "fail", false, "exit 1 if a workload got slower")
	fs.StringVar(&o.out, "o", "", "keep the raw results (REV.txt, worktree.txt) in this directory")
	measure := fs.String("measure-cmd", "", "command put in front of each round, such as a lock (split on spaces)")
	build := fs.String("build-cmd", "", "command put in front of each build (split on spaces)")
	bstat := fs.String("benchstat", "", "benchstat command (split on spaces); default: go run "+benchstatPkg)

	usage := func(w io.Writer) {
		fmt.Fprintln(w, usageText)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	fail := func(format string, a ...any) (options, int, bool) {
		fmt.Fprintf(stderr, "benchcmp: "+format+" (see benchcmp -h)\n", a...)
		return o, 2, false
	}
	// REV may come before or after the flags.
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		o.rev = fs.Arg(0)
		err = fs.Parse(fs.Args()[1:])
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage(stdout)
		return o, 0, false
	case err != nil:
		return fail("%v", err)
	case o.rev == "":
		return fail("which revision? give REV")
	case fs.NArg() > 0:
		return fail("one revision only, got %q and %q", o.rev, fs.Args())
	case o.count < 1 || o.batch < 1:
		return fail("-count and -batch must be at least 1, got %d and %d", o.count, o.batch)
	case o.molecules < 1 || o.echoConns < 1 || o.echoTime <= 0:
		return fail("-n, -c and -d must be positive")
	case o.threshold < 0 || o.alpha <= 0 || o.alpha >= 1:
		return fail("-threshold must not be negative and -alpha must be between 0 and 1")
	}
	o.workloads, err = parseWorkloads(*work)
	if err != nil {
		return fail("-w: %v", err)
	}
	o.measureCmd = strings.Fields(*measure)
	o.buildCmd = strings.Fields(*build)
	o.benchstat = strings.Fields(*bstat)
	if len(o.benchstat) == 0 {
		o.benchstat = []string{"go", "run", benchstatPkg}
	}
	return o, 0, true
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, code, ok := parseOptions(args, stdout, stderr)
	if !ok {
		return code
	}
	err := compare(ctx, o, stdout, stderr)
	var slower errSlower
	switch {
	case errors.As(err, &slower):
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "benchcmp: %v\n", err)
		return 1
	}
	return 0
}

// errSlower is compare's error when a workload got slower and -fail was
// given: the workloads are printed already.
type errSlower struct{}

func (errSlower) Error() string { return "a workload got slower" }

func compare(ctx context.Context, o options, stdout, stderr io.Writer) error {
	root, err := output(ctx, "", "git", "rev-parse", "--show-toplevel")
	if err != nil {
		return fmt.Errorf("not in a git checkout: %v", err)
	}
	root = strings.TrimSpace(root)
	tmp, err := os.MkdirTemp("", "benchcmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	short, err := output(ctx, root, "git", "rev-parse", "--short", o.rev+"^{commit}")
	if err != nil {
		return fmt.Errorf("revision %q: %v", o.rev, err)
	}
	old := &side{label: strings.TrimSpace(short), src: filepath.Join(tmp, "rev"), bin: filepath.Join(tmp, "bin-rev")}
	cur := &side{label: "worktree", src: root, bin: filepath.Join(tmp, "bin-worktree")}
	fmt.Fprintf(stderr, "benchcmp: %s against the working tree %s\n", old.label, root)
	if _, err := output(ctx, root, "git", "worktree", "add", "--detach", old.src, o.rev); err != nil {
		return fmt.Errorf("checking out %s: %v", o.rev, err)
	}
	defer func() {
		// Not ctx: the worktree goes even after an interrupt.
		if _, err := output(context.Background(), root, "git", "worktree", "remove", "--force", old.src); err != nil {
			fmt.Fprintf(stderr, "benchcmp: removing the worktree of %s: %v\n", o.rev, err)
		}
	}()
	echoload := filepath.Join(tmp, "echoload")
	for _, s := range []*side{old, cur} {
		if err := s.build(ctx, o, stderr); err != nil {
			return err
		}
	}
	if needsEcho(o.workloads) {
		fmt.Fprintln(stderr, "benchcmp: building cmd/echoload (working tree)")
		if err := runBuild(ctx, o.buildCmd, root, "go", "build", "-o", echoload, "./cmd/echoload"); err != nil {
			return err
		}
	}

	self, err := os.Executable()
	if err != nil {
		return err
	}
	results := map[*side]*strings.Builder{old: {}, cur: {}}
	for _, s := range []*side{old, cur} {
		results[s].WriteString(header(runtime.GOOS, runtime.GOARCH, cpuName()))
	}
	start := time.Now()
	batches := schedule(o.count, o.batch, o.workloads, [2]*side{old, cur})
	for b, runs := range batches {
		jobs := make([]job, len(runs))
		for i, r := range runs {
			if jobs[i], err = r.side.job(r.workload, o, echoload); err != nil {
				return err
			}
		}
		first, last := b*o.batch+1, min((b+1)*o.batch, o.count)
		fmt.Fprintf(stderr, "benchcmp: rounds %d to %d of %d (%v so far)\n", first, last, o.count, time.Since(start).Round(time.Second))
		began := time.Now()
		r, err := measureRound(ctx, o.measureCmd, self, jobs)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "benchcmp: rounds %d to %d ran in %v, %v after they were started\n",
			first, last, r.Took.Round(time.Second), time.Since(began).Round(time.Second))
		for i, out := range r.Results {
			results[runs[i].side].WriteString(out)
		}
	}

	return report(ctx, o, tmp, [2]*side{old, cur}, [2]string{results[old].String(), results[cur].String()}, describeTree(ctx, root), stdout)
}

// describeTree names the working tree's commit, and says if it has
// changes that are not committed: what the "worktree" column measured.
func describeTree(ctx context.Context, root string) string {
	head, err := output(ctx, root, "git", "rev-parse", "--short", "HEAD")
	if err != nil {
		return "the working tree"
	}
	desc := "the working tree (" + strings.TrimSpace(head)
	if st, err := output(ctx, root, "git", "status", "--porcelain", "--untracked-files=no"); err == nil && strings.TrimSpace(st) != "" {
		desc += " with uncommitted changes"
	}
	return desc + ")"
}

// report keeps the results, runs benchstat on them, pairs the rounds and
// prints the table, the pairs and the verdict.
func report(ctx context.Context, o options, tmp string, sides [2]*side, results [2]string, tree string, stdout io.Writer) error {
	old, cur := sides[0], sides[1]
	dir := o.out
	if dir == "" {
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var files [2]string
	for i, s := range sides {
		files[i] = filepath.Join(dir, s.label+".txt")
		if err := os.WriteFile(files[i], []byte(results[i]), 0o644); err != nil {
			return err
		}
	}
	args := []string{old.label + "=" + files[0], cur.label + "=" + files[1]}
	table, err := output(ctx, tmp, o.benchstat[0], append(o.benchstat[1:], args...)...)
	if err != nil {
		return fmt.Errorf("benchstat: %v", err)
	}
	csv, err := output(ctx, tmp, o.benchstat[0], append(append(o.benchstat[1:], "-format", "csv"), args...)...)
	if err != nil {
		return fmt.Errorf("benchstat -format csv: %v", err)
	}
	rows, err := parseBenchstatCSV(strings.NewReader(csv))
	if err != nil {
		return fmt.Errorf("reading benchstat's CSV: %v", err)
	}
	fmt.Fprintf(stdout, "scripts/benchcmp %s: %s against %s, %d alternated rounds\n\n", strings.Join(os.Args[1:], " "), old.label, tree, o.count)
	fmt.Fprint(stdout, table)
	fmt.Fprintln(stdout)
	if o.out != "" {
		fmt.Fprintf(stdout, "raw results: %s, %s\n", files[0], files[1])
	}
	ps := pairs(samples(results[0]), samples(results[1]))
	fmt.Fprintln(stdout, pairTable(ps))
	slow := slower(rows, o.threshold/100, o.alpha)
	slowPairs := slowerPairs(ps, o.threshold/100, o.alpha)
	fmt.Fprint(stdout, verdict(slow, slowPairs, o.threshold, o.alpha))
	if len(slow)+len(slowPairs) > 0 && o.fail {
		return errSlower{}
	}
	return nil
}
