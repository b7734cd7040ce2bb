//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chansync/chansync/internal/baseline"
	"github.com/chansync/chansync/internal/procfs"
)

// -server-pid reads the CPU time of the server it names: a server child
// under load used some for every line, one left idle next to it far less.
// It reads how long the server's threads waited for a processor too: a
// figure that the server's own readings, taken just before and after the
// run, hold between them. And it reads how busy the machine's processors
// were: at most all of them, and at least for the server's CPU time
// (half of it, for the kernel's sampling of busy time once a clock tick).
func TestServerPIDMeasuresTheServer(t *testing.T) {
	ctx := context.Background()
	loaded, addr, err := startServer(ctx, "goroutine")
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Stop(stopGrace)
	idle, _, err := startServer(ctx, "goroutine")
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Stop(stopGrace)

	measure := func(pid int) result {
		t.Helper()
		var out, errb bytes.Buffer
		args := []string{"-addr", addr, "-server-pid", strconv.Itoa(pid), "-c", "4", "-n", "4000", "-json"}
		before, err := procfs.RunQueueWait(pid)
		if err != nil {
			t.Fatal(err)
		}
		if code := run(args, &out, &errb, noInterrupts); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, errb.String())
		}
		after, err := procfs.RunQueueWait(pid)
		if err != nil {
			t.Fatal(err)
		}
		var res result
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("%v: %s", err, out.String())
		}
		if res.ServerPID != pid || res.Lines != 4000 || len(res.Errors) != 0 {
			t.Fatalf("result %+v; want the server pid %d, 4000 lines, no errors", res, pid)
		}
		// A goroutine-mode server's threads never exit, so the run's wait
		// is at most what the server's grew by between readings around it.
		if !strings.Contains(out.String(), `"server_runqueue_wait_seconds": `) || res.ServerRunQueueWait == nil {
			t.Fatalf("no server_runqueue_wait_seconds in %s", out.String())
		}
		if waited := *res.ServerRunQueueWait; waited < 0 || waited > (after-before).Seconds() {
			t.Errorf("the server waited %vs for a processor over the run, but %v between readings around the run", waited, after-before)
		}
		if !strings.Contains(out.String(), `"machine_busy_cores": `) || res.MachineBusyCores == nil {
			t.Fatalf("no machine_busy_cores in %s", out.String())
		}
		if busy, n := *res.MachineBusyCores, res.MachineProcessors; n < runtime.NumCPU() || busy > float64(n) || busy*res.Seconds < res.ServerCPUSeconds/2 {
			t.Errorf("the machine's %d processors were busy %v processors' worth of %vs, in which the server used %vs", n, busy, res.Seconds, res.ServerCPUSeconds)
		}
		return res
	}
	res := measure(loaded.PID())
	if res.ServerCPUSeconds <= 0 || res.ServerCPUPerLine <= 0 {
		t.Fatalf("server CPU %vs, %vµs per line; want both positive", res.ServerCPUSeconds, res.ServerCPUPerLine)
	}
	if perLine := res.ServerCPUSeconds * 1e6 / float64(res.Lines); math.Abs(perLine-res.ServerCPUPerLine) > 1e-9*perLine {
		t.Errorf("%vµs per line, but %vs over %d lines", res.ServerCPUPerLine, res.ServerCPUSeconds, res.Lines)
	}
	if other := measure(idle.PID()); other.ServerCPUSeconds >= res.ServerCPUSeconds {
		t.Errorf("the idle server used %vs over the run, the loaded one %vs", other.ServerCPUSeconds, res.ServerCPUSeconds)
	}

	var out, errb bytes.Buffer
	if code := run([]string{"-addr", addr, "-server-pid", strconv.Itoa(loaded.PID()), "-c", "2", "-n", "8000"}, &out, &errb, noInterrupts); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`\nserver CPU \(pid ` + strconv.Itoa(loaded.PID()) + `\): [0-9.]+s, [0-9.]+µs per line; its threads waited [0-9.]+s for a processor \([0-9.]+s per second of the run\)\n`),
		regexp.MustCompile(`\nmachine: its [1-9][0-9]* processors were busy [0-9]+\.[0-9]{2} processors' worth of the run \([0-9]+%\), this load generator included\n`),
	} {
		if !want.MatchString(out.String()) {
			t.Errorf("report lacks a line matching %s:\n%s", want, out.String())
		}
	}
}

