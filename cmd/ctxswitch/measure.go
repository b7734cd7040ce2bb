package main

import (
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/chansync/chansync/cmd/internal/progress"
)

// A stat is the mean and standard deviation of repeated measurements.
type stat struct {
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
}

func summarize(xs []float64) stat {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	sd := 0.0
	if len(xs) > 1 {
		sd = math.Sqrt(ss / float64(len(xs)-1))
	}
	return stat{mean, sd}
}

// A row is one line of the table.
type row struct {
	Metric      string  `json:"metric"`
	Unit        string  `json:"unit"`
	Threads     stat    `json:"threads"`
	Goroutines  *stat   `json:"goroutines,omitempty"` // nil where it does not apply
	Improvement float64 `json:"improvement,omitempty"`
}

type results struct {
	Date       string `json:"date"`
	GoVersion  string `json:"go_version"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUs       int    `json:"cpus"`
	Tasks      int    `json:"tasks"`
	Iters      int    `json:"iters"`
	Rows       []row  `json:"rows"`
	// ThreadsAlive is the number of OS threads of the process (counted in
	// /proc/self/task) while the thread side had all its tasks alive and
	// blocked. More than Tasks proves each task had a thread of its own.
	ThreadsAlive int      `json:"threads_alive"`
	Notes        []string `json:"notes,omitempty"`
}

// repeat runs f once to warm up, then iters times, and summarizes. It
// counts each run on meter.
func repeat(iters int, meter *progress.Meter, f func() (float64, error)) (stat, error) {
	if _, err := f(); err != nil {
		return stat{}, err
	}
	meter.Add(1)
	xs := make([]float64, 0, iters)
	for range iters {
		x, err := f()
		if err != nil {
			return stat{}, err
		}
		meter.Add(1)
		xs = append(xs, x)
	}
	return summarize(xs), nil
}

// timedMetrics is the number of metrics measure times on both sides (the
// steps of its loop).
const timedMetrics = 4

// measureRuns is how many runs measure makes, the total of its progress
// bar: a memory child of each kind per iteration, then each timed metric's
// warm-up and iterations on both sides.
func measureRuns(opt options) int {
	return 2*opt.iters + timedMetrics*2*(opt.iters+1)
}

// measure runs every measurement of opt, counting each run on meter
// (which may be nil).
func measure(opt options, meter *progress.Meter) (*results, error) {
	res := &results{
		Date:       time.Now().UTC().Format("2006-01-02"),
		GoVersion:  runtime.Version(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		CPUs:       runtime.NumCPU(),
		Tasks:      opt.tasks,
		Iters:      opt.iters,
	}
	n := opt.tasks
	addRow := func(metric, unit string, threads, goroutines func() (float64, error)) error {
		meter.Describe(metric + ", threads")
		t, err := repeat(opt.iters, meter, threads)
		if err != nil {
			return fmt.Errorf("%s, threads: %w", metric, err)
		}
		r := row{Metric: metric, Unit: unit, Threads: t}
		if goroutines != nil {
			meter.Describe(metric + ", goroutines")
			g, err := repeat(opt.iters, meter, goroutines)
			if err != nil {
				return fmt.Errorf("%s, goroutines: %w", metric, err)
			}
			r.Goroutines = &g
			if g.Mean > 0 {
				r.Improvement = t.Mean / g.Mean
			}
		}
		res.Rows = append(res.Rows, r)
		return nil
	}

	// Memory first, in fresh child processes, so nothing freed by another
	// measurement is reused.
	meter.Describe("memory, in child processes")
	mem, kernel, err := memoryRows(n, opt.iters, meter)
	if err != nil {
		return nil, err
	}
	res.Rows = append(res.Rows, mem, kernel)

	var threadsAlive int
	steps := []struct {
		metric, unit       string
		threads, goroutine func() (float64, error)
	}{
		{"creation, per task (spawn until all running)", "µs",
			func() (float64, error) {
				d, threads, err := spawnAll(n, true)
				threadsAlive = threads
				return us(d) / float64(n), err
			},
			func() (float64, error) {
				d, _, err := spawnAll(n, false)
				return us(d) / float64(n), err
			}},
		{"creation, spawn to first instruction", "µs",
			func() (float64, error) { d, err := spawnLatency(n, true); return us(d), err },
			func() (float64, error) { d, err := spawnLatency(n, false); return us(d), err }},
		{"context switch, channel", "µs",
			func() (float64, error) { d, err := brigadeChannels(n, true, hops(opt)); return us(d), err },
			func() (float64, error) { d, err := brigadeChannels(n, false, hops(opt)); return us(d), err }},
		{"context switch, socketpair", "µs",
			func() (float64, error) { d, err := brigadeSockets(n, true, hops(opt)/4); return us(d), err },
			func() (float64, error) { d, err := brigadeSockets(n, false, hops(opt)/4); return us(d), err }},
	}
	for _, s := range steps {
		if err := addRow(s.metric, s.unit, s.threads, s.goroutine); err != nil {
			return nil, err
		}
	}
	res.ThreadsAlive = threadsAlive
	if threadsAlive <= n {
		return nil, fmt.Errorf("with %d thread tasks alive the process had only %d OS threads; it did not measure threads", n, threadsAlive)
	}
	return res, nil
}

// hops is how many token hops each brigade run makes in all.
func hops(opt options) int {
	if opt.tasks <= 100 {
		return 20_000
	}
	return 100_000
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
