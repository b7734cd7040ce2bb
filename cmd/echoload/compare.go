package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/chansync/chansync/echo"
	"github.com/chansync/chansync/internal/baseline"
	"github.com/chansync/chansync/internal/procfs"
)

// serverEnv, when set to a server kind, makes the program a server child
// for -compare: it listens on a free loopback port, prints "listening ADDR",
// and serves until its standard input closes.
const serverEnv = "ECHOLOAD_SERVER"

var serverKinds = []string{"baseline", "goroutine", "thread", "sequential"}

func serveChild(kind string, stdin io.Reader, stdout, stderr io.Writer) int {
	if !slices.Contains(serverKinds, kind) {
		fmt.Fprintf(stderr, "echoload: unknown server kind %q\n", kind)
		return 2
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(stderr, "echoload: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "listening %s\n", ln.Addr())
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		io.Copy(io.Discard, stdin) // until the parent closes it or dies
		cancel()
	}()
	if kind == "baseline" {
		go baseline.ServeEcho(ln)
		<-ctx.Done()
		return 0
	}
	srv, err := echo.NewServer(echo.Config{
		Mode:     echo.Mode(kind),
		MaxConns: 30_000,
		Logger:   slog.New(slog.DiscardHandler), // the baseline does not log either
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	srv.Serve(ctx, ln)
	return 0
}

// child is a server running in a child process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
}

func startChild(kind string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), serverEnv+"="+kind)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	first, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(first), "listening ")
	if err != nil || !ok {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("%s server did not start: %q %v", kind, first, err)
	}
	return &child{cmd: cmd, stdin: stdin, addr: addr}, nil
}

// rssKiB is the child's resident set size.
func (c *child) rssKiB() (float64, error) {
	return procfs.KiB(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid), "VmRSS:")
}

