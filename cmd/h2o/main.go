// Command h2o runs the water factory of the tutorial: it spawns 2n hydrogen
// and n oxygen atoms all at once, in a shuffled order, lets them bond
// through a factory, prints the molecules, and has h2o.Check judge the log.
//
// Usage:
//
//	go run ./cmd/h2o [-n 10] [-runtime goroutines|tasks [-workers W | -current-thread]] [-variant correct|no-wait|premature-release] [-seed S] [-quiet] [-exectrace FILE]
//	go run ./cmd/h2o -n 100000 -floor
//	go run ./cmd/h2o -n 100000 [-runtime tasks | -floor] -memory
//
// -runtime goroutines (the default) makes each atom a goroutine blocked on
// csp's semaphores and barrier (h2o.Water); -runtime tasks makes each a
// state machine spawned on an executor of package async and waiting on its
// task-side semaphores and barrier (h2o.TaskWater), the way Tokio runs the
// tutorial's program; -workers sets the executor's worker goroutines (0,
// the default, means one per processor), and -current-thread makes an
// executor with none, whose tasks the main goroutine polls while it joins
// them (tokio's current_thread runtime). The buggy variants are the tutorial's two mistakes
// (see package h2o), on either runtime. A run of one ends with the
// checker's report and exit status 1; if a run happens not to show the
// bug, the program says so and exits 0. With -quiet it prints only the
// throughput, and records and checks nothing. With -floor it runs no
// factory: it spawns the same 3n goroutines, each of which only waits on a
// gate that opens once all are spawned, and prints their time per
// molecule, the floor that the factories' figures are compared with.
//
// With -exectrace FILE it writes an execution trace (runtime/trace) of the
// factory's run to FILE, for `go tool trace FILE`: with -runtime tasks each
// atom's task is a user-defined task there (named after its spawn site),
// each of its polls a region, each of its wakes a log message that says
// who woke it.
//
// With -memory it measures resident memory per atom in flight instead: a
// fresh child process grows to 3n atoms in 8 steps, every one of them
// waiting (hydrogens only, so no molecule ever forms; with -floor,
// goroutines waiting on a gate), reads its resident set after each, and
// the program prints the slope.
//
// A factory run that lasts more than a second shows the molecules made so
// far in a progress bar on standard error, when that is a terminal and the
// run is not -quiet. At n = 1,000,000 the program needs several GB of
// memory: -floor, and -memory of goroutines, hold 3,000,000 goroutines at
// once (about 8 GB); the goroutine factory needs up to 2.5 GB with -quiet
// and about 5 GB without, when it records every bond; the task factory
// under 2 GB. -h prints the flags; bad flags, and flags that would do
// nothing together (-floor with -variant, -memory with -workers, ...),
// exit 2.
package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/chansync/chansync/cmd/internal/cli"
	"github.com/chansync/chansync/cmd/internal/exectrace"
	"github.com/chansync/chansync/cmd/internal/progress"
	"github.com/chansync/chansync/csp"
	"github.com/chansync/chansync/csp/async"
	"github.com/chansync/chansync/h2o"
)

