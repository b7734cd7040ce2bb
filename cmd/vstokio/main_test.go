package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeSystem answers every program vstokio runs with made-up output: the
// Go side of benchmark p in round k takes 200+k ns/op, tokio 100; the
// goroutine factory 9,000+k ns/molecule, tasks 3,000, tokio 4,000; each
// echo server echoes 1,000 lines at a CPU time per line of its own
// (reactor 8 µs, the others 5).
type fakeSystem struct {
	calls   []string // each program's base name and arguments
	rounds  map[string]int
	running *fakeServer
}

func newFake() *fakeSystem { return &fakeSystem{rounds: map[string]int{}} }

func (f *fakeSystem) output(_ context.Context, argv []string) ([]byte, error) {
	base := filepath.Base(argv[0])
	f.calls = append(f.calls, base+" "+strings.Join(argv[1:], " "))
	flag := func(name string) string {
		if i := slices.Index(argv, name); i >= 0 && i+1 < len(argv) {
			return argv[i+1]
		}
		return ""
	}
	switch base {
	case "go":
		return nil, nil
	case "bench-tokio":
		if argv[1] == "-version" {
			return []byte("rustc 9.9.9\n"), nil
		}
		name := strings.TrimSuffix(flag("-bench"), "/impl=tokio")
		return fmt.Appendf(nil, "goos: linux\nBenchmark%s/impl=tokio-2\t100\t100 ns/op\t100 ns/task\nok\n", name), nil
	case "csp.test", "async.test":
		for _, p := range benchPairs {
			if goBenchPattern(p) == flag("-test.bench") {
				k := f.rounds[p.name]
				f.rounds[p.name]++
				var out bytes.Buffer
				for _, impl := range p.goImpls {
					fmt.Fprintf(&out, "Benchmark%s/impl=%s-2\t100\t%d ns/op\t8 B/op\t%d ns/task\n", p.name, impl, 200+k, 200+k)
				}
				return out.Bytes(), nil
			}
		}
		return nil, fmt.Errorf("no benchmark matches %q", flag("-test.bench"))
	case "h2o", "h2o-tokio":
		ns := 4000
		switch {
		case base == "h2o" && flag("-runtime") == "tasks":
			ns = 3000
		case base == "h2o":
			ns = 9000 + f.rounds["h2o"]
			f.rounds["h2o"]++
		}
		return fmt.Appendf(nil, "%s molecules in 1s: 1 molecules/s, %d ns/molecule\n", flag("-n"), ns), nil
	case "echoload":
		if f.running == nil || flag("-addr") != f.running.addr {
			return nil, fmt.Errorf("echoload against %s, and no server listens there", flag("-addr"))
		}
		if flag("-server-pid") != "4343" {
			return nil, fmt.Errorf("echoload -server-pid %q, want the server's, 4343", flag("-server-pid"))
		}
		return fmt.Appendf(nil, `{"lines": 1000, "lines_per_sec": %d, "p99_us": 900, "errors": {}, "served": %s, "server_cpu_us_per_line": %v}`,
			f.running.rate, flag("-c"), f.running.cpuPerLine), nil
	}
	return nil, fmt.Errorf("unexpected program %s", base)
}

type fakeServer struct {
	f          *fakeSystem
	addr       string
	cpuPerLine float64
	rate       int
}

func (f *fakeSystem) serve(_ context.Context, argv func(port int) []string) (server, string, error) {
	args := argv(4242)
	f.calls = append(f.calls, "serve "+filepath.Base(args[0])+" "+strings.Join(args[1:], " "))
	s := &fakeServer{f: f, addr: "127.0.0.1:4242", cpuPerLine: 5, rate: 100_000}
	if slices.Contains(args, "reactor") {
		s.cpuPerLine, s.rate = 8, 90_000
	}
	f.running = s
	return s, s.addr, nil
}

func (s *fakeServer) pid() int { return 4343 }
func (s *fakeServer) stop() error {
	s.f.calls = append(s.f.calls, "stop")
	s.f.running = nil
	return nil
}