// A -server-pid that names no process is refused in one line, before any
// load, with exit status 1, as an address where nothing listens is.
func TestServerPIDOfNoProcess(t *testing.T) {
	ln := listen(t)
	go baseline.ServeEcho(ln)
	defer ln.Close()
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Fatal(err)
	}
	pidMax, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(pidMax + 1) // above any pid the kernel gives out
	var out, errb bytes.Buffer
	code := run([]string{"-addr", ln.Addr().String(), "-server-pid", pid, "-n", "10"}, &out, &errb, noInterrupts)
	if want := "echoload: -server-pid: process " + pid + ": no such process\n"; code != 1 || out.Len() != 0 || errb.String() != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1, nothing, %q", code, out.String(), errb.String(), want)
	}
}

// A server that is gone by the end of a run leaves the run without a CPU
// figure, and with an error saying why.
func TestServerCPUOfAServerThatIsGone(t *testing.T) {
	p, _, err := startServer(context.Background(), "goroutine")
	if err != nil {
		t.Fatal(err)
	}
	pid := p.PID()
	start := readCPU(pid)
	p.Stop(stopGrace)
	res := result{Lines: 10, Errors: map[string]int64{}}
	start.put(&res, readCPU(pid))
	if want := "server CPU: process " + strconv.Itoa(pid) + ": no such process"; res.Errors[want] != 1 || res.ServerCPUSeconds != 0 || res.ServerCPUPerLine != 0 {
		t.Errorf("result %+v; want the error %q and no CPU figure", res, want)
	}
	if want := "server run-queue wait: process " + strconv.Itoa(pid) + ": no such process"; res.Errors[want] != 1 || res.ServerRunQueueWait != nil || len(res.Errors) != 2 {
		t.Errorf("result %+v; want the error %q too, and no wait", res, want)
	}
}

// The wait over a run is the difference of its two readings, left out
// where the kernel keeps none or where it fell (threads exited); a
// failed reading is an error.
func TestServerWaitFromItsReadings(t *testing.T) {
	failed := fmt.Errorf("process 7: %w", syscall.ESRCH)
	unsupported := fmt.Errorf("this kernel keeps no run-queue waits: %w", errors.ErrUnsupported)
	for _, tc := range []struct {
		name             string
		start, end       time.Duration
		startErr, endErr error
		want             float64 // -1: no figure
		wantErr          string
	}{
		{name: "grown", start: 2 * time.Second, end: 2500 * time.Millisecond, want: 0.5},
		{name: "unchanged", start: time.Second, end: time.Second, want: 0},
		{name: "fallen", start: 3 * time.Second, end: time.Second, want: -1},
		{name: "unsupported", startErr: unsupported, endErr: unsupported, want: -1},
		{name: "failed at the start", startErr: failed, end: time.Second, want: -1, wantErr: "server run-queue wait: process 7: no such process"},
		{name: "failed at the end", start: time.Second, endErr: failed, want: -1, wantErr: "server run-queue wait: process 7: no such process"},
	} {
		res := result{Errors: map[string]int64{}}
		cpuReading{pid: 7, wait: tc.start, waitErr: tc.startErr}.putWait(&res, tc.end, tc.endErr)
		switch {
		case tc.want < 0 && res.ServerRunQueueWait != nil:
			t.Errorf("%s: wait %v; want none", tc.name, *res.ServerRunQueueWait)
		case tc.want >= 0 && (res.ServerRunQueueWait == nil || *res.ServerRunQueueWait != tc.want):
			t.Errorf("%s: wait %v; want %v", tc.name, res.ServerRunQueueWait, tc.want)
		}
		checkErrors(t, tc.name, res.Errors, tc.wantErr)
	}
}

// checkErrors checks that a run's errors are the one error want, or none
// if want is "".
func checkErrors(t *testing.T, name string, errs map[string]int64, want string) {
	t.Helper()
	if want == "" {
		if len(errs) != 0 {
			t.Errorf("%s: errors %v; want none", name, errs)
		}
		return
	}
	if wantErrs := map[string]int64{want: 1}; !maps.Equal(errs, wantErrs) {
		t.Errorf("%s: errors %v; want %v", name, errs, wantErrs)
	}
}

