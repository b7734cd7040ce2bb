package main

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/chansync/chansync/cmd/internal/child"
	"github.com/chansync/chansync/inbox"
	"github.com/chansync/chansync/internal/procfs"
)

// measuringChild measures one style in a fresh process (see runChild for
// its spec), so that no style runs on memory another one freed or a heap
// another one grew.
var measuringChild = child.Role{Env: "INBOX_CHILD", Prog: "inbox", Main: child.Measure(measureInChild)}

// memorySteps is how many times the memory child adds n/memorySteps
// operations and reads its resident set.
const memorySteps = 8

// A row is one style's measurement, as -json prints it.
type row struct {
	Style          string  `json:"style"`
	Ops            int     `json:"ops"`
	BytesPerOp     float64 `json:"bytes_per_op"`
	AllocsPerOp    float64 `json:"allocs_per_op"`
	NsPerOp        float64 `json:"ns_per_op"`
	PeakGoroutines int     `json:"peak_goroutines"`
	LatencyMs      float64 `json:"latency_ms"`
	Failures       int     `json:"failures"`
}

// timing is what the timed child reports.
type timing struct {
	NsPerOp        float64 `json:"ns_per_op"`
	AllocsPerOp    float64 `json:"allocs_per_op"`
	PeakGoroutines int     `json:"peak_goroutines"`
	Failures       int     `json:"failures"`
}

// A memPoint is the child's resident set with Ops operations in flight.
type memPoint struct {
	Ops    int     `json:"ops"`
	RSSKiB float64 `json:"rss_kib"`
}

// measure runs both children for one style and returns its row.
func measure(style string, n int, latency time.Duration) (row, error) {
	var t timing
	if err := runChild(&t, "timed", style, n, latency); err != nil {
		return row{}, err
	}
	var points []memPoint
	if err := runChild(&points, "memory", style, n, 0); err != nil {
		return row{}, err
	}
	x := make([]float64, len(points))
	y := make([]float64, len(points))
	for i, p := range points {
		x[i], y[i] = float64(p.Ops), p.RSSKiB*1024
	}
	return row{
		Style:          style,
		Ops:            n,
		BytesPerOp:     procfs.Slope(x, y),
		AllocsPerOp:    t.AllocsPerOp,
		NsPerOp:        t.NsPerOp,
		PeakGoroutines: t.PeakGoroutines,
		LatencyMs:      float64(latency) / float64(time.Millisecond),
		Failures:       t.Failures,
	}, nil
}

// runChild runs a measuring child of the given kind (timed or memory) and
// decodes what it measured into out.
func runChild(out any, kind, style string, n int, latency time.Duration) error {
	return measuringChild.Run(context.Background(), fmt.Sprintf("%s:%s:%d:%d", kind, style, n, latency), out)
}

// measureInChild is the measuring child's measurement: a timing or the
// memory points, as its spec's kind says.
func measureInChild(spec string) (any, error) {
	parts := strings.Split(spec, ":")
	if len(parts) != 4 {
		return nil, fmt.Errorf("bad measuring child spec %q", spec)
	}
	kind, style := parts[0], parts[1]
	n, err1 := strconv.Atoi(parts[2])
	lat, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || n < 1 || !validStyle(style) {
		return nil, fmt.Errorf("bad measuring child spec %q", spec)
	}
	switch kind {
	case "timed":
		return timedChild(style, n, time.Duration(lat))
	case "memory":
		return memoryChild(style, n)
	}
	return nil, fmt.Errorf("bad measuring child spec %q", spec)
}

func validStyle(s string) bool {
	for _, v := range styles {
		if s == v {
			return true
		}
	}
	return false
}

// timedChild starts n operations at once, each request taking latency, and
// waits for all of them: the time from the first start to the last
// completion per operation, the heap allocations per operation, and the
// most goroutines seen alive.
func timedChild(style string, n int, latency time.Duration) (timing, error) {
	rt, err := newEnv(style)
	if err != nil {
		return timing{}, err
	}
	defer rt.close()
	w := newWorkload(n, latency, rt.timers())
	run := w.starter(style, rt)

	peak, stopSampler := sampleGoroutines()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for i := range n {
		run.start(i)
	}
	peak.observe()
	failures, err := run.wait(context.Background())
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	stopSampler()
	if err != nil {
		return timing{}, err
	}
	return timing{
		NsPerOp:        float64(elapsed.Nanoseconds()) / float64(n),
		AllocsPerOp:    float64(after.Mallocs-before.Mallocs) / float64(n),
		PeakGoroutines: peak.max(),
		Failures:       failures,
	}, nil
}

// memoryChild grows to n operations in flight in memorySteps steps and
// reads the resident set at each. Its requests never complete (their
// latency is an hour), so every operation started is still waiting, in
// its first request, when the resident set is read; each step waits until
// the operations it started have sent that request.
func memoryChild(style string, n int) ([]memPoint, error) {
	rt, err := newEnv(style)
	if err != nil {
		return nil, err
	}
	w := newWorkload(n, time.Hour, rt.timers())
	sent := make(chan struct{}, n)
	w.svc.Trace = func(e inbox.Event) {
		if e.Kind == inbox.Sent {
			sent <- struct{}{}
		}
	}
	run := w.starter(style, rt)
	var points []memPoint
	alive := 0
	for step := 0; step <= memorySteps; step++ {
		started := 0
		for ; alive < n*step/memorySteps; alive++ {
			run.start(alive)
			started++
		}
		for range started {
			<-sent
		}
		runtime.GC()
		rss, err := procfs.RSSKiB(procfs.Self)
		if err != nil {
			return nil, err
		}
		points = append(points, memPoint{Ops: alive, RSSKiB: rss})
	}
	// The operations are left waiting: the process exits with them.
	return points, nil
}

// A goroutineSampler records the most goroutines alive at once.
type goroutineSampler struct {
	lock chan struct{}
	peak int
}

func (s *goroutineSampler) observe() {
	n := runtime.NumGoroutine()
	s.lock <- struct{}{}
	s.peak = max(s.peak, n)
	<-s.lock
}

func (s *goroutineSampler) max() int {
	s.lock <- struct{}{}
	defer func() { <-s.lock }()
	return s.peak
}

// sampleGoroutines samples the goroutine count every millisecond until
// stop is called.
func sampleGoroutines() (*goroutineSampler, func()) {
	s := &goroutineSampler{lock: make(chan struct{}, 1)}
	quit, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			s.observe()
			select {
			case <-t.C:
			case <-quit:
				return
			}
		}
	}()
	return s, func() { close(quit); <-exited }
}