func main() {
	memoryChild.Become()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

var variants = map[string]func() h2o.Factory{
	"correct":           func() h2o.Factory { return h2o.NewWater() },
	"no-wait":           func() h2o.Factory { return h2o.NewNoWait() },
	"premature-release": func() h2o.Factory { return h2o.NewPrematureRelease() },
}

var taskVariants = map[string]func(*async.Executor) h2o.TaskFactory{
	"correct":           func(e *async.Executor) h2o.TaskFactory { return h2o.NewTaskWater(e) },
	"no-wait":           func(e *async.Executor) h2o.TaskFactory { return h2o.NewTaskNoWait(e) },
	"premature-release": func(e *async.Executor) h2o.TaskFactory { return h2o.NewTaskPrematureRelease(e) },
}

const synopsis = `usage:
  h2o [-n 10] [-runtime goroutines|tasks [-workers W | -current-thread]] [-variant correct|no-wait|premature-release] [-seed S] [-quiet] [-exectrace FILE]
  h2o -floor [-n 10]
  h2o -memory [-n 10] [-runtime tasks | -floor]

It spawns 2n hydrogen and n oxygen atoms at once, in a shuffled order, lets
them bond through a factory, prints the molecules and checks them (exit 1
if a molecule is wrong); -quiet prints only the throughput. -floor times 3n
goroutines that only wait on a gate; -memory measures resident memory per
atom in flight, in a fresh child process. -exectrace FILE writes an
execution trace of the run for go tool trace (with -runtime tasks, each
atom is a task there and each poll a region).

Memory: at -n 1000000, -floor and -memory (of goroutines, or with -floor)
hold 3,000,000 goroutines at once and need about 8 GB. A goroutine factory
run needs up to 2.5 GB with -quiet and about 5 GB without (it then records
every bond); the task factory needs under 2 GB.`

func run(args []string, stdout, stderr io.Writer) int {
	cmd := cli.New("h2o",
		"h2o runs the tutorial's water factory: 2n hydrogen and n oxygen atoms bond into n molecules, and a checker judges the result.",
		synopsis)
	fs := cmd.Flags
	n := fs.Int("n", 10, "molecules to make (2n hydrogen and n oxygen atoms)")
	runtime := fs.String("runtime", "goroutines", "what an atom is: goroutines or tasks")
	variant := fs.String("variant", "correct", "factory: correct, no-wait or premature-release")
	seed := fs.Uint64("seed", 0, "seed for the order in which atoms are spawned (0: random)")
	quiet := fs.Bool("quiet", false, "print only the throughput; record and check nothing, and show no progress bar")
	floor := fs.Bool("floor", false, "run no factory: time 3n goroutines that only wait on a gate")
	memory := fs.Bool("memory", false, "measure resident memory per atom in flight, in a fresh child process")
	workers := fs.Int("workers", 0, "with -runtime tasks: the executor's worker goroutines (0: one per processor)")
	currentThread := fs.Bool("current-thread", false, "with -runtime tasks: no worker goroutines; the main goroutine polls the tasks while it joins them")
	execTrace := fs.String("exectrace", "", "write an execution trace (runtime/trace) of the factory's run to this file, for go tool trace")
	if code, ok := cmd.Parse(args, stdout, stderr); !ok {
		return code
	}
	if code, ok := cmd.NoArgs(stderr); !ok {
		return code
	}
	if code, ok := cmd.Check(stderr,
		cli.Conflict{Flag: "floor", With: []string{"variant", "runtime", "seed", "workers", "current-thread", "exectrace"}, Why: "-floor runs no factory, it times goroutines waiting on a gate"},
		cli.Conflict{Flag: "floor", With: []string{"quiet"}, Why: "-floor prints one line already"},
		cli.Conflict{Flag: "memory", With: []string{"variant", "seed"}, Why: "-memory measures waiting hydrogens of the correct factory, which never bond"},
		cli.Conflict{Flag: "memory", With: []string{"workers", "current-thread"}, Why: "-memory measures the tasks while they wait, not how they are run"},
		cli.Conflict{Flag: "memory", With: []string{"quiet"}, Why: "-memory prints one line already"},
		cli.Conflict{Flag: "memory", With: []string{"exectrace"}, Why: "-memory runs the atoms in a child process"},
		cli.Conflict{Flag: "current-thread", With: []string{"workers"}, Why: "-current-thread runs the tasks with no workers"},
	); !ok {
		return code
	}
	switch {
	case *n < 1:
		return cmd.Fail(stderr, "-n must be at least 1, got %d", *n)
	case *runtime != "goroutines" && *runtime != "tasks":
		return cmd.Fail(stderr, "unknown -runtime %q (want goroutines or tasks)", *runtime)
	case variants[*variant] == nil:
		return cmd.Fail(stderr, "unknown -variant %q (want correct, no-wait or premature-release)", *variant)
	case *workers < 0:
		return cmd.Fail(stderr, "-workers must not be negative, got %d", *workers)
	case (cmd.Given("workers") || *currentThread) && *runtime != "tasks":
		return cmd.Fail(stderr, "-workers and -current-thread set the task executor, so they need -runtime tasks")
	case *memory && *n < memorySteps:
		return cmd.Fail(stderr, "-memory needs -n of at least %d, got %d", memorySteps, *n)
	}
	if *memory {
		kind := *runtime
		if *floor {
			kind = "floor"
		}
		return printMemory(kind, *n, stdout, stderr)
	}
	if *floor {
		elapsed := h2o.Floor(*n)
		fmt.Fprintf(stdout, "floor for %d molecules (%d goroutines waiting on a gate) in %v: %.0f ns/molecule\n",
			*n, 3**n, elapsed.Round(time.Millisecond), float64(elapsed.Nanoseconds())/float64(*n))
		return 0
	}
	if *seed == 0 {
		*seed = rand.Uint64()
	}

	var log *h2o.Log
	if !*quiet {
		log = h2o.NewLog()
	}
	atoms := shuffledAtoms(*n, *seed)
	var meter *progress.Meter
	if !*quiet && cli.IsTerminal(stderr) {
		meter = progress.Start(stderr, int64(*n), "molecules", progress.Delay)
	}
	stopTrace := func() error { return nil }
	if *execTrace != "" {
		stop, err := exectrace.Start(*execTrace)
		if err != nil {
			return cmd.Fail(stderr, "-exectrace: %v", err)
		}
		stopTrace = stop
	}
	var elapsed time.Duration
	var err error
	if *runtime == "tasks" {
		if *currentThread {
			*workers = async.NoWorkers
		}
		elapsed, err = reactTasks(taskVariants[*variant], *workers, atoms, log, meter)
	} else {
		factory := variants[*variant]()
		elapsed, err = react(factory, atoms, log, meter)
		if closer, ok := factory.(interface{ Close() }); ok {
			closer.Close()
		}
	}
	meter.Finish()
	if terr := stopTrace(); err == nil {
		err = terr
	}
	if err != nil {
		fmt.Fprintf(stderr, "h2o: %v\n", err)
		return 1
	}

	if *quiet {
		fmt.Fprintf(stdout, "%d molecules in %v: %.0f molecules/s, %.0f ns/molecule\n",
			*n, elapsed.Round(time.Millisecond), float64(*n)/elapsed.Seconds(), float64(elapsed.Nanoseconds())/float64(*n))
		return 0
	}

	bonds := log.Bonds()
	as := ""
	if *runtime == "tasks" {
		as = " as tasks"
	}
	fmt.Fprintf(stdout, "%s factory, %d molecules, %d atoms spawned at once%s (seed %d)\n\n", *variant, *n, 3**n, as, *seed)
	printMolecules(stdout, bonds)
	verdict := h2o.Check(bonds)
	switch {
	case verdict != nil:
		fmt.Fprintf(stdout, "\ncheck: FAILED: %v\n", verdict)
		return 1
	case *variant != "correct":
		fmt.Fprintf(stdout, "\ncheck: clean, but the %s variant is wrong: this run happened not to show the bug (try a larger -n or another -seed)\n", *variant)
	default:
		fmt.Fprintf(stdout, "\ncheck: ok: %d molecules, each H-H-O, none overlapping the next\n", *n)
	}
	return 0
}

// shuffledAtoms returns the 2n hydrogen and n oxygen atoms in an order
// shuffled with seed.
func shuffledAtoms(n int, seed uint64) []h2o.Atom {
	atoms := make([]h2o.Atom, 0, 3*n)
	for i := 1; i <= n; i++ {
		atoms = append(atoms, h2o.Atom{Element: h2o.H, ID: 2*i - 1}, h2o.Atom{Element: h2o.H, ID: 2 * i}, h2o.Atom{Element: h2o.O, ID: i})
	}
	r := rand.New(rand.NewPCG(seed, seed>>32))
	r.Shuffle(len(atoms), func(i, j int) { atoms[i], atoms[j] = atoms[j], atoms[i] })
	return atoms
}

// bondFor returns the bond function of atom a: recorded in log, or one
// that does nothing if log is nil.
func bondFor(a h2o.Atom, log *h2o.Log) func() {
	if log == nil {
		return nop
	}
	return log.Record(a, nil)
}

func nop() {}

// react spawns a goroutine per atom, in the order given, and waits for all
// of them. Each oxygen counts its molecule on meter (which may be nil) once
// it has bonded.
func react(factory h2o.Factory, atoms []h2o.Atom, log *h2o.Log, meter *progress.Meter) (time.Duration, error) {
	ctx := context.Background()
	g := csp.NewGroup()
	start := time.Now()
	for _, a := range atoms {
		bond := bondFor(a, log)
		switch {
		case a.Element == h2o.H:
			g.Go(func() error { return factory.Hydrogen(ctx, bond) })
		case meter == nil: // the measured path: nothing but the factory
			g.Go(func() error { return factory.Oxygen(ctx, bond) })
		default:
			g.Go(func() error {
				defer meter.Add(1)
				return factory.Oxygen(ctx, bond)
			})
		}
	}
	err := g.Wait()
	return time.Since(start), err
}

// reactTasks spawns a task per atom on a new executor, in the order given,
// and joins them all with async.JoinAll. The executor is started before
// the clock and stopped after it, as a program's runtime would be.
//
// The handles are joined from the last spawned to the first. The atoms
// bond in about the order they were first polled, which is about the
// order they were spawned, so the joiner sleeps until the last is nearly
// done and then finds the others complete, as csp.Group.Wait sleeps until
// the last goroutine is done; joined first to last, it would wake again
// and again to follow the workers, competing with them for the
// processors.
//
// Each oxygen counts its molecule on meter (which may be nil) as it bonds.
func reactTasks(newFactory func(*async.Executor) h2o.TaskFactory, workers int, atoms []h2o.Atom, log *h2o.Log, meter *progress.Meter) (time.Duration, error) {
	e := async.NewExecutor(async.Config{Workers: workers})
	defer e.Close()
	factory := newFactory(e)
	handles := make([]async.JoinHandle[struct{}], len(atoms))
	last := len(atoms) - 1
	var first error
	start := time.Now()
	for i, a := range atoms {
		bond := bondFor(a, log)
		if a.Element == h2o.O && meter != nil {
			logged := bond
			bond = func() { logged(); meter.Add(1) }
		}
		handles[last-i] = factory.Spawn(a.Element, bond)
	}
	all := &async.JoinAll[struct{}]{
		Handles: handles,
		Each: func(i int, _ struct{}, err error) {
			if err != nil && first == nil {
				first = fmt.Errorf("atom %s: %w", atoms[last-i], err)
			}
		},
	}
	var err error
	if workers == async.NoWorkers {
		_, err = async.RunOn[struct{}](context.Background(), e, all) // this goroutine polls the atoms
	} else {
		_, err = async.BlockOn[struct{}](context.Background(), all)
	}
	return time.Since(start), cmp.Or(err, first)
}

// printMolecules prints the bonds three to a line, in the order they began:
// the molecules as h2o.Check sees them.
func printMolecules(w io.Writer, bonds []h2o.Bond) {
	sorted := slices.Clone(bonds)
	slices.SortStableFunc(sorted, func(a, b h2o.Bond) int { return cmp.Compare(a.Start, b.Start) })
	width := len(fmt.Sprint((len(sorted) + 2) / 3))
	for i := 0; i < len(sorted); i += 3 {
		var names []string
		for _, b := range sorted[i:min(i+3, len(sorted))] {
			names = append(names, "bond "+b.Atom.String())
		}
		fmt.Fprintf(w, "molecule %*d: %s\n", width, i/3+1, strings.Join(names, ", "))
	}
}
