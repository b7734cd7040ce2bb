package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// system is what the measurement needs of the machine: running a program
// to its end, and a server beside it. Tests give a fake one.
type system interface {
	// output runs argv to its end and returns its standard output; a
	// program that fails is an error that carries its standard error.
	output(ctx context.Context, argv []string) ([]byte, error)
	// serve starts a server with argv(port) on a free loopback port and
	// returns once it accepts connections, with the address it listens on.
	serve(ctx context.Context, argv func(port int) []string) (server, string, error)
}

// A server is an echo server process started by system.serve.
type server interface {
	pid() int
	// stop ends the server and waits for it.
	stop() error
}

// config is what one measurement runs.
type config struct {
	rounds    int
	benchtime string // as go test's -benchtime: 1s, 100x
	molecules int
	conns     []int // echo load points with echoload's goroutine client
	// threadConns are the echo load points with echoload's thread client.
	threadConns []int
	duration    time.Duration
	size        int
	parts       map[string]bool // bench, h2o, echo
}

// echoPoints are the echo loads of cfg, in the order measured: each of
// conns with the goroutine client, then each of threadConns with the
// thread client.
func (cfg config) echoPoints() []echoPoint {
	var points []echoPoint
	for _, c := range cfg.conns {
		points = append(points, echoPoint{conns: c, size: cfg.size, client: clientGoroutine})
	}
	for _, c := range cfg.threadConns {
		points = append(points, echoPoint{conns: c, size: cfg.size, client: clientThread})
	}
	return points
}

// measurer runs the workloads of cfg, both sides interleaved, and collects
// their samples in the order measured.
type measurer struct {
	cfg     config
	sys     system
	progs   programs
	log     io.Writer // one line per sample, as it comes
	samples []sample
}

func (m *measurer) add(s sample) {
	m.samples = append(m.samples, s)
	fmt.Fprintln(m.log, s)
}

