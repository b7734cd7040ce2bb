package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// A job is one measured run of one workload on one side. The parent hands
// it to a child benchcmp as JSON.
type job struct {
	Kind string // h2o, echo or bench
	Bin  string

	Molecules int    `json:",omitempty"` // h2o
	Runtime   string `json:",omitempty"` // h2o: goroutines or tasks

	Mode     string        `json:",omitempty"` // echo: the server's -mode
	Echoload string        `json:",omitempty"` // echo: the load generator
	Conns    int           `json:",omitempty"` // echo
	Duration time.Duration `json:",omitempty"` // echo

	Dir  string   `json:",omitempty"` // bench: where the test binary runs
	Pkg  string   `json:",omitempty"` // bench: the name its pkg line gets
	Args []string `json:",omitempty"` // bench
}

// roundResult is what a child tells its parent: the benchmark lines of
// each job, and how long they took (the parent's own clock also counts
// the wait for -measure-cmd).
type roundResult struct {
	Results []string
	Took    time.Duration
}

// runRound runs the jobs in spec, one after the other, and prints their
// roundResult as JSON.
func runRound(spec string, stdout, stderr io.Writer) int {
	var jobs []job
	if err := json.Unmarshal([]byte(spec), &jobs); err != nil {
		fmt.Fprintf(stderr, "benchcmp: bad round %q: %v\n", spec, err)
		return 2
	}
	ctx := context.Background()
	start := time.Now()
	outs := make([]string, len(jobs))
	for i, j := range jobs {
		var err error
		switch j.Kind {
		case "h2o":
			outs[i], err = runH2O(ctx, j)
		case "echo":
			outs[i], err = runEcho(ctx, j, stderr)
		case "bench":
			outs[i], err = runBench(ctx, j)
		default:
			err = fmt.Errorf("unknown job kind %q", j.Kind)
		}
		if err != nil {
			fmt.Fprintf(stderr, "benchcmp: %v\n", err)
			return 1
		}
	}
	if err := json.NewEncoder(stdout).Encode(roundResult{outs, time.Since(start)}); err != nil {
		fmt.Fprintf(stderr, "benchcmp: %v\n", err)
		return 1
	}
	return 0
}

// runH2O runs cmd/h2o -quiet once and reports its ns per molecule and the
// CPU time of the whole process per molecule.
func runH2O(ctx context.Context, j job) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	args := []string{"-n", strconv.Itoa(j.Molecules), "-quiet"}
	if j.Runtime == "tasks" {
		args = append(args, "-runtime", "tasks")
	}
	cmd := exec.CommandContext(ctx, j.Bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v: %s", j.Bin, strings.Join(args, " "), err, stderr.String())
	}
	ns, err := parseH2O(string(out))
	if err != nil {
		return "", err
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return fmt.Sprintf("pkg: cmd/h2o\nBenchmarkH2O/runtime=%s/n=%d 1 %g ns/molecule %g cpu-ns/molecule\n",
		j.Runtime, j.Molecules, ns, float64(cpu.Nanoseconds())/float64(j.Molecules)), nil
}

// parseH2O reads "... N ns/molecule" from cmd/h2o -quiet's output.
func parseH2O(out string) (float64, error) {
	fields := strings.Fields(out)
	for i, f := range fields {
		if strings.TrimRight(f, ".,") == "ns/molecule" && i > 0 {
			v, err := strconv.ParseFloat(fields[i-1], 64)
			if err == nil && v > 0 {
				return v, nil
			}
		}
	}
	return 0, fmt.Errorf("no ns/molecule figure in cmd/h2o's output %q", out)
}

// runEcho starts cmd/echo as its own process on a free port, runs
// echoload against it, and reports lines/s and the server's CPU time per
// echoed line, which echoload -server-pid reads from the server's CPU-time
// clock at the start and the end of the load.
func runEcho(ctx context.Context, j job, stderr io.Writer) (string, error) {
	addr, err := freeAddr()
	if err != nil {
		return "", err
	}
	server := exec.Command(j.Bin, "-addr", addr, "-mode", j.Mode, "-log-level", "warn")
	var serverErr bytes.Buffer
	server.Stderr = &serverErr
	if err := server.Start(); err != nil {
		return "", err
	}
	exited := make(chan error, 1)
	go func() { exited <- server.Wait() }()
	defer func() {
		select {
		case <-exited:
			return
		default:
		}
		server.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			server.Process.Kill()
			<-exited
		}
	}()
	if err := waitListening(addr, exited, 10*time.Second); err != nil {
		return "", fmt.Errorf("cmd/echo -mode %s: %v: %s", j.Mode, err, serverErr.String())
	}

	ctx, cancel := context.WithTimeout(ctx, j.Duration+2*time.Minute)
	defer cancel()
	load := exec.CommandContext(ctx, j.Echoload, "-addr", addr, "-c", strconv.Itoa(j.Conns), "-d", j.Duration.String(),
		"-server-pid", strconv.Itoa(server.Process.Pid), "-json")
	var loadErr bytes.Buffer
	load.Stderr = &loadErr
	out, err := load.Output()
	if err != nil {
		return "", fmt.Errorf("echoload: %v: %s", err, loadErr.String())
	}
	r, err := parseEchoload(out)
	if err != nil {
		return "", err
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(stderr, "benchcmp: echo -mode %s: echoload counted errors %v\n", j.Mode, r.Errors)
	}
	return fmt.Sprintf("pkg: cmd/echo\nBenchmarkEcho/mode=%s/conns=%d %d %g lines/s %g server-cpu-ns/line\n",
		j.Mode, j.Conns, r.Lines, r.LinesPerSec, r.ServerCPUPerLine*1000), nil
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitListening dials addr until it answers, the server exits, or the time
// is up.
func waitListening(addr string, exited <-chan error, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		select {
		case err := <-exited:
			return fmt.Errorf("exited before it listened (%v)", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s after %v", addr, timeout)
		}
	}
}

// echoloadResult is the part of echoload -json that benchcmp reads.
type echoloadResult struct {
	Lines            int64            `json:"lines"`
	LinesPerSec      float64          `json:"lines_per_sec"`
	ServerCPUPerLine float64          `json:"server_cpu_us_per_line"`
	Errors           map[string]int64 `json:"errors"`
}

func parseEchoload(out []byte) (echoloadResult, error) {
	var r echoloadResult
	if err := json.Unmarshal(out, &r); err != nil {
		return r, fmt.Errorf("echoload -json: %v in %q", err, out)
	}
	if r.Lines <= 0 || r.LinesPerSec <= 0 {
		return r, fmt.Errorf("echoload echoed no line: %q", out)
	}
	if r.ServerCPUPerLine <= 0 {
		return r, fmt.Errorf("echoload measured no server CPU time: %q", out)
	}
	return r, nil
}

// runBench runs a test binary's benchmarks once and keeps its result
// lines, its configuration lines and a pkg line that names the workload,
// so that the revision's and the working tree's rows meet in one table
// even where the package has moved.
func runBench(ctx context.Context, j job) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, j.Bin, j.Args...)
	cmd.Dir = j.Dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v\n%s", j.Bin, strings.Join(j.Args, " "), err, out)
	}
	return benchLines(string(out), j.Pkg), nil
}

// benchLines keeps the result lines of go test -bench output under the
// line "pkg: " + pkg. The other configuration lines (goos, goarch, cpu)
// go: the parent writes them once at the top of each side's file, so that
// every workload's rows have the same configuration whatever ran before
// them.
func benchLines(out, pkg string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "pkg: %s\n", pkg)
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "Benchmark") && strings.Contains(line, "\t") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
