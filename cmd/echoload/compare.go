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

	"github.com/chansync/chansync/cmd/internal/report"
	"github.com/chansync/chansync/echo"
	"github.com/chansync/chansync/internal/baseline"
	"github.com/chansync/chansync/internal/procfs"
)

// serverEnv, when set to a server kind, makes the program a server child
// for -compare: it listens on a free loopback port, prints "listening ADDR",
// and serves until its standard input closes.
const serverEnv = "ECHOLOAD_SERVER"

var serverKinds = []string{"baseline", "goroutine", "thread", "sequential", "reactor"}

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
	ctx := context.Background()
	if warmUp {
		if warm := runLoad(ctx, cfg); len(warm.Errors) > 0 {
			return warm, nil
		}
	}
	return runLoad(ctx, cfg), nil
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
// by kind, with the names its figures give them: the baseline first, then
// chansync's goroutine mode, then its reactor mode where it runs.
func compared() []struct{ kind, name string } {
	c := []struct{ kind, name string }{
		{"baseline", "baseline"},
		{"goroutine", "chansync (goroutine mode)"},
	}
	if reactorRuns() {
		c = append(c, struct{ kind, name string }{"reactor", "chansync (reactor mode)"})
	}
	return c
}

// reactorRuns reports whether echo's reactor mode runs on this system.
func reactorRuns() bool {
	_, err := echo.NewServer(echo.Config{Mode: echo.ModeReactor})
	return err == nil
}

// modeKinds are the tutorial's modes that the comparison's second table
// runs, reactor mode last where it runs.
func modeKinds() []string {
	kinds := []string{"goroutine", "thread", "sequential"}
	if reactorRuns() {
		kinds = append(kinds, "reactor")
	}
	return kinds
}

// kindsOf lists the servers' kinds.
func kindsOf(servers []struct{ kind, name string }) []string {
	var kinds []string
	for _, c := range servers {
		kinds = append(kinds, c.kind)
	}
	return kinds
}

// ratios writes each figure after the first against the one before it
// (goroutine mode against the baseline, reactor mode against goroutine
// mode), separated by " / ".
func ratios(xs []float64) string {
	var parts []string
	for i := 1; i < len(xs); i++ {
		parts = append(parts, fmt.Sprintf("%.2fx", xs[i]/xs[i-1]))
	}
	return strings.Join(parts, " / ")
}