// The machine's busy processors over a run come from its two readings:
// none where the system cannot read them or no clock tick fell between
// them; an error where a reading failed or the two do not fit together.
func TestMachineBusyFromItsReadings(t *testing.T) {
	const s = time.Second
	two := procfs.MachineCPU{Busy: 10 * s, Total: 40 * s, Processors: 2}
	failed := errors.New("/proc/stat: permission denied")
	unsupported := fmt.Errorf("reading the machine's CPU time needs Linux: %w", errors.ErrUnsupported)
	for _, tc := range []struct {
		name             string
		start, end       procfs.MachineCPU
		startErr, endErr error
		want             float64 // -1: no figure
		wantErr          string
	}{
		{name: "busy", start: two, end: procfs.MachineCPU{Busy: 13 * s, Total: 44 * s, Processors: 2}, want: 1.5},
		{name: "idle", start: two, end: procfs.MachineCPU{Busy: 10 * s, Total: 42 * s, Processors: 2}, want: 0},
		{name: "no tick", start: two, end: two, want: -1},
		{name: "unsupported", startErr: unsupported, endErr: unsupported, want: -1},
		{name: "failed at the start", startErr: failed, end: two, want: -1, wantErr: "machine CPU: /proc/stat: permission denied"},
		{name: "failed at the end", start: two, endErr: failed, want: -1, wantErr: "machine CPU: /proc/stat: permission denied"},
		{name: "a processor more", start: two, end: procfs.MachineCPU{Busy: 11 * s, Total: 43 * s, Processors: 3}, want: -1, wantErr: "machine CPU: the processors online went from 2 to 3 between the readings"},
	} {
		res := result{Errors: map[string]int64{}}
		cpuReading{pid: 7, machine: tc.start, machineErr: tc.startErr}.putMachine(&res, tc.end, tc.endErr)
		switch {
		case tc.want < 0 && (res.MachineBusyCores != nil || res.MachineProcessors != 0):
			t.Errorf("%s: %v of %d processors busy; want no figure", tc.name, *res.MachineBusyCores, res.MachineProcessors)
		case tc.want >= 0 && (res.MachineBusyCores == nil || *res.MachineBusyCores != tc.want || res.MachineProcessors != 2):
			t.Errorf("%s: %v of %d processors busy; want %v of 2", tc.name, res.MachineBusyCores, res.MachineProcessors, tc.want)
		}
		checkErrors(t, tc.name, res.Errors, tc.wantErr)
	}
}

// -compare's runs measure each server child's CPU, and how long its
// threads waited for a processor where the kernel keeps that, which the
// tables show per second of the run.
func TestLoadFreshMeasuresTheServer(t *testing.T) {
	_, err := procfs.RunQueueWait(procfs.Self)
	waitKept := !errors.Is(err, errors.ErrUnsupported)
	for _, kind := range []string{"baseline", "goroutine"} {
		// Enough lines for some clock ticks to fall within the run, which
		// the machine's figure needs.
		res, err := loadFresh(kind, loadConfig{conns: 2, lines: 8000, size: 64, pipeline: 1}, false)
		if err != nil {
			t.Fatal(err)
		}
		if res.Lines != 8000 || len(res.Errors) != 0 || res.ServerPID == 0 || res.ServerCPUPerLine <= 0 || res.MachineBusyCores == nil {
			t.Errorf("%s: %+v; want 8000 lines, no errors, the server's CPU per line, the machine's busy processors", kind, res)
		}
		// A Go server's threads live as long as its process, so its wait
		// never falls.
		if measured := res.ServerRunQueueWait != nil; measured != waitKept {
			t.Errorf("%s: run-queue wait measured: %v; the kernel keeps it: %v", kind, measured, waitKept)
		} else if waitKept {
			if want := fmt.Sprintf("%.2f s/s", *res.ServerRunQueueWait/res.Seconds); waitCell(addWait(nil, res)) != want {
				t.Errorf("%s: wait cell %q; want %q", kind, waitCell(addWait(nil, res)), want)
			}
		}
	}
}
