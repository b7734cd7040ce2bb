package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// A sample is one measurement of one side of a workload, written as a Go
// benchmark line so that benchstat reads every sample of a run, both
// sides', from one file:
//
//	BenchmarkMutex/contended/impl=csp-2     5000000     234.5 ns/op
//	BenchmarkH2O/n=100000/impl=tokio-2            1      4500 ns/molecule
//	BenchmarkEcho/conns=50/size=64/impl=reactor-2   300000   98000 lines/s   2100 p99-us   7.2 cpu-us/line
type sample struct {
	name    string // the workload: the benchmark name without impl= and the -N suffix
	impl    string // the side: csp, executor, goroutine, tokio, ...
	procs   int    // the -N suffix: GOMAXPROCS, or tokio's workers
	iters   int64
	metrics []metric
}

type metric struct {
	value float64
	unit  string
}

// value returns the sample's figure in unit, and whether it has one.
func (s sample) value(unit string) (float64, bool) {
	for _, m := range s.metrics {
		if m.unit == unit {
			return m.value, true
		}
	}
	return 0, false
}

// String is the sample's benchmark line.
func (s sample) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Benchmark%s/impl=%s-%d\t%d", s.name, s.impl, s.procs, s.iters)
	for _, m := range s.metrics {
		fmt.Fprintf(&b, "\t%s %s", shortFloat(m.value), m.unit)
	}
	return b.String()
}

// shortFloat writes v whole from 1000 up, and with at most three decimals
// below: a sample's precision, not the float's.
func shortFloat(v float64) string {
	if math.Abs(v) >= 1000 {
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	}
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}

// parseBenchLine reads a Go benchmark line: "BenchmarkNAME-N ITERS VALUE
// UNIT [VALUE UNIT]...". NAME's last element is impl=SIDE, which it takes
// apart from the workload's name; a name without one has the side "".
// ok is false for a line that is no benchmark line (a config line, PASS).
func parseBenchLine(line string) (s sample, ok bool, err error) {
	f := strings.Fields(line)
	if len(f) == 0 || !strings.HasPrefix(f[0], "Benchmark") || len(f) < 4 || len(f)%2 != 0 {
		return sample{}, false, nil
	}
	name := strings.TrimPrefix(f[0], "Benchmark")
	s.procs = 1
	if i := strings.LastIndexByte(name, '-'); i >= 0 {
		if p, err := strconv.Atoi(name[i+1:]); err == nil && p > 0 {
			name, s.procs = name[:i], p
		}
	}
	if i := strings.LastIndex(name, "/impl="); i >= 0 && !strings.Contains(name[i+1:], "/") {
		name, s.impl = name[:i], name[i+len("/impl="):]
	}
	s.name = name
	if s.iters, err = strconv.ParseInt(f[1], 10, 64); err != nil {
		return sample{}, false, fmt.Errorf("benchmark line %q: iterations: %v", line, err)
	}
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return sample{}, false, fmt.Errorf("benchmark line %q: %v", line, err)
		}
		s.metrics = append(s.metrics, metric{v, f[i+1]})
	}
	return s, true, nil
}

// parseBenchOutput returns the benchmark lines of a benchmark program's
// output (go test -bench, bench-tokio), in order.
func parseBenchOutput(r io.Reader) ([]sample, error) {
	var samples []sample
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		s, ok, err := parseBenchLine(sc.Text())
		if err != nil {
			return nil, err
		}
		if ok {
			samples = append(samples, s)
		}
	}
	return samples, sc.Err()
}

// A rawFile is what -raw writes and -from reads: the commands that
// measured, then every sample in the order measured, as benchmark lines
// that benchstat also reads.
type rawFile struct {
	command string // the command line that measured
	date    string
	cpu     string
	rust    string // the Rust toolchain and crates, as the report prints them
	samples []sample
}

func (f *rawFile) write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# vstokio samples; benchstat -col /impl reads them\n")
	fmt.Fprintf(bw, "# command: %s\n# date: %s\n# rust: %s\ncpu: %s\n", f.command, f.date, f.rust, f.cpu)
	for _, s := range f.samples {
		fmt.Fprintln(bw, s)
	}
	return bw.Flush()
}

func readRaw(r io.Reader) (*rawFile, error) {
	f := &rawFile{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		for prefix, field := range map[string]*string{"# command: ": &f.command, "# date: ": &f.date, "# rust: ": &f.rust, "cpu: ": &f.cpu} {
			if v, ok := strings.CutPrefix(line, prefix); ok {
				*field = v
			}
		}
		s, ok, err := parseBenchLine(line)
		if err != nil {
			return nil, err
		}
		if ok {
			f.samples = append(f.samples, s)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if f.command == "" {
		return nil, fmt.Errorf("no \"# command:\" line: not a file that vstokio -raw wrote")
	}
	return f, nil
}
