package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/chansync/chansync/cmd/internal/child"
	"github.com/chansync/chansync/csp/async"
	"github.com/chansync/chansync/h2o"
	"github.com/chansync/chansync/internal/procfs"
)

// memoryChild, started with the spec "KIND:N" (KIND goroutines, tasks or
// floor), grows to 3N waiting atoms in steps, reports its resident set at
// each step, and exits with the atoms still waiting. A fresh process per
// measurement means no figure reuses memory that another run freed.
var memoryChild = child.Role{Env: "H2O_MEMORY_CHILD", Prog: "h2o", Main: child.Measure(measureMemory)}

// memorySteps is how many times the child adds a share of the atoms and
// reads its resident set.
const memorySteps = 8

// A memPoint is the child's resident set with Atoms atoms waiting.
type memPoint struct {
	Atoms  int     `json:"atoms"`
	RSSKiB float64 `json:"rss_kib"`
}

var memoryWhat = map[string]string{
	"goroutines": "goroutines blocked in h2o.Water",
	"tasks":      "tasks waiting in h2o.TaskWater",
	"floor":      "goroutines waiting on a gate",
}

// printMemory runs one memory child and prints the slope of its resident
// set per atom.
func printMemory(kind string, n int, stdout, stderr io.Writer) int {
	points, err := runMemoryChild(kind, n)
	if err != nil {
		fmt.Fprintf(stderr, "h2o: %v\n", err)
		return 1
	}
	x := make([]float64, len(points))
	y := make([]float64, len(points))
	for i, p := range points {
		x[i], y[i] = float64(p.Atoms), p.RSSKiB*1024
	}
	last := points[len(points)-1]
	fmt.Fprintf(stdout, "memory per atom in flight, %s: %.0f bytes (resident-set slope over %d steps to %d atoms, %.0f MiB in all)\n",
		memoryWhat[kind], procfs.Slope(x, y), memorySteps, last.Atoms, last.RSSKiB/1024)
	return 0
}

// runMemoryChild runs a memory child and returns its points.
func runMemoryChild(kind string, n int) ([]memPoint, error) {
	var points []memPoint
	if err := memoryChild.Run(context.Background(), fmt.Sprintf("%s:%d", kind, n), &points); err != nil {
		return nil, err
	}
	if len(points) != memorySteps+1 {
		return nil, fmt.Errorf("memory child (%s, n=%d) gave %d points, want %d", kind, n, len(points), memorySteps+1)
	}
	return points, nil
}

// measureMemory is the memory child's measurement. The atoms are
// hydrogens only, so two hold permits at the barrier and the rest queue
// for a permit, as nearly all do in the tutorial's workload right after
// the spawn; none ever bonds. Each step waits until every atom it added
// is waiting (a goroutine has run up to its wait, a task has been polled)
// before it reads the resident set.
func measureMemory(spec string) ([]memPoint, error) {
	kind, count, _ := strings.Cut(spec, ":")
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 || memoryWhat[kind] == "" {
		return nil, fmt.Errorf("bad memory child spec %q", spec)
	}
	ctx := context.Background()
	var spawn func()     // adds one atom
	var settle func(int) // waits until that many atoms wait
	switch kind {
	case "goroutines", "floor":
		started := make(chan struct{})
		gate := make(chan struct{})
		water := h2o.NewWater()
		spawn = func() {
			go func() {
				started <- struct{}{}
				if kind == "floor" {
					<-gate
					return
				}
				water.Hydrogen(ctx, nop)
			}()
			<-started
		}
		settle = func(int) {}
	case "tasks":
		e := async.NewExecutor(async.Config{})
		water := h2o.NewTaskWater(e)
		spawn = func() { water.Spawn(h2o.H, nop) }
		settle = func(atoms int) {
			for water.Waiting() < atoms {
				time.Sleep(time.Millisecond)
			}
		}
	}
	var points []memPoint
	alive := 0
	for step := 0; step <= memorySteps; step++ {
		for ; alive < 3*n*step/memorySteps; alive++ {
			spawn()
		}
		settle(alive)
		runtime.GC()
		rss, err := procfs.RSSKiB(procfs.Self)
		if err != nil {
			return nil, err
		}
		points = append(points, memPoint{alive, rss})
	}
	return points, nil
}