// fakeRust makes a Cargo package folder holding a lock file and, in
// target/release, (empty) Rust programs, and returns target/release.
func fakeRust(t *testing.T) string {
	pkg := t.TempDir()
	lock := "[[package]]\nname = \"futures\"\nversion = \"0.9.8\"\n\n[[package]]\nname = \"tokio\"\nversion = \"9.8.7\"\n"
	if err := os.WriteFile(filepath.Join(pkg, "Cargo.lock"), []byte(lock), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(pkg, "target", "release")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range rustPrograms {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Each workload's sides alternate which runs first from round to round,
// every server is stopped before the next starts, and the samples are the
// programs' figures.
func TestMeasureInterleaves(t *testing.T) {
	f := newFake()
	cfg := config{rounds: 2, benchtime: "1x", molecules: 10, conns: []int{3}, duration: time.Second, size: 64,
		parts: map[string]bool{"bench": true, "h2o": true, "echo": true}}
	m := &measurer{cfg: cfg, sys: f, progs: programs{goBin: "/go", rustBin: "/rust"}, log: &bytes.Buffer{}}
	if err := m.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var order []string // the sides of one benchmark, the factories and the servers, as measured
	for _, smp := range m.samples {
		if smp.name == "SpawnJoin" || strings.HasPrefix(smp.name, "H2O") || strings.HasPrefix(smp.name, "Echo") {
			order = append(order, smp.impl)
		}
	}
	want := []string{
		"executor", "goroutine", "tokio", "goroutines", "tasks", "tokio", "tokio", "rust-threads", "goroutine", "reactor",
		"tokio", "executor", "goroutine", "tasks", "tokio", "goroutines", "rust-threads", "goroutine", "reactor", "tokio",
	}
	if !slices.Equal(order, want) {
		t.Errorf("the sides ran in the order\n%v, want\n%v", order, want)
	}
	for i, c := range f.calls {
		if strings.HasPrefix(c, "serve ") && (i+2 >= len(f.calls) || !strings.HasPrefix(f.calls[i+1], "echoload ") || f.calls[i+2] != "stop") {
			t.Errorf("call %d, %q, is not followed by one echoload and a stop:\n%s", i, c, strings.Join(f.calls, "\n"))
		}
		if strings.HasPrefix(c, "echoload ") && !strings.Contains(c, "-c 3 -d 1s -size 64 -server-pid 4343 -json") {
			t.Errorf("echoload called as %q", c)
		}
	}

	r := group(m.samples)
	if got := r.values("Mutex/contended", "csp", "ns/op"); !slices.Equal(got, []float64{200, 201}) {
		t.Errorf("Mutex/contended csp samples %v, want [200 201]", got)
	}
	if got := r.values("SpawnMany", "goroutine", "ns/task"); !slices.Equal(got, []float64{200, 201}) {
		t.Errorf("SpawnMany goroutine samples %v, want [200 201]", got)
	}
	if got := r.values("H2O/n=10", "tasks", "ns/molecule"); !slices.Equal(got, []float64{3000, 3000}) {
		t.Errorf("H2O tasks samples %v", got)
	}
	if got := r.values("Echo/conns=3/size=64", "reactor", "cpu-us/line"); !slices.Equal(got, []float64{8, 8}) {
		t.Errorf("reactor CPU per line %v, want 8 µs twice", got)
	}
	// Per round: a tokio sample and one or two Go samples per benchmark,
	// one per factory, one per server.
	if n, want := len(m.samples), 2*(2*len(benchPairs)+2+len(h2oSides)+len(echoServers)); n != want {
		t.Errorf("%d samples, want %d", n, want)
	}
}

// A measured run writes its samples with -raw and its page with -report;
// -from writes the same tables from the samples alone.
func TestRunWritesPageAndSamples(t *testing.T) {
	dir := t.TempDir()
	raw, page, again := filepath.Join(dir, "raw.txt"), filepath.Join(dir, "page.md"), filepath.Join(dir, "again.md")
	var stdout, stderr bytes.Buffer
	args := []string{"-rounds", "3", "-benchtime", "1x", "-n", "100000", "-conns", "50", "-d", "1s", "-rust", fakeRust(t), "-raw", raw, "-report", page}
	if code := run(args, &stdout, &stderr, newFake()); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{
		"# " + title + "\n\n- Machine: ",
		"- Command: `vstokio -rounds 3 ",
		"- Rust: rustc 9.9.9; tokio 9.8.7, futures 0.9.8 (Debian's packaged crates)\n",
		// Go 200, 201, 202 ns against tokio's 100: median ratio 2.01x, per round 2.00x to 2.02x.
		"| Mutex, contended, 16 tasks | csp | 201 ns | 100 ns | 2.01x | 2.00–2.02x | about 1.0x |\n",
		"| Semaphore(4), contended, 16 tasks | csp | 201 ns | 100 ns | 2.01x | 2.00–2.02x | 0.82x ⇄ |\n",
		"| spawn 1,000 and join all, per task | go f() and a channel | 201 ns | 100 ns | 2.01x | 2.00–2.02x |  |\n",
		"## The water factory, 100,000 molecules\n",
		"| H2O | goroutines (`cmd/h2o -quiet`) | 9,001 ns | 4,000 ns | 2.25x | 2.25x | 1.5–2.4x |\n",
		"| H2O | csp/async tasks (`-runtime tasks`) | 3,000 ns | 4,000 ns | 0.75x | 0.75x |  |\n",
		"## Echo, 50 connections, 64-byte lines\n",
		"| tokio, a task per client (2 workers) | 100,000 | 900 µs | 5.00 µs | 1.00x | 1.00x |  |\n",
		"| chansync, reactor mode (`cmd/echo -mode reactor`) | 90,000 | 900 µs | 8.00 µs | 0.90x | 1.60x | 1.2–1.5x |\n",
		"⇄: on this machine the ratio lies on the other side of 1 than on the Xeon of issues 28 and 29 (each by more than a tenth): " +
			"Semaphore(4), contended, 16 tasks (csp).\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the page lacks %q:\n%s", want, got)
		}
	}
	if !strings.HasSuffix(stdout.String(), "\n\n") || !strings.Contains(got, stdout.String()) {
		t.Errorf("stdout is not the page's body:\n%s", stdout.String())
	}
	if strings.Contains(got, "Measured in parts") {
		t.Error("a page measured in one run says it was measured in parts")
	}

	rawText, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rawText), "\nBenchmarkEcho/conns=50/size=64/impl=reactor-2\t1000\t90000 lines/s\t900 p99-us\t8 cpu-us/line\n") {
		t.Errorf("the samples file lacks the reactor's echo sample:\n%s", rawText)
	}

	stdout.Reset()
	if code := run([]string{"-from", raw, "-report", again}, &stdout, &stderr, newFake()); code != 0 {
		t.Fatalf("-from: exit %d\n%s", code, stderr.String())
	}
	b, err = os.ReadFile(again)
	if err != nil {
		t.Fatal(err)
	}
	tables := func(page string) string { return page[strings.Index(page, "\n## "):] }
	if tables(string(b)) != tables(got) {
		t.Errorf("-from wrote other tables than the run:\n%s\nwant\n%s", tables(string(b)), tables(got))
	}
	if !strings.Contains(string(b), "- Measured in parts:\n  - `vstokio -rounds 3 ") {
		t.Errorf("-from's page does not name the command that measured:\n%s", b)
	}
}

func TestParseBenchLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		want string // the sample as it is written back, "" for no sample
	}{
		{"BenchmarkMutex/contended/impl=csp-2   \t 5000000\t       234.5 ns/op", "BenchmarkMutex/contended/impl=csp-2\t5000000\t234.5 ns/op"},
		{"BenchmarkSpawnMany/impl=tokio-2\t1000\t300000 ns/op\t300.0 ns/task", "BenchmarkSpawnMany/impl=tokio-2\t1000\t300000 ns/op\t300 ns/task"},
		{"BenchmarkSpawnJoin/impl=executor-16 100 707 ns/op 48 B/op 1 allocs/op", "BenchmarkSpawnJoin/impl=executor-16\t100\t707 ns/op\t48 B/op\t1 allocs/op"},
		{"goos: linux", ""},
		{"cpu: AMD EPYC", ""},
		{"PASS", ""},
		{"BenchmarkMutex", ""}, // the parent of sub-benchmarks, printed alone
	} {
		s, ok, err := parseBenchLine(tc.line)
		if err != nil || ok != (tc.want != "") || (ok && s.String() != tc.want) {
			t.Errorf("parseBenchLine(%q) = %q, %v, %v; want %q", tc.line, s, ok, err, tc.want)
		}
	}
	s, _, _ := parseBenchLine("BenchmarkEcho/conns=50/size=64/impl=rust-threads-2 10 1.5 lines/s")
	if s.name != "Echo/conns=50/size=64" || s.impl != "rust-threads" || s.procs != 2 {
		t.Errorf("name %q impl %q procs %d", s.name, s.impl, s.procs)
	}
	if _, _, err := parseBenchLine("BenchmarkX-2 10 fast ns/op"); err == nil {
		t.Error("a line with a word for a figure parsed")
	}
}

func TestParseH2O(t *testing.T) {
	for _, line := range []string{
		"100000 molecules in 1.234s: 81037 molecules/s, 12340 ns/molecule\n", // cmd/h2o -quiet
		"100000 molecules in 1.234s: 81037 molecules/s, 12340 ns/molecule",   // h2o-tokio
	} {
		n, ns, err := parseH2O([]byte(line))
		if err != nil || n != 100000 || ns != 12340 {
			t.Errorf("parseH2O(%q) = %d, %v, %v", line, n, ns, err)
		}
	}
	if _, _, err := parseH2O([]byte("check: ok\n")); err == nil {
		t.Error("a line without the time per molecule parsed")
	}
}

