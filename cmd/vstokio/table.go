package main

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// xeonRatio is a ratio of the Go side to tokio measured on a 2-core Intel
// Xeon at 2.8 GHz (issues 28 and 29), where this program's table has the
// same row: shown beside this machine's, and marked where the two fall on
// different sides of 1.
type xeonRatio struct {
	text string  // as the issue gives it
	mid  float64 // the middle of its range
}

var xeonRatios = map[string]xeonRatio{
	"Mutex/contended csp":             {"about 1.0x", 1.0},
	"Semaphore/contended csp":         {"0.82x", 0.82},
	"Barrier/parties=3 csp":           {"about 1.0x", 1.0},
	"Barrier/parties=16 csp":          {"0.9x", 0.9},
	"RWMutex/reads=90 csp":            {"1.9x", 1.9},
	"Notify/pingpong csp":             {"1.8x", 1.8},
	"Broadcast/lockstep csp":          {"1.9x", 1.9},
	"Watch/lockstep csp":              {"1.6x", 1.6},
	"SpawnJoin executor":              {"2.3–2.9x", 2.6},
	"SpawnJoin goroutine":             {"1.7–2.3x", 2.0},
	"SpawnMany executor":              {"1.2–1.7x", 1.45},
	"H2O/n=100000 goroutines":         {"1.5–2.4x", 1.9},
	"Echo/conns=50/size=64 reactor":   {"1.2–1.5x", 1.35},
	"Echo/conns=1000/size=64 reactor": {"1.35–1.5x", 1.4},
}

// flipped reports whether ratios a and b lie on different sides of 1, each
// by more than a tenth: one side faster on one machine, the other on the
// other.
func flipped(a, b float64) bool {
	return (a < 0.9 && b > 1.1) || (a > 1.1 && b < 0.9)
}

// results are the samples of a run, by workload and side, in the order
// measured.
type results map[string]map[string][]sample

func group(samples []sample) results {
	r := results{}
	for _, s := range samples {
		if r[s.name] == nil {
			r[s.name] = map[string][]sample{}
		}
		r[s.name][s.impl] = append(r[s.name][s.impl], s)
	}
	return r
}

// values returns the figures in unit of workload name's side impl.
func (r results) values(name, impl, unit string) []float64 {
	var xs []float64
	for _, s := range r[name][impl] {
		if v, ok := s.value(unit); ok {
			xs = append(xs, v)
		}
	}
	return xs
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// roundRatios divides the k-th of as by the k-th of bs, as far as both
// go: the ratio within each round.
func roundRatios(as, bs []float64) []float64 {
	var rs []float64
	for i := range min(len(as), len(bs)) {
		rs = append(rs, as[i]/bs[i])
	}
	return rs
}

// A comparison is one row: a Go side's figure against tokio's.
type comparison struct {
	label  string // the workload
	side   string // the Go side
	key    string // workload and side, for xeonRatios
	unit   string
	goVals []float64
	tokio  []float64
}

func (c comparison) ratio() float64 { return median(c.goVals) / median(c.tokio) }

// writeComparisons writes a table of rows, one per Go side against tokio.
func writeComparisons(w io.Writer, rows []comparison) (flips []string) {
	fmt.Fprintln(w, "| workload | Go side | Go | tokio | Go / tokio | per round | Xeon, issues 28–29 |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|")
	for _, c := range rows {
		if len(c.goVals) == 0 || len(c.tokio) == 0 {
			continue
		}
		ratio := c.ratio()
		xeon := ""
		if x, ok := xeonRatios[c.key]; ok {
			xeon = x.text
			if flipped(ratio, x.mid) {
				xeon += " ⇄"
				flips = append(flips, c.label+" ("+c.side+")")
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", c.label, c.side,
			figure(median(c.goVals), c.unit), figure(median(c.tokio), c.unit), times(ratio), spread(roundRatios(c.goVals, c.tokio)), xeon)
	}
	return flips
}

// figure writes a median with its unit, in ns below 10 µs and in µs
// above.
func figure(v float64, unit string) string {
	if strings.HasPrefix(unit, "ns/") && v >= 10_000 {
		return number(v/1000) + " µs"
	}
	if strings.HasPrefix(unit, "ns/") {
		return number(v) + " ns"
	}
	return number(v)
}

// number writes v with three significant figures below 1000 and as a whole
// number with thousands separators above.
func number(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// latency writes a time given in µs, in ms from 1 ms up.
func latency(us float64) string {
	if us >= 1000 {
		return number(us/1000) + " ms"
	}
	return number(us) + " µs"
}

func times(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "–"
	}
	return strconv.FormatFloat(r, 'f', 2, 64) + "x"
}

// spread writes the smallest and largest of xs as a range of ratios.
func spread(xs []float64) string {
	if len(xs) == 0 {
		return "–"
	}
	lo, hi := slices.Min(xs), slices.Max(xs)
	if len(xs) == 1 || times(lo) == times(hi) {
		return times(lo)
	}
	return strings.TrimSuffix(times(lo), "x") + "–" + times(hi)
}

// writeTables writes the report's body: the benchmarks, the water factory
// and the echo servers, each as far as r holds them.
func writeTables(w io.Writer, r results) {
	var flips []string
	if rows := benchRows(r); len(rows) > 0 {
		fmt.Fprintln(w, "## tokio::sync and tokio::spawn beside csp and csp/async")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "The same shapes on both sides (rust/src/bin/bench_tokio beside csp/bench_test.go, csp/family_bench_test.go")
		fmt.Fprintln(w, "and csp/async/bench_test.go): as many tasks as the Go side has goroutines, every operation inside a task")
		fmt.Fprintf(w, "of a 2-worker tokio runtime, GOMAXPROCS %d on the Go side. Time per operation, median of the rounds.\n", r.goProcs())
		fmt.Fprintln(w)
		flips = append(flips, writeComparisons(w, rows)...)
		fmt.Fprintln(w)
	}
	for _, name := range r.names("H2O/n=") {
		n, _ := strconv.Atoi(strings.TrimPrefix(name, "H2O/n="))
		fmt.Fprintf(w, "## The water factory, %s molecules\n\n", number(float64(n)))
		fmt.Fprintln(w, "All 3n atoms spawned at once in a shuffled order and joined (rust/src/bin/h2o_tokio.rs: tokio's Semaphore")
		fmt.Fprintln(w, "and Barrier, join_all, 2 workers). Time per molecule, median of the rounds.")
		fmt.Fprintln(w)
		flips = append(flips, writeComparisons(w, h2oRows(r, name))...)
		fmt.Fprintln(w)
	}
	for _, name := range r.names("Echo/") {
		writeEcho(w, r, name)
	}
	if len(flips) > 0 {
		fmt.Fprintf(w, "⇄: on this machine the ratio lies on the other side of 1 than on the Xeon of issues 28 and 29 (each by more than a tenth): %s.\n\n", strings.Join(flips, "; "))
	}
}

// names returns the workloads whose name begins with prefix, ordered by
// the numbers in them (Echo/conns=50 before Echo/conns=1000).
func (r results) names(prefix string) []string {
	var names []string
	for name := range r {
		if strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(slices.Compare(numbersIn(a), numbersIn(b)), strings.Compare(a, b))
	})
	return names
}