// run measures every part of cfg, round after round. In each round, a
// workload's sides run one after the other, in an order that turns with
// the round, so that neither side always runs first.
func (m *measurer) run(ctx context.Context) error {
	for round := range m.cfg.rounds {
		fmt.Fprintf(m.log, "# round %d of %d\n", round+1, m.cfg.rounds)
		if m.cfg.parts["bench"] {
			for _, p := range benchPairs {
				if err := m.benchPair(ctx, p, round); err != nil {
					return err
				}
			}
		}
		if m.cfg.parts["h2o"] {
			for _, side := range rotate(h2oSides, round) {
				if err := m.h2o(ctx, side); err != nil {
					return err
				}
			}
		}
		if m.cfg.parts["echo"] {
			for _, point := range m.cfg.echoPoints() {
				for _, srv := range rotate(echoServers, round) {
					if err := m.echo(ctx, srv, point); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// rotate returns xs turned left by k.
func rotate[T any](xs []T, k int) []T {
	k %= len(xs)
	return append(append([]T(nil), xs[k:]...), xs[:k]...)
}

// benchPair runs p's Go benchmarks and its tokio benchmark once each, Go
// first in even rounds and tokio first in odd ones.
func (m *measurer) benchPair(ctx context.Context, p benchPair, round int) error {
	goSide := func() error {
		argv := []string{m.progs.goTest(p.goTest), "-test.run", "^$", "-test.bench", goBenchPattern(p),
			"-test.benchtime", m.cfg.benchtime, "-test.count", "1"}
		return m.benchRun(ctx, argv, p, len(p.goImpls))
	}
	tokioSide := func() error {
		argv := []string{m.progs.rust("bench-tokio"), "-bench", p.name + "/impl=tokio", "-benchtime", m.cfg.benchtime, "-count", "1"}
		return m.benchRun(ctx, argv, p, 1)
	}
	sides := []func() error{goSide, tokioSide}
	for _, side := range rotate(sides, round) {
		if err := side(); err != nil {
			return err
		}
	}
	return nil
}

// benchRun runs one benchmark program and keeps its samples of p, of
// which it must print want.
func (m *measurer) benchRun(ctx context.Context, argv []string, p benchPair, want int) error {
	out, err := m.sys.output(ctx, argv)
	if err != nil {
		return err
	}
	samples, err := parseBenchOutput(bytes.NewReader(out))
	if err != nil {
		return fmt.Errorf("%s: %v", argv[0], err)
	}
	got := 0
	for _, s := range samples {
		if s.name != p.name {
			continue
		}
		if _, ok := s.value(p.unit); !ok {
			return fmt.Errorf("%s: Benchmark%s/impl=%s has no %s figure", argv[0], s.name, s.impl, p.unit)
		}
		m.add(s)
		got++
	}
	if got != want {
		return fmt.Errorf("%s printed %d samples of %s, want %d:\n%s", strings.Join(argv, " "), got, p.name, want, out)
	}
	return nil
}

var nsPerMolecule = regexp.MustCompile(`^(\d+) molecules in \S+: \d+ molecules/s, (\d+(?:\.\d+)?) ns/molecule$`)

// parseH2O reads the one line of cmd/h2o -quiet and of h2o-tokio.
func parseH2O(out []byte) (molecules int, ns float64, err error) {
	line := strings.TrimSpace(string(out))
	mm := nsPerMolecule.FindStringSubmatch(line)
	if mm == nil {
		return 0, 0, fmt.Errorf("no \"N molecules in T: R molecules/s, X ns/molecule\" line in %q", line)
	}
	molecules, _ = strconv.Atoi(mm[1])
	ns, _ = strconv.ParseFloat(mm[2], 64)
	return molecules, ns, nil
}

func (m *measurer) h2o(ctx context.Context, side h2oSide) error {
	argv := side.argv(m.progs, m.cfg.molecules)
	out, err := m.sys.output(ctx, argv)
	if err != nil {
		return err
	}
	n, ns, err := parseH2O(out)
	if err != nil {
		return fmt.Errorf("%s: %v", strings.Join(argv, " "), err)
	}
	if n != m.cfg.molecules {
		return fmt.Errorf("%s made %d molecules, want %d", strings.Join(argv, " "), n, m.cfg.molecules)
	}
	m.add(sample{name: h2oName(m.cfg.molecules), impl: side.impl, procs: 2, iters: 1,
		metrics: []metric{{ns, "ns/molecule"}}})
	return nil
}

func h2oName(n int) string { return fmt.Sprintf("H2O/n=%d", n) }

// echoResult is what this program reads of echoload -json.
type echoResult struct {
	Client      string           `json:"client"`
	Lines       int64            `json:"lines"`
	LinesPerSec float64          `json:"lines_per_sec"`
	P99         float64          `json:"p99_us"`
	Errors      map[string]int64 `json:"errors"`
	Served      int              `json:"served"`
	CPUPerLine  float64          `json:"server_cpu_us_per_line"`
}

func parseEcho(out []byte) (echoResult, error) {
	var r echoResult
	if err := json.Unmarshal(out, &r); err != nil {
		return r, fmt.Errorf("echoload -json: %v", err)
	}
	switch {
	case r.Lines <= 0:
		return r, fmt.Errorf("echoload -json: no line echoed")
	case r.CPUPerLine <= 0:
		return r, fmt.Errorf("echoload -json: no server_cpu_us_per_line, the server's CPU time per line")
	}
	return r, nil
}

// echo starts srv, loads it at point with echoload for the run's
// duration, and has echoload read the server's CPU time over the load
// (-server-pid).
func (m *measurer) echo(ctx context.Context, srv echoServer, point echoPoint) error {
	proc, addr, err := m.sys.serve(ctx, func(port int) []string { return srv.argv(m.progs, port) })
	if err != nil {
		return fmt.Errorf("starting the %s server: %v", srv.impl, err)
	}
	argv := []string{m.progs.goCmd("echoload"), "-addr", addr, "-c", strconv.Itoa(point.conns), "-d", m.cfg.duration.String(),
		"-size", strconv.Itoa(point.size), "-client", point.client, "-server-pid", strconv.Itoa(proc.pid()), "-json"}
	out, err := m.sys.output(ctx, argv)
	if serr := proc.stop(); err == nil && serr != nil {
		err = fmt.Errorf("the %s server: %v", srv.impl, serr)
	}
	if err != nil {
		return err
	}
	r, err := parseEcho(out)
	if err != nil {
		return fmt.Errorf("%s against %s: %v", strings.Join(argv, " "), srv.impl, err)
	}
	if len(r.Errors) > 0 || r.Served != point.conns {
		return fmt.Errorf("%s against %s: %d of %d connections served, errors %v", strings.Join(argv, " "), srv.impl, r.Served, point.conns, r.Errors)
	}
	if r.Client != point.client {
		return fmt.Errorf("%s against %s: echoload ran its %q client, want %q", strings.Join(argv, " "), srv.impl, r.Client, point.client)
	}
	m.add(sample{name: point.name(), impl: srv.impl, procs: 2, iters: r.Lines,
		metrics: []metric{{r.LinesPerSec, "lines/s"}, {r.P99, "p99-us"}, {r.CPUPerLine, "cpu-us/line"}}})
	return nil
}
