package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/sourcegraph/conc/pool"

	"github.com/chansync/chansync/internal/procfs"
)

// loadConfig is one closed-loop run.
type loadConfig struct {
	addr     string
	conns    int
	duration time.Duration // used when lines == 0
	lines    int64         // total lines to send, spread over the connections
	size     int           // bytes per line, '\n' included
	pipeline int           // lines in flight per connection
	client   string        // clientGoroutine or clientThread
	progress chan<- int64  // receives line counts as they complete; may be nil
	// serverPID is the server's process, whose CPU time the run reads at
	// its start and its end (Linux only); 0 where it is not measured.
	serverPID int
}

// result is what a run measured. Latencies are in microseconds.
type result struct {
	Conns       int              `json:"conns"`
	Client      string           `json:"client"`
	Size        int              `json:"size"`
	Lines       int64            `json:"lines"`
	Seconds     float64          `json:"seconds"`
	LinesPerSec float64          `json:"lines_per_sec"`
	MBPerSec    float64          `json:"mb_per_sec"`
	P50         float64          `json:"p50_us"`
	P90         float64          `json:"p90_us"`
	P99         float64          `json:"p99_us"`
	P999        float64          `json:"p999_us"`
	Max         float64          `json:"max_us"`
	Errors      map[string]int64 `json:"errors"`
	// Served is how many connections got at least one echo, of the Active
	// ones that took part (a run of fewer lines than connections leaves
	// some out).
	Served int `json:"served"`
	Active int `json:"active"`
	// Interrupted is set when a signal cut the run short: the figures are
	// those of what ran until then.
	Interrupted bool `json:"interrupted,omitempty"`
	// The server's CPU time over the run, user and system, and divided by
	// the lines echoed, in µs, where it was measured (-server-pid, and
	// -compare on Linux); ServerPID is the process measured.
	ServerPID        int     `json:"server_pid,omitempty"`
	ServerCPUSeconds float64 `json:"server_cpu_seconds,omitempty"`
	ServerCPUPerLine float64 `json:"server_cpu_us_per_line,omitempty"`
	// ServerRunQueueWait is how long the server's threads waited over the
	// run, runnable, for a processor (procfs.RunQueueWait), summed over
	// its threads, in seconds; nil where it was not measured, and where
	// threads that exited during the run took more wait with them than
	// the others gained, which left the difference negative.
	ServerRunQueueWait *float64 `json:"server_runqueue_wait_seconds,omitempty"`
	// MachineBusyCores is how many of the machine's processors were busy
	// over the run, on average (procfs.MachineCPU.BusySince): the busy
	// CPU time of the whole machine, this load generator's included,
	// over the run's length, where the server was measured. It is nil
	// where no clock tick of the kernel's fell within the run, and on
	// systems other than Linux. MachineProcessors is how many processors
	// were online.
	MachineBusyCores  *float64 `json:"machine_busy_cores,omitempty"`
	MachineProcessors int      `json:"machine_processors,omitempty"`
	// Latency is the distribution the percentiles above are read from.
	Latency []latencyPoint `json:"-"`
}

// newHistogram records latencies from 1 µs to 100 s with 3 significant
// digits.
func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, 100_000_000, 3)
}

// connResult is one connection's share of a run.
type connResult struct {
	lines int64
	hist  *hdrhistogram.Histogram
	err   string // kind of the error that ended it, or ""
}

