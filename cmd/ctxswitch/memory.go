package main

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/chansync/chansync/cmd/internal/child"
	"github.com/chansync/chansync/cmd/internal/progress"
	"github.com/chansync/chansync/internal/procfs"
)

// memoryChild, started with the spec "thread:N" or "goroutine:N", grows to
// N blocked tasks in steps, reports the resident set and the system's
// kernel stacks at each step, and exits. A fresh process per run means no
// measurement reuses memory another one freed.
var memoryChild = child.Role{Env: "CTXSWITCH_MEMORY_CHILD", Prog: "ctxswitch", Main: child.Measure(measureMemory)}

const memorySteps = 8

// A memPoint is the process's memory with Tasks blocked tasks alive.
type memPoint struct {
	Tasks         int     `json:"tasks"`
	RSSKiB        float64 `json:"rss_kib"`
	KernelStackKB float64 `json:"kernel_stack_kib"`
}

// measureMemory is the memory child's measurement.
func measureMemory(spec string) ([]memPoint, error) {
	kind, count, ok := strings.Cut(spec, ":")
	n, err := strconv.Atoi(count)
	if !ok || err != nil || (kind != "thread" && kind != "goroutine") {
		return nil, fmt.Errorf("bad memory child spec %q", spec)
	}
	thread := kind == "thread"
	if thread {
		runtime.LockOSThread()
	}
	started := make(chan struct{})
	release := make(chan struct{})
	alive := 0
	var points []memPoint
	for step := 0; step <= memorySteps; step++ {
		for ; alive < n*step/memorySteps; alive++ {
			go func() {
				if thread {
					runtime.LockOSThread()
				}
				started <- struct{}{}
				<-release
			}()
			<-started
		}
		rss, err := procfs.RSSKiB(procfs.Self)
		if err != nil {
			return nil, err
		}
		ks, err := procfs.KiB("/proc/meminfo", "KernelStack:")
		if err != nil {
			return nil, err
		}
		points = append(points, memPoint{alive, rss, ks})
	}
	close(release)
	return points, nil
}

// runChild runs one memory child and returns its points.
func runChild(kind string, n int) ([]memPoint, error) {
	var points []memPoint
	if err := memoryChild.Run(context.Background(), fmt.Sprintf("%s:%d", kind, n), &points); err != nil {
		return nil, fmt.Errorf("memory child (%s, %d tasks): %v", kind, n, err)
	}
	return points, nil
}

// memoryRows runs iters memory children of each kind, counting each on
// meter, and returns the rows for resident memory per task and kernel
// stacks per thread.
func memoryRows(n, iters int, meter *progress.Meter) (row, row, error) {
	per := map[string][]float64{}
	var kernel []float64
	for range iters {
		for _, kind := range []string{"thread", "goroutine"} {
			points, err := runChild(kind, n)
			if err != nil {
				return row{}, row{}, err
			}
			meter.Add(1)
			var x, rss, ks []float64
			for _, p := range points {
				x = append(x, float64(p.Tasks))
				rss = append(rss, p.RSSKiB)
				ks = append(ks, p.KernelStackKB)
			}
			per[kind] = append(per[kind], procfs.Slope(x, rss))
			if kind == "thread" {
				kernel = append(kernel, procfs.Slope(x, ks))
			}
		}
	}
	t, g := summarize(per["thread"]), summarize(per["goroutine"])
	mem := row{Metric: "memory per task, resident (RSS slope)", Unit: "KiB", Threads: t, Goroutines: &g}
	if g.Mean > 0 {
		mem.Improvement = t.Mean / g.Mean
	}
	kern := row{Metric: "memory per thread, kernel stack (system-wide)", Unit: "KiB", Threads: summarize(kernel)}
	return mem, kern, nil
}
