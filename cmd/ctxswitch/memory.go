package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"github.com/chansync/chansync/internal/procfs"
)

// childEnv, when set to "thread:N" or "goroutine:N", makes the program a
// memory child: it grows to N blocked tasks in steps, printing the resident
// set and the system's kernel stacks at each step, and exits. A fresh
// process per run means no measurement reuses memory another one freed.
const childEnv = "CTXSWITCH_MEMORY_CHILD"

const memorySteps = 8

// A memPoint is the process's memory with Tasks blocked tasks alive.
type memPoint struct {
	Tasks         int     `json:"tasks"`
	RSSKiB        float64 `json:"rss_kib"`
	KernelStackKB float64 `json:"kernel_stack_kib"`
}

// memoryChild is the child's whole life.
func memoryChild(spec string, w io.Writer) error {
	kind, count, ok := strings.Cut(spec, ":")
	n, err := strconv.Atoi(count)
	if !ok || err != nil || (kind != "thread" && kind != "goroutine") {
		return fmt.Errorf("bad %s=%q", childEnv, spec)
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
		rss, err := procfs.KiB("/proc/self/status", "VmRSS:")
		if err != nil {
			return err
		}
		ks, err := procfs.KiB("/proc/meminfo", "KernelStack:")
		if err != nil {
			return err
		}
		points = append(points, memPoint{alive, rss, ks})
	}
	close(release)
	return json.NewEncoder(w).Encode(points)
}

// runChild runs one memory child and returns its points.
func runChild(kind string, n int) ([]memPoint, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s:%d", childEnv, kind, n))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("memory child (%s, %d tasks): %v: %s", kind, n, err, strings.TrimSpace(errb.String()))
	}
	var points []memPoint
	if err := json.Unmarshal(out.Bytes(), &points); err != nil {
		return nil, fmt.Errorf("memory child output %q: %v", out.String(), err)
	}
	return points, nil
}

// slope is the least-squares slope of y against x.
func slope(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxy, sxx float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
	}
	return sxy / sxx
}

// memoryRows runs iters memory children of each kind and returns the rows
// for resident memory per task and kernel stacks per thread.
func memoryRows(n, iters int) (row, row, error) {
	per := map[string][]float64{}
	var kernel []float64
	for range iters {
		for _, kind := range []string{"thread", "goroutine"} {
			points, err := runChild(kind, n)
			if err != nil {
				return row{}, row{}, err
			}
			var x, rss, ks []float64
			for _, p := range points {
				x = append(x, float64(p.Tasks))
				rss = append(rss, p.RSSKiB)
				ks = append(ks, p.KernelStackKB)
			}
			per[kind] = append(per[kind], slope(x, rss))
			if kind == "thread" {
				kernel = append(kernel, slope(x, ks))
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