// runLoad drives cfg.conns connections in a closed loop and returns the
// measurements. Every echo is checked byte for byte. If ctx ends first,
// the connections stop where they are, lines still in flight are not
// counted as errors, and the result is marked as interrupted.
func runLoad(ctx context.Context, cfg loadConfig) result {
	p := pool.NewWithResults[connResult]().WithMaxGoroutines(cfg.conns)
	cpuStart := readCPU(cfg.serverPID)
	start := time.Now()
	end := start.Add(cfg.duration)
	active := 0
	for i := range cfg.conns {
		quota := int64(0)
		if cfg.lines > 0 {
			quota = cfg.lines / int64(cfg.conns)
			if int64(i) < cfg.lines%int64(cfg.conns) {
				quota++
			}
			if quota == 0 {
				continue
			}
		}
		active++
		p.Go(func() connResult { return driveConn(ctx, cfg, i, quota, end) })
	}
	results := p.Wait()
	elapsed := time.Since(start)
	cpuEnd := readCPU(cfg.serverPID)

	total := newHistogram()
	res := result{Conns: cfg.conns, Client: cmp.Or(cfg.client, clientGoroutine), Size: cfg.size, Active: active, Errors: map[string]int64{}, Interrupted: ctx.Err() != nil}
	for _, r := range results {
		res.Lines += r.lines
		total.Merge(r.hist)
		if r.err != "" {
			res.Errors[r.err]++
		}
		if r.lines > 0 {
			res.Served++
		}
	}
	res.Seconds = elapsed.Seconds()
	res.LinesPerSec = float64(res.Lines) / res.Seconds
	res.MBPerSec = float64(res.Lines*int64(cfg.size)) / res.Seconds / 1e6
	res.P50 = float64(total.ValueAtQuantile(50))
	res.P90 = float64(total.ValueAtQuantile(90))
	res.P99 = float64(total.ValueAtQuantile(99))
	res.P999 = float64(total.ValueAtQuantile(99.9))
	res.Max = float64(total.Max())
	res.Latency = latencyCurve(total)
	cpuStart.put(&res, cpuEnd)
	return res
}

// A cpuReading is the server's CPU time, how long its threads have
// waited for a processor, and the machine's CPU time, at the start or the
// end of a run.
type cpuReading struct {
	pid        int // 0 where it is not measured
	cpu        time.Duration
	err        error
	wait       time.Duration
	waitErr    error
	machine    procfs.MachineCPU
	machineErr error
}

// readCPU reads the figures of server pid, and the machine's; where pid
// is 0 it reads nothing.
func readCPU(pid int) cpuReading {
	r := cpuReading{pid: pid}
	if pid != 0 {
		r.cpu, r.err = procfs.CPUTime(pid)
		r.wait, r.waitErr = procfs.RunQueueWait(pid)
		r.machine, r.machineErr = procfs.MachineCPUTime()
	}
	return r
}

// put puts in res what the figures grew by between the readings r and
// end, the CPU time per line once res.Lines is counted. A failed reading
// is one of the run's errors.
func (r cpuReading) put(res *result, end cpuReading) {
	if r.pid == 0 {
		return
	}
	res.ServerPID = r.pid
	r.putWait(res, end.wait, end.waitErr)
	r.putMachine(res, end.machine, end.machineErr)
	if err := cmp.Or(r.err, end.err); err != nil {
		res.Errors["server CPU: "+err.Error()]++
		return
	}
	res.ServerCPUSeconds = (end.cpu - r.cpu).Seconds()
	if res.Lines > 0 {
		res.ServerCPUPerLine = res.ServerCPUSeconds * 1e6 / float64(res.Lines)
	}
}

// putWait puts in res how long the server's threads waited for a
// processor since the start, given the reading at the end: nothing where
// the kernel keeps no such figure, or where the difference came out
// negative (threads that exited took their wait with them); an error
// where a reading failed.
func (r cpuReading) putWait(res *result, end time.Duration, err error) {
	err = cmp.Or(r.waitErr, err)
	switch waited := end - r.wait; {
	case errors.Is(err, errors.ErrUnsupported):
	case err != nil:
		res.Errors["server run-queue wait: "+err.Error()]++
	case waited >= 0:
		seconds := waited.Seconds()
		res.ServerRunQueueWait = &seconds
	}
}