func TestParseEcho(t *testing.T) {
	r, err := parseEcho([]byte(`{"conns": 50, "lines": 300000, "lines_per_sec": 100000.5, "p99_us": 2100, "errors": {}, "served": 50, "server_cpu_us_per_line": 6.25}`))
	if err != nil || r.Lines != 300000 || r.LinesPerSec != 100000.5 || r.P99 != 2100 || r.Served != 50 || r.CPUPerLine != 6.25 {
		t.Errorf("parseEcho = %+v, %v", r, err)
	}
	for _, bad := range []string{
		`{"lines": 0, "server_cpu_us_per_line": 6}`,
		`{"lines": 10}`, // an echoload that did not measure the server
		`lines: 10`,
	} {
		if _, err := parseEcho([]byte(bad)); err == nil {
			t.Errorf("parseEcho(%s): no error", bad)
		}
	}
}

func TestRatiosAndFigures(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		unit string
		want string
	}{
		{1.234, "ns/op", "1.23 ns"}, {45.67, "ns/op", "45.7 ns"}, {4567, "ns/op", "4,567 ns"},
		{45_678, "ns/op", "45.7 µs"}, {1_234_567, "lines/s", "1,234,567"},
	} {
		if got := figure(tc.v, tc.unit); got != tc.want {
			t.Errorf("figure(%v, %s) = %q, want %q", tc.v, tc.unit, got, tc.want)
		}
	}
	if got := latency(4631); got != "4.63 ms" {
		t.Errorf("latency(4631 µs) = %q", got)
	}
	if got := spread(roundRatios([]float64{3, 1, 2}, []float64{2, 2, 2})); got != "0.50–1.50x" {
		t.Errorf("spread = %q", got)
	}
	for _, tc := range []struct {
		a, b float64
		want bool
	}{{0.8, 1.9, true}, {1.2, 0.82, true}, {0.95, 1.9, false}, {1.5, 1.9, false}, {0.5, 0.9, false}} {
		if flipped(tc.a, tc.b) != tc.want {
			t.Errorf("flipped(%v, %v) != %v", tc.a, tc.b, tc.want)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-rounds", "0"}, "-rounds must be at least 1"},
		{[]string{"-only", "bench,tls"}, `-only "bench,tls"`},
		{[]string{"-conns", "50,x"}, `-conns "50,x"`},
		{[]string{"-benchtime", "1h"}, `-benchtime "1h"`},
		{[]string{"-size", "1"}, "-size must be at least 2"},
		{[]string{"-from", "a.txt", "-rounds", "2"}, "-from and -rounds do not go together"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, &stdout, &stderr, newFake())
		if code != 2 || !strings.Contains(stderr.String(), tc.want) || stdout.Len() != 0 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-rust", t.TempDir()}, &stdout, &stderr, newFake()); code != 1 || !strings.Contains(stderr.String(), "scripts/rust-build") {
		t.Errorf("without the Rust programs: exit %d, %q; want 1 and a pointer to scripts/rust-build", code, stderr.String())
	}
}

// The Go benchmark patterns select exactly the Go sides the table names,
// in the real test binaries: a benchmark renamed in csp or csp/async fails
// here, not in the middle of a measurement.
func TestGoBenchPatternsSelectEachSide(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the test binaries of csp and csp/async")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	progs := programs{goBin: dir}
	for name, pkg := range goTestPackages {
		if out, err := exec.Command("go", "-C", root, "test", "-c", "-o", progs.goTest(name), pkg).CombinedOutput(); err != nil {
			t.Fatalf("go test -c %s: %v\n%s", pkg, err, out)
		}
	}
	for _, p := range benchPairs {
		out, err := exec.Command(progs.goTest(p.goTest), "-test.run", "^$", "-test.bench", goBenchPattern(p), "-test.benchtime", "1x").CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", p.name, err, out)
		}
		samples, err := parseBenchOutput(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		var impls []string
		for _, s := range samples {
			if _, ok := s.value(p.unit); !ok || s.name != p.name {
				t.Errorf("%s: sample %s, want %s with %s", p.name, s, p.name, p.unit)
			}
			impls = append(impls, s.impl)
		}
		if !slices.Equal(impls, p.goImpls) {
			t.Errorf("%s: pattern %q ran %v, want %v", p.name, goBenchPattern(p), impls, p.goImpls)
		}
	}
}

// A page holds the sections of the parts its samples measured, and no
// empty table for the others.
func TestPageOfOnePart(t *testing.T) {
	var samples []sample
	for _, impl := range []string{"goroutines", "tasks", "tokio"} {
		samples = append(samples, sample{name: "H2O/n=1000", impl: impl, procs: 2, iters: 1, metrics: []metric{{1000, "ns/molecule"}}})
	}
	var b bytes.Buffer
	writeTables(&b, group(samples))
	if page := b.String(); !strings.HasPrefix(page, "## The water factory, 1,000 molecules\n") || strings.Count(page, "## ") != 1 {
		t.Errorf("the page of the water factory's samples alone is\n%s", page)
	}
}