func (c *child) stop() {
	c.stdin.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// loadFresh starts a fresh server of kind, runs cfg against it (once
// first as a warm-up, if warmUp), and stops it. cfg.addr is filled in.
func loadFresh(kind string, cfg loadConfig, warmUp bool) (result, error) {
	c, err := startChild(kind)
	if err != nil {
		return result{}, err
	}
	defer c.stop()
	cfg.addr = c.addr
	if warmUp {
		if warm := runLoad(cfg); len(warm.Errors) > 0 {
			return warm, nil
		}
	}
	return runLoad(cfg), nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func errText(errs map[string]int64) string {
	if len(errs) == 0 {
		return "none"
	}
	var parts []string
	for k, v := range errs {
		parts = append(parts, fmt.Sprintf("%d %s", v, k))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// compared are the servers the comparison's first table sets side by side,
// by kind, with the names its figures give them.
var compared = []struct{ kind, name string }{
	{"baseline", "baseline"},
	{"goroutine", "chansync (goroutine mode)"},
}

// runCompare runs the whole comparison on loopback and prints its tables,
// and draws its figures if plots is not nil.
func runCompare(stdout, stderr io.Writer, d time.Duration, reps int, plots *figures) int {
	const idleConns = 10_000
	fmt.Fprintf(stdout, "Line echo servers on loopback, each in its own process, started fresh for every run; %v per run.\n", d)
	fmt.Fprintf(stdout, "baseline: one goroutine per connection, bufio.Reader + Write, no limits, no logging. chansync: echo.Server, logging off.\n\n")

	// 1. chansync's goroutine mode against the baseline, alternating, median of reps.
	fmt.Fprintf(stdout, "chansync (goroutine mode) against the baseline, median of %d runs each, in alternating order:\n\n", reps)
	fmt.Fprintln(stdout, "| conns | line | baseline lines/s | chansync lines/s | ratio | baseline p99 | chansync p99 | ratio | errors (baseline; chansync) |")
	fmt.Fprintln(stdout, "|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	failed := false
	var serverPoints []loadPoint
	for _, size := range []int{64, 4096} {
		for _, conns := range []int{1, 50, 1000} {
			n := len(compared)
			rate, p99 := make([][]float64, n), make([][]float64, n)
			curves := make([][][]latencyPoint, n)
			errs := make([]map[string]int64, n)
			for i := range errs {
				errs[i] = map[string]int64{}
			}
			for rep := range reps {
				// Rotate which server goes first, so none always runs
				// right after another.
				for k := range n {
					i := (k + rep) % n
					r, err := loadFresh(compared[i].kind, loadConfig{conns: conns, duration: d, size: size, pipeline: 1}, false)
					if err != nil {
						fmt.Fprintf(stderr, "echoload: %v\n", err)
						return 1
					}
					rate[i] = append(rate[i], r.LinesPerSec)
					p99[i] = append(p99[i], r.P99)
					curves[i] = append(curves[i], r.Latency)
					for k, v := range r.Errors {
						errs[i][k] += v
						failed = true
					}
				}
			}
			pt := loadPoint{Conns: conns, Size: size}
			for i, c := range compared {
				pt.Series = append(pt.Series, series{Name: c.name, LinesPerSec: median(rate[i]), Latency: medianCurve(curves[i])})
			}
			serverPoints = append(serverPoints, pt)
			b, c := median(rate[0]), median(rate[1])
			bp, cp := median(p99[0]), median(p99[1])
			fmt.Fprintf(stdout, "| %d | %d B | %.0f | %.0f | %.2fx | %s | %s | %.2fx | %s; %s |\n",
				conns, size, b, c, c/b, usText(bp), usText(cp), cp/bp, errText(errs[0]), errText(errs[1]))
		}
	}

	// 2. The tutorial's three versions.
	fmt.Fprintf(stdout, "\nThe tutorial's three versions, 64-byte lines, one run each:\n\n")
	fmt.Fprintln(stdout, "| conns | goroutine lines/s | thread lines/s | sequential lines/s | sequential: connections served |")
	fmt.Fprintln(stdout, "|---:|---:|---:|---:|---:|")
	var modePoints []loadPoint
	for _, conns := range []int{1, 50, 1000} {
		var cells []string
		served := 0
		pt := loadPoint{Conns: conns, Size: 64}
		for _, kind := range []string{"goroutine", "thread", "sequential"} {
			r, err := loadFresh(kind, loadConfig{conns: conns, duration: d, size: 64, pipeline: 1}, false)
			if err != nil {
				fmt.Fprintf(stderr, "echoload: %v\n", err)
				return 1
			}
			cells = append(cells, fmt.Sprintf("%.0f", r.LinesPerSec))
			served = r.Served
			sr := series{Name: kind, LinesPerSec: r.LinesPerSec, Latency: r.Latency}
			if r.Served < conns {
				sr.Note = fmt.Sprintf("(%d of %d served)", r.Served, conns)
			}
			pt.Series = append(pt.Series, sr)
		}
		modePoints = append(modePoints, pt)
		fmt.Fprintf(stdout, "| %d | %s | %d of %d |\n", conns, strings.Join(cells, " | "), served, conns)
	}
	if plots != nil {
		// Drawn now rather than at the end, so that a failure in what
		// follows does not lose them.
		if err := plots.compare(serverPoints, modePoints, d, reps); err != nil {
			fmt.Fprintf(stderr, "echoload: %v\n", err)
			failed = true
		}
	}

	// 3. Memory per idle connection, and 10,000 connections under load.
	fmt.Fprintf(stdout, "\nMemory per idle connection: server RSS with %d idle connections minus RSS with none:\n\n", idleConns)
	if err := checkFDs(idleConns); err != nil {
		fmt.Fprintf(stdout, "(skipped: %v)\n", err)
	} else {
		fmt.Fprintln(stdout, "| server | RSS, no connections | RSS, 10,000 idle | per connection | errors |")
		fmt.Fprintln(stdout, "|---|---:|---:|---:|---|")
		for _, kind := range []string{"baseline", "goroutine", "thread"} {
			c, err := startChild(kind)
			if err != nil {
				fmt.Fprintf(stderr, "echoload: %v\n", err)
				return 1
			}
			before, _ := c.rssKiB()
			conns, errs := openIdle(c.addr, idleConns)
			time.Sleep(time.Second) // let the server settle after the burst
			after, _ := c.rssKiB()
			closeAll(conns)
			c.stop()
			if len(errs) > 0 {
				failed = true
			}
			fmt.Fprintf(stdout, "| %s | %.0f KiB | %.0f KiB | %.2f KiB | %s |\n", kind, before, after, (after-before)/float64(len(conns)), errText(errs))
		}
		fmt.Fprintf(stdout, "\n%d connections at once, 10 lines of 64 bytes each, byte-exact checks, after one warm-up run:\n\n", idleConns)
		fmt.Fprintln(stdout, "| server | lines/s | p99 | connections served | errors |")
		fmt.Fprintln(stdout, "|---|---:|---:|---:|---|")
		for _, kind := range []string{"baseline", "goroutine"} {
			// By count, not time: every connection must get all its echoes.
			r, err := loadFresh(kind, loadConfig{conns: idleConns, lines: 10 * idleConns, size: 64, pipeline: 1}, true)
			if err != nil {
				fmt.Fprintf(stderr, "echoload: %v\n", err)
				return 1
			}
			if len(r.Errors) > 0 {
				failed = true
			}
			fmt.Fprintf(stdout, "| %s | %.0f | %s | %d | %s |\n", kind, r.LinesPerSec, usText(r.P99), r.Served, errText(r.Errors))
		}
	}
	if failed {
		return 1
	}
	return 0
}