// putMachine puts in res how many of the machine's processors were busy
// since the start, given the reading at the end: nothing on a system
// where it cannot be read, or where no clock tick fell in between (a run
// of a few milliseconds); an error where a reading failed or the two do
// not fit together.
func (r cpuReading) putMachine(res *result, end procfs.MachineCPU, err error) {
	err = cmp.Or(r.machineErr, err)
	var busy float64
	if err == nil {
		busy, err = end.BusySince(r.machine)
	}
	switch {
	case errors.Is(err, errors.ErrUnsupported), errors.Is(err, procfs.ErrNoTick):
	case err != nil:
		res.Errors["machine CPU: "+err.Error()]++
	default:
		res.MachineBusyCores = &busy
		res.MachineProcessors = end.Processors
	}
}

// line returns the seq-th line of connection id in buf (whose capacity is
// the line size): letters shifted by the connection and the sequence number,
// then '\n', so that a crossed, shifted or repeated echo is caught.
func line(buf []byte, id int, seq int64) []byte {
	buf = buf[:cap(buf)]
	shift := int64(id)*7 + seq
	for i := range len(buf) - 1 {
		buf[i] = 'a' + byte((shift+int64(i))%26)
	}
	buf[len(buf)-1] = '\n'
	return buf
}

// driveConn runs one connection: it keeps cfg.pipeline lines in flight,
// reads each echo whole and compares it with what was sent, until its quota
// of lines is done, the run's end has come or ctx has ended.
func driveConn(ctx context.Context, cfg loadConfig, id int, quota int64, end time.Time) connResult {
	r := connResult{hist: newHistogram()}
	if cfg.client == clientThread {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	// over reports whether the run is over, so that a wait it cut short is
	// not an error.
	over := func() bool {
		return ctx.Err() != nil || (quota == 0 && !time.Now().Before(end))
	}
	c, err := dial(ctx, cfg, quota, end)
	if err != nil {
		if ctx.Err() == nil && !(over() && errors.Is(err, os.ErrDeadlineExceeded)) {
			r.err = "dial: " + errKind(err)
		}
		return r
	}
	defer c.Close()
	size := cfg.size
	want := make([]byte, 0, size)
	got := make([]byte, size)
	sentAt := make([]time.Time, cfg.pipeline) // ring of send times
	var sent, done int64
	var unreported int64
	more := func() bool {
		if ctx.Err() != nil {
			return false
		}
		if quota > 0 {
			return sent < quota
		}
		return time.Now().Before(end)
	}
	send := func() error {
		sentAt[sent%int64(cfg.pipeline)] = time.Now()
		_, err := c.Write(line(want[:0:size], id, sent))
		sent++
		if err != nil && over() && errors.Is(err, os.ErrDeadlineExceeded) {
			return errRunOver // a write still blocked when the run ended
		}
		return err
	}
	for sent < int64(cfg.pipeline) && more() {
		if err := send(); err != nil {
			if err != errRunOver {
				r.err = "write: " + errKind(err)
			}
			return r
		}
	}
	for done < sent {
		if _, err := io.ReadFull(c, got); err != nil {
			if over() && errors.Is(err, os.ErrDeadlineExceeded) {
				break // the run is over; lines still in flight are not errors
			}
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				r.err = "short read: " + shortRead(got)
			} else {
				r.err = "read: " + errKind(err)
			}
			break
		}
		lat := time.Since(sentAt[done%int64(cfg.pipeline)])
		if !bytes.Equal(got, line(want[:0:size], id, done)) {
			r.err = "mismatch"
			break
		}
		r.hist.RecordValue(max(1, lat.Microseconds()))
		done++
		r.lines++
		unreported++
		if cfg.progress != nil && unreported >= 256 {
			select {
			case cfg.progress <- unreported:
				unreported = 0
			default:
			}
		}
		if more() {
			if err := send(); err != nil {
				if err != errRunOver {
					r.err = "write: " + errKind(err)
				}
				break
			}
		}
	}
	if cfg.progress != nil && unreported > 0 {
		cfg.progress <- unreported
	}
	return r
}

var errRunOver = errors.New("the run is over")