// runCompare runs the whole comparison on loopback and prints its tables,
// draws its figures if plots is not nil, and writes the tables to rep's
// file if rep is not nil and the comparison ran to its end.
func runCompare(stdout, stderr io.Writer, d time.Duration, reps int, plots *figures, rep *report.Report) int {
	const idleConns = 10_000
	if rep != nil {
		stdout = rep.Tee(stdout)
	}
	servers := compared()
	fmt.Fprintf(stdout, "Line echo servers on loopback, each in its own process, started fresh for every run; %v per run.\n", d)
	fmt.Fprintf(stdout, "baseline: one goroutine per connection, bufio.Reader + Write, no limits, no logging. chansync: echo.Server, logging off.\n\n")

	// 1. chansync's modes against the baseline, alternating, median of reps.
	var names []string
	for _, c := range servers[1:] {
		names = append(names, c.kind+" mode")
	}
	fmt.Fprintf(stdout, "chansync (%s) against the baseline, median of %d runs each, in alternating order.\n", strings.Join(names, ", "), reps)
	fmt.Fprintf(stdout, "Ratios: goroutine mode against the baseline; reactor mode against goroutine mode.\n\n")
	header, rule := "| conns | line |", "|---:|---:|"
	for _, c := range servers {
		header += " " + c.kind + " lines/s |"
		rule += "---:|"
	}
	header += " ratios |"
	rule += "---:|"
	for _, c := range servers {
		header += " " + c.kind + " p99 |"
		rule += "---:|"
	}
	header += " ratios | errors (" + strings.Join(kindsOf(servers), "; ") + ") |"
	rule += "---:|---|"
	fmt.Fprintln(stdout, header)
	fmt.Fprintln(stdout, rule)
	failed := false
	var serverPoints []loadPoint
	for _, size := range []int{64, 4096} {
		for _, conns := range []int{1, 50, 1000} {
			n := len(servers)
			rate, p99 := make([][]float64, n), make([][]float64, n)
			curves := make([][][]latencyPoint, n)
			unserved := make([]int, n)
			errs := make([]map[string]int64, n)
			for i := range errs {
				errs[i] = map[string]int64{}
			}
			for rep := range reps {
				// Rotate which server goes first, so none always runs
				// right after another.
				for k := range n {
					i := (k + rep) % n
					r, err := loadFresh(servers[i].kind, loadConfig{conns: conns, duration: d, size: size, pipeline: 1}, false)
					if err != nil {
						fmt.Fprintf(stderr, "echoload: %v\n", err)
						return 1
					}
					rate[i] = append(rate[i], r.LinesPerSec)
					p99[i] = append(p99[i], r.P99)
					curves[i] = append(curves[i], r.Latency)
					unserved[i] = max(unserved[i], r.Active-r.Served)
					for k, v := range r.Errors {
						errs[i][k] += v
						failed = true
					}
				}
			}
			pt := loadPoint{Conns: conns, Size: size}
			row := fmt.Sprintf("| %d | %d B |", conns, size)
			rates, p99s := make([]float64, n), make([]float64, n)
			var errCells []string
			for i, c := range servers {
				pt.Series = append(pt.Series, series{Name: c.name, LinesPerSec: median(rate[i]), Latency: medianCurve(curves[i]), Unserved: unserved[i]})
				rates[i], p99s[i] = median(rate[i]), median(p99[i])
				row += fmt.Sprintf(" %.0f |", rates[i])
				errCells = append(errCells, errText(errs[i]))
			}
			row += " " + ratios(rates) + " |"
			for i := range servers {
				row += " " + usText(p99s[i]) + " |"
			}
			row += " " + ratios(p99s) + " | " + strings.Join(errCells, "; ") + " |"
			serverPoints = append(serverPoints, pt)
			fmt.Fprintln(stdout, row)
		}
	}

	// 2. The tutorial's three versions.
	kinds := modeKinds()
	fmt.Fprintf(stdout, "\nThe tutorial's versions, 64-byte lines, one run each:\n\n")
	header, rule = "| conns |", "|---:|"
	for _, kind := range kinds {
		header += " " + kind + " lines/s |"
		rule += "---:|"
	}
	fmt.Fprintln(stdout, header+" sequential: connections served |")
	fmt.Fprintln(stdout, rule+"---:|")
	var modePoints []loadPoint
	for _, conns := range []int{1, 50, 1000} {
		var cells []string
		served := 0
		pt := loadPoint{Conns: conns, Size: 64}
		for _, kind := range kinds {
			r, err := loadFresh(kind, loadConfig{conns: conns, duration: d, size: 64, pipeline: 1}, false)
			if err != nil {
				fmt.Fprintf(stderr, "echoload: %v\n", err)
				return 1
			}
			cells = append(cells, fmt.Sprintf("%.0f", r.LinesPerSec))
			if kind == "sequential" {
				served = r.Served
			}
			pt.Series = append(pt.Series, series{Name: kind, LinesPerSec: r.LinesPerSec, Latency: r.Latency, Unserved: r.Active - r.Served})
		}
		modePoints = append(modePoints, pt)
		fmt.Fprintf(stdout, "| %d | %s | %d of %d |\n", conns, strings.Join(cells, " | "), served, conns)
	}
	if plots != nil {
		// Drawn now rather than at the end, so that a failure in what
		// follows does not lose them.
		paths, err := plots.compare(serverPoints, modePoints, d, reps)
		for _, p := range paths {
			fmt.Fprintf(stderr, "echoload: wrote %s\n", p)
		}
		if err != nil {
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
		for _, kind := range append(kindsOf(servers), "thread") {
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
		for _, kind := range kindsOf(servers) {
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
	if rep != nil {
		if err := rep.Write(); err != nil {
			fmt.Fprintf(stderr, "echoload: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "echoload: wrote %s\n", rep.Path())
	}
	if failed {
		return 1
	}
	return 0
}
