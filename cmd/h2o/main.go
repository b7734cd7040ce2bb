// Command h2o runs the water factory of the tutorial: it spawns 2n hydrogen
// and n oxygen goroutines all at once, in a shuffled order, lets them bond
// through a factory, prints the molecules, and has h2o.Check judge the log.
//
// Usage:
//
//	go run ./cmd/h2o [-n 10] [-variant correct|no-wait|premature-release] [-seed S] [-quiet]
//	go run ./cmd/h2o -n 100000 -floor
//
// The buggy variants are the tutorial's two mistakes (see package h2o). A run
// of one ends with the checker's report and exit status 1; if a run happens
// not to show the bug, the program says so and exits 0. With -quiet it prints
// only the throughput, and records and checks nothing. With -floor it runs no
// factory: it spawns the same 3n goroutines, each of which only waits on a
// gate that opens once all are spawned, and prints their time per molecule,
// the floor that the factory's figure is compared with. Bad flags exit 2.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/chansync/chansync/csp"
	"github.com/chansync/chansync/h2o"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

var variants = map[string]func() h2o.Factory{
	"correct":           func() h2o.Factory { return h2o.NewWater() },
	"no-wait":           func() h2o.Factory { return h2o.NewNoWait() },
	"premature-release": func() h2o.Factory { return h2o.NewPrematureRelease() },
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("h2o", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 10, "molecules to make (2n hydrogen and n oxygen goroutines)")
	variant := fs.String("variant", "correct", "factory: correct, no-wait or premature-release")
	seed := fs.Uint64("seed", 0, "seed for the order in which atoms are spawned (0: random)")
	quiet := fs.Bool("quiet", false, "print only the throughput; record and check nothing")
	floor := fs.Bool("floor", false, "run no factory: time 3n goroutines that only wait on a gate")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	newFactory, ok := variants[*variant]
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "h2o: unexpected argument %q\n", fs.Arg(0))
		return 2
	case *n < 1:
		fmt.Fprintf(stderr, "h2o: -n must be at least 1, got %d\n", *n)
		return 2
	case !ok:
		fmt.Fprintf(stderr, "h2o: unknown -variant %q (want correct, no-wait or premature-release)\n", *variant)
		return 2
	case *floor && *variant != "correct":
		fmt.Fprintf(stderr, "h2o: -floor runs no factory, so it takes no -variant\n")
		return 2
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

	factory := newFactory()
	var log *h2o.Log
	if !*quiet {
		log = h2o.NewLog()
	}
	elapsed, err := react(factory, *n, *seed, log)
	if closer, ok := factory.(interface{ Close() }); ok {
		closer.Close()
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
	fmt.Fprintf(stdout, "%s factory, %d molecules, %d atoms spawned at once (seed %d)\n\n", *variant, *n, 3**n, *seed)
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

// react spawns 2n hydrogen and n oxygen goroutines in a shuffled order and
// waits for all of them. Each bond is recorded in log unless log is nil.
func react(factory h2o.Factory, n int, seed uint64, log *h2o.Log) (time.Duration, error) {
	atoms := make([]h2o.Atom, 0, 3*n)
	for i := 1; i <= n; i++ {
		atoms = append(atoms, h2o.Atom{Element: h2o.H, ID: 2*i - 1}, h2o.Atom{Element: h2o.H, ID: 2 * i}, h2o.Atom{Element: h2o.O, ID: i})
	}
	r := rand.New(rand.NewPCG(seed, seed>>32))
	r.Shuffle(len(atoms), func(i, j int) { atoms[i], atoms[j] = atoms[j], atoms[i] })

	ctx := context.Background()
	g := csp.NewGroup()
	start := time.Now()
	for _, a := range atoms {
		bond := func() {}
		if log != nil {
			bond = log.Record(a, nil)
		}
		if a.Element == h2o.H {
			g.Go(func() error { return factory.Hydrogen(ctx, bond) })
		} else {
			g.Go(func() error { return factory.Oxygen(ctx, bond) })
		}
	}
	err := g.Wait()
	return time.Since(start), err
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
