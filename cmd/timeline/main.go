// Command timeline draws the executor at work from the task records of a
// real run: the tutorial's executor-and-reactor slide, drawn from what
// package async recorded (async.Config.Record, Executor.Tasks, Events).
//
// Usage:
//
//	go run ./cmd/timeline [-n 2] [-seed 1] [-o timeline.png]
//	go run ./cmd/timeline -o docs/timeline.png   # the picture in docs/4-async.md
//
// It makes the first n molecules of H2O as tasks (h2o.TaskWater), each
// atom a task named after it (H1, H2, O1, ...), spawned in a shuffled
// order (-seed) on a current-thread executor that the main goroutine
// polls (async.RunOn), and records every poll and wake. It runs twice
// and draws the second run, whose times are not those of a cold start. Then it prints
// the task list (async.WriteTasks) with the lints, and draws one row per
// task: each poll a bar (blue: it returned Pending; green: Ready), each
// wake a mark on the woken task's row, and a line from the row of the
// task whose poll woke it (on a current-thread executor one goroutine
// polls every task, so the waker of a wake that comes during a poll is
// known). -o FILE writes PNG or SVG, chosen by the extension.
package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/chansync/chansync/cmd/internal/cli"
	"github.com/chansync/chansync/cmd/internal/figure"
	"github.com/chansync/chansync/csp/async"
	"github.com/chansync/chansync/h2o"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const synopsis = `usage:
  timeline [-n 2] [-seed 1] [-o timeline.png]

It runs the first n molecules of H2O as tasks on a current-thread executor
with task records on, prints the task list and its lints, and draws one row
per task: polls as bars, wakes as marks, a line from the task that woke it.
-o writes PNG or SVG, by the file's extension.`

// maxMolecules keeps the picture readable: one row per atom.
const maxMolecules = 10

func run(args []string, stdout, stderr io.Writer) int {
	cmd := cli.New("timeline",
		"timeline draws the executor at work: the first molecules of H2O as tasks, one row per task, polls as bars, wakes as marks.",
		synopsis)
	fs := cmd.Flags
	n := fs.Int("n", 2, fmt.Sprintf("molecules to make (1 to %d): 3n tasks, one row each", maxMolecules))
	seed := fs.Uint64("seed", 1, "seed for the order in which atoms are spawned")
	out := fs.String("o", "timeline.png", "the picture to write: .png or .svg")
	if code, ok := cmd.Parse(args, stdout, stderr); !ok {
		return code
	}
	if code, ok := cmd.NoArgs(stderr); !ok {
		return code
	}
	if *n < 1 || *n > maxMolecules {
		return cmd.Fail(stderr, "-n must be between 1 and %d, got %d", maxMolecules, *n)
	}
	if err := checkOutput(*out); err != nil {
		return cmd.Fail(stderr, "-o: %v", err)
	}
	// The first run pays for what a program's first steps pay for (the
	// heap growing, the first time each code path runs); the second is
	// drawn.
	_, err := record(*n, *seed)
	var rec recording
	if err == nil {
		rec, err = record(*n, *seed)
	}
	if err != nil {
		fmt.Fprintf(stderr, "timeline: %v\n", err)
		return 1
	}
	if err := async.WriteTasks(stdout, rec.tasks, async.LintTasks(rec.tasks, rec.end, async.LintConfig{}), rec.end); err != nil {
		fmt.Fprintf(stderr, "timeline: %v\n", err)
		return 1
	}
	tl, err := build(rec.tasks, rec.events)
	if err != nil {
		fmt.Fprintf(stderr, "timeline: %v\n", err)
		return 1
	}
	caption := strings.Join([]string{
		fmt.Sprintf("go run ./cmd/timeline -n %d -seed %d", *n, *seed),
		figure.Machine(), rec.end.UTC().Format("2006-01-02"),
	}, figure.CaptionSep)
	if err := drawTimeline(tl, *n, caption, *out); err != nil {
		fmt.Fprintf(stderr, "timeline: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "\n%d tasks, %d polls, %d wakes (%d by a task) drawn in %s\n", len(tl.Rows), len(tl.Bars), len(tl.Wakes), tl.linked(), *out)
	return 0
}

// recording is what a run recorded.
type recording struct {
	tasks  []async.TaskInfo
	events []async.TaskEvent
	end    time.Time
}

// maxEvents bounds the events kept; n molecules need about 20n.
const maxEvents = 4096

// record makes n molecules with the atoms as named tasks on a recording
// current-thread executor, and returns its records.
func record(n int, seed uint64) (recording, error) {
	e := async.NewExecutor(async.Config{Workers: async.NoWorkers, Record: true, Events: maxEvents})
	defer e.Close()
	w := h2o.NewTaskWater(e)
	log := h2o.NewLog()
	var atoms []h2o.Atom
	for i := 1; i <= n; i++ {
		atoms = append(atoms, h2o.Atom{Element: h2o.H, ID: 2*i - 1}, h2o.Atom{Element: h2o.H, ID: 2 * i}, h2o.Atom{Element: h2o.O, ID: i})
	}
	r := rand.New(rand.NewPCG(seed, seed>>32))
	r.Shuffle(len(atoms), func(i, j int) { atoms[i], atoms[j] = atoms[j], atoms[i] })
	handles := make([]async.JoinHandle[struct{}], len(atoms))
	for i, a := range atoms {
		handles[i] = async.SpawnNamed[struct{}](e, a.String(), w.Atom(a.Element, log.Record(a, nil)))
	}
	all := &async.JoinAll[struct{}]{Handles: handles}
	if _, err := async.RunOn[struct{}](context.Background(), e, all); err != nil {
		return recording{}, err
	}
	if err := h2o.Check(log.Bonds()); err != nil {
		return recording{}, err
	}
	ev := e.Events()
	if len(ev) == maxEvents {
		return recording{}, fmt.Errorf("more than %d polls and wakes: the picture would be cut short", maxEvents)
	}
	return recording{tasks: e.Tasks(), events: ev, end: time.Now()}, nil
}