var digits = regexp.MustCompile(`\d+`)

func numbersIn(s string) []int {
	var ns []int
	for _, d := range digits.FindAllString(s, -1) {
		n, _ := strconv.Atoi(d)
		ns = append(ns, n)
	}
	return ns
}

// goProcs is the GOMAXPROCS of the Go benchmarks, from their names' -N.
func (r results) goProcs() int {
	for _, p := range benchPairs {
		for _, s := range r[p.name][p.goImpls[0]] {
			return s.procs
		}
	}
	return 0
}

// benchRows are the rows of the benchmarks that r has samples of, on
// both sides.
func benchRows(r results) []comparison {
	var rows []comparison
	for _, p := range benchPairs {
		for _, impl := range p.goImpls {
			c := comparison{label: p.label, side: goSideNames[impl], key: p.name + " " + impl, unit: p.unit,
				goVals: r.values(p.name, impl, p.unit), tokio: r.values(p.name, "tokio", p.unit)}
			if len(c.goVals) > 0 && len(c.tokio) > 0 {
				rows = append(rows, c)
			}
		}
	}
	return rows
}

func h2oRows(r results, name string) []comparison {
	var rows []comparison
	for _, side := range h2oSides {
		if side.impl == "tokio" {
			continue
		}
		rows = append(rows, comparison{label: "H2O", side: goSideNames[side.impl], key: name + " " + side.impl, unit: "ns/molecule",
			goVals: r.values(name, side.impl, "ns/molecule"), tokio: r.values(name, "tokio", "ns/molecule")})
	}
	return rows
}

// writeEcho writes the table of one load point: each server's lines/s,
// p99 and CPU per line, and its ratios to the tokio server's.
func writeEcho(w io.Writer, r results, name string) {
	if point, ok := parseEchoName(name); !ok {
		fmt.Fprintf(w, "## %s\n\n", name) // a workload this program does not measure
	} else {
		client := echoClients[point.client]
		fmt.Fprintf(w, "## Echo, %d connections, %d-byte lines%s\n\n", point.conns, point.size, client.heading)
		fmt.Fprintf(w, "Each server in its own process, loaded by `cmd/echoload -client %s -server-pid` (closed loop, one line in\n", point.client)
		fmt.Fprintf(w, "flight per connection). %s.\n", client.drives)
		fmt.Fprintln(w, "echoload also reads the server's CPU time (user and system) over the load, per line echoed.")
	}
	fmt.Fprintln(w, "Medians of the rounds; the ratios are to the tokio server's medians.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| server | lines/s | p99 | server CPU per line | lines/s ÷ tokio | CPU per line ÷ tokio | Xeon, issue 28: CPU ÷ tokio |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	tokioRate := median(r.values(name, "tokio", "lines/s"))
	tokioCPU := median(r.values(name, "tokio", "cpu-us/line"))
	for _, srv := range echoServers {
		rates := r.values(name, srv.impl, "lines/s")
		if len(rates) == 0 {
			continue
		}
		rate, p99, cpu := median(rates), median(r.values(name, srv.impl, "p99-us")), median(r.values(name, srv.impl, "cpu-us/line"))
		xeon := ""
		if x, ok := xeonRatios[name+" "+srv.impl]; ok {
			xeon = x.text
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s µs | %s | %s | %s |\n", srv.label, number(rate), latency(p99), number(cpu),
			times(rate/tokioRate), times(cpu/tokioCPU), xeon)
	}
	fmt.Fprintln(w)
}
