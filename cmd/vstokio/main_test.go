package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chansync/chansync/internal/procfs"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeSystem answers every program vstokio runs with made-up output: the
// Go side of benchmark p in round k takes 200+k ns/op, tokio 100; the
// goroutine factory 9,000+k ns/molecule, tasks 3,000, tokio 4,000; each
// echo server echoes 1,000 lines at a CPU time per line of its own
// (reactor 8 µs, the others 5), with a p99 of 900 µs under the goroutine
// client and 300 µs under the thread client.
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
		client, p99 := cmp.Or(flag("-client"), "goroutine"), 900 // echoload's default client
		if client == "thread" {
			p99 = 300
		}
		return fmt.Appendf(nil, `{"client": %q, "lines": 1000, "lines_per_sec": %d, "p99_us": %d, "errors": {}, "served": %s, "server_cpu_us_per_line": %v}`,
			client, f.running.rate, p99, flag("-c"), f.running.cpuPerLine), nil
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
	cfg := config{rounds: 2, benchtime: "1x", molecules: 10, conns: []int{3}, threadConns: []int{2}, duration: time.Second, size: 64,
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
		"executor", "goroutine", "tokio", "goroutines", "tasks", "tokio",
		"tokio", "rust-threads", "goroutine", "reactor", "tokio", "rust-threads", "goroutine", "reactor",
		"tokio", "executor", "goroutine", "tasks", "tokio", "goroutines",
		"rust-threads", "goroutine", "reactor", "tokio", "rust-threads", "goroutine", "reactor", "tokio",
	}
	if !slices.Equal(order, want) {
		t.Errorf("the sides ran in the order\n%v, want\n%v", order, want)
	}
	for i, c := range f.calls {
		if strings.HasPrefix(c, "serve ") && (i+2 >= len(f.calls) || !strings.HasPrefix(f.calls[i+1], "echoload ") || f.calls[i+2] != "stop") {
			t.Errorf("call %d, %q, is not followed by one echoload and a stop:\n%s", i, c, strings.Join(f.calls, "\n"))
		}
		if strings.HasPrefix(c, "echoload ") && !strings.Contains(c, "-c 3 -d 1s -size 64 -client goroutine -server-pid 4343 -json") &&
			!strings.Contains(c, "-c 2 -d 1s -size 64 -client thread -server-pid 4343 -json") {
			t.Errorf("echoload called as %q", c)
		}
	}
	var echoNames []string
	for _, smp := range m.samples {
		if strings.HasPrefix(smp.name, "Echo") && !slices.Contains(echoNames, smp.name) {
			echoNames = append(echoNames, smp.name)
		}
	}
	if want := []string{"Echo/conns=3/size=64", "Echo/conns=2/size=64/client=thread"}; !slices.Equal(echoNames, want) {
		t.Errorf("echo workloads %q, want %q", echoNames, want)
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
	if got := r.values("Echo/conns=2/size=64/client=thread", "tokio", "p99-us"); !slices.Equal(got, []float64{300, 300}) {
		t.Errorf("tokio's p99 under the thread client %v, want the thread client's 300 µs twice", got)
	}
	// Per round: a tokio sample and one or two Go samples per benchmark,
	// one per factory, one per server at each of the two echo points.
	if n, want := len(m.samples), 2*(2*len(benchPairs)+2+len(h2oSides)+2*len(echoServers)); n != want {
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
		// -thread-conns 50 by default: the same servers under the thread client, after the goroutine client's section.
		"| 8.00 µs | 0.90x | 1.60x | 1.2–1.5x |\n\n## Echo, 50 connections, 64-byte lines, thread client (an OS thread per connection)\n\n" +
			"Each server in its own process, loaded by `cmd/echoload -client thread -server-pid`",
		"| chansync, reactor mode (`cmd/echo -mode reactor`) | 90,000 | 300 µs | 8.00 µs | 0.90x | 1.60x |  |\n",
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
	for _, want := range []string{
		"\nBenchmarkEcho/conns=50/size=64/impl=reactor-2\t1000\t90000 lines/s\t900 p99-us\t8 cpu-us/line\n",
		"\nBenchmarkEcho/conns=50/size=64/client=thread/impl=reactor-2\t1000\t90000 lines/s\t300 p99-us\t8 cpu-us/line\n",
	} {
		if !strings.Contains(string(rawText), want) {
			t.Errorf("the samples file lacks the reactor's echo sample %q:\n%s", want, rawText)
		}
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
		{[]string{"-conns", "50,"}, `-conns "50,"`},
		{[]string{"-thread-conns", "x"}, `-thread-conns "x": want connection counts`},
		{[]string{"-thread-conns", "50,0"}, `-thread-conns "50,0"`},
		{[]string{"-thread-conns", " 50"}, `-thread-conns " 50"`},
		{[]string{"-only", "echo", "-conns", "", "-thread-conns", ""}, "the echo part has no load point"},
		{[]string{"-from", "a.txt", "-thread-conns", "50"}, "-from and -thread-conns do not go together"},
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

// An echo point's name reads back as the same point, the goroutine
// client's with no client= element (as in the samples measured before the
// thread client was); a name of another shape is no point.
func TestEchoNames(t *testing.T) {
	for _, tc := range []struct {
		point echoPoint
		name  string
	}{
		{echoPoint{50, 64, clientGoroutine}, "Echo/conns=50/size=64"},
		{echoPoint{1000, 64, clientGoroutine}, "Echo/conns=1000/size=64"},
		{echoPoint{50, 64, clientThread}, "Echo/conns=50/size=64/client=thread"},
		{echoPoint{3, 4096, clientThread}, "Echo/conns=3/size=4096/client=thread"},
	} {
		if got := tc.point.name(); got != tc.name {
			t.Errorf("%+v named %q, want %q", tc.point, got, tc.name)
		}
		if p, ok := parseEchoName(tc.name); !ok || p != tc.point {
			t.Errorf("parseEchoName(%q) = %+v, %v; want %+v", tc.name, p, ok, tc.point)
		}
		// And through a benchmark line, as -raw writes it and -from reads it.
		line := sample{name: tc.point.name(), impl: "reactor", procs: 2, iters: 10, metrics: []metric{{1, "lines/s"}}}.String()
		s, ok, err := parseBenchLine(line)
		if p, pok := parseEchoName(s.name); err != nil || !ok || !pok || p != tc.point || s.impl != "reactor" {
			t.Errorf("%q read back as %+v (%q, impl %q), %v, %v", line, p, s.name, s.impl, ok, err)
		}
	}
	for _, name := range []string{
		"Echo/conns=50", "Echo/conns=50/size=64/client=thread/x", "Echo/conns=x/size=64", "Echo/conns=0/size=64",
		"Echo/size=64/conns=50", "Echo/conns=50/size=64/client=", "Echo/conns=50/size=64/client=goroutine",
		"Echo/conns=50/size=64/client=fibre", "Echo/conns=50/size=64/pipeline=4", "H2O/n=100000",
	} {
		if p, ok := parseEchoName(name); ok {
			t.Errorf("parseEchoName(%q) = %+v, want no point", name, p)
		}
	}
}

// The page's section for the thread client's point stands apart from the
// goroutine client's at the same connections, after it, and says which
// client loaded the servers; a run's points are what the flags name.
func TestThreadClientSection(t *testing.T) {
	var samples []sample
	for _, tc := range []struct {
		name      string
		tokio     float64 // lines/s
		goroutine float64
		p99       float64
	}{
		{"Echo/conns=50/size=64/client=thread", 40_000, 30_000, 2500},
		{"Echo/conns=50/size=64", 100_000, 80_000, 700},
		{"Echo/conns=1000/size=64", 90_000, 85_000, 9000},
	} {
		for i := range 3 { // three rounds: medians of 0.9, 1 and 1.1 times the figure
			f := 0.9 + 0.1*float64(i)
			samples = append(samples,
				sample{name: tc.name, impl: "tokio", procs: 2, iters: 1, metrics: []metric{{tc.tokio * f, "lines/s"}, {tc.p99, "p99-us"}, {4, "cpu-us/line"}}},
				sample{name: tc.name, impl: "goroutine", procs: 2, iters: 1, metrics: []metric{{tc.goroutine * f, "lines/s"}, {tc.p99, "p99-us"}, {6, "cpu-us/line"}}})
		}
	}
	var b bytes.Buffer
	writeTables(&b, group(samples))
	page := b.String()
	want := "## Echo, 50 connections, 64-byte lines\n\n" +
		"Each server in its own process, loaded by `cmd/echoload -client goroutine -server-pid` (closed loop, one line in\n" +
		"flight per connection). Each connection is driven by a goroutine of its own, waiting in Go's netpoller.\n" +
		"echoload also reads the server's CPU time (user and system) over the load, per line echoed.\n" +
		"Medians of the rounds; the ratios are to the tokio server's medians.\n\n" +
		"| server | lines/s | p99 | server CPU per line | lines/s ÷ tokio | CPU per line ÷ tokio | Xeon, issue 28: CPU ÷ tokio |\n" +
		"|---|---:|---:|---:|---:|---:|---:|\n" +
		"| tokio, a task per client (2 workers) | 100,000 | 700 µs | 4.00 µs | 1.00x | 1.00x |  |\n" +
		"| chansync, goroutine mode (`cmd/echo`) | 80,000 | 700 µs | 6.00 µs | 0.80x | 1.50x |  |\n\n" +
		"## Echo, 50 connections, 64-byte lines, thread client (an OS thread per connection)\n\n" +
		"Each server in its own process, loaded by `cmd/echoload -client thread -server-pid` (closed loop, one line in\n" +
		"flight per connection). Each connection is driven by an OS thread of its own with blocking read and write system calls, as the tutorial's client does.\n" +
		"echoload also reads the server's CPU time (user and system) over the load, per line echoed.\n" +
		"Medians of the rounds; the ratios are to the tokio server's medians.\n\n" +
		"| server | lines/s | p99 | server CPU per line | lines/s ÷ tokio | CPU per line ÷ tokio | Xeon, issue 28: CPU ÷ tokio |\n" +
		"|---|---:|---:|---:|---:|---:|---:|\n" +
		"| tokio, a task per client (2 workers) | 40,000 | 2.50 ms | 4.00 µs | 1.00x | 1.00x |  |\n" +
		"| chansync, goroutine mode (`cmd/echo`) | 30,000 | 2.50 ms | 6.00 µs | 0.75x | 1.50x |  |\n\n" +
		"## Echo, 1000 connections, 64-byte lines\n\n"
	if !strings.HasPrefix(page, want) {
		t.Errorf("the echo sections are\n%s\nwant them to begin\n%s", page, want)
	}
	if n := strings.Count(page, "thread client"); n != 1 {
		t.Errorf("%d sections name the thread client, want 1:\n%s", n, page)
	}
}

// A raw file from before the thread client (no client= workloads) still
// gives its page, with no thread client section.
func TestOldRawFileWithoutThreadClient(t *testing.T) {
	raw := filepath.Join(t.TempDir(), "old.txt")
	old := "# vstokio samples; benchstat -col /impl reads them\n" +
		"# command: vstokio -only echo -rounds 1\n# date: 2026-12-06 10:00 UTC\n# rust: rustc 1.95.0; tokio 1.24.2, futures 0.3.21 (Debian's packaged crates)\n" +
		"cpu: " + cmp.Or(procfs.CPUModel(), "unknown processor") + "\n" +
		"BenchmarkEcho/conns=50/size=64/impl=tokio-2\t1000\t50000 lines/s\t1200 p99-us\t5 cpu-us/line\n" +
		"BenchmarkEcho/conns=50/size=64/impl=reactor-2\t1000\t45000 lines/s\t1100 p99-us\t5.5 cpu-us/line\n"
	if err := os.WriteFile(raw, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-from", raw}, &stdout, &stderr, newFake()); code != 0 {
		t.Fatalf("-from an old file: exit %d\n%s", code, stderr.String())
	}
	page := stdout.String()
	for _, want := range []string{
		"## Echo, 50 connections, 64-byte lines\n",
		"| chansync, reactor mode (`cmd/echo -mode reactor`) | 45,000 | 1.10 ms | 5.50 µs | 0.90x | 1.10x | 1.2–1.5x |\n",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "thread client") {
		t.Errorf("a page without thread client samples has a thread client section:\n%s", page)
	}
}

// -conns and -thread-conns choose the echo points measured, each with its
// client, and the estimate counts the thread client's.
func TestEchoPointFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string // echoload's -c and -client of each point, in round 1
	}{
		{nil, []string{"-c 50 -client goroutine", "-c 1000 -client goroutine", "-c 50 -client thread"}},
		{[]string{"-thread-conns", ""}, []string{"-c 50 -client goroutine", "-c 1000 -client goroutine"}},
		{[]string{"-conns", "", "-thread-conns", "50,200"}, []string{"-c 50 -client thread", "-c 200 -client thread"}},
		{[]string{"-conns", "7"}, []string{"-c 7 -client goroutine", "-c 50 -client thread"}},
	} {
		f := newFake()
		var stdout, stderr bytes.Buffer
		args := append([]string{"-rounds", "1", "-only", "echo", "-d", "1s", "-rust", fakeRust(t)}, tc.args...)
		if code := run(args, &stdout, &stderr, f); code != 0 {
			t.Fatalf("%q: exit %d\n%s", tc.args, code, stderr.String())
		}
		var got []string
		for _, c := range f.calls {
			if !strings.HasPrefix(c, "echoload ") {
				continue
			}
			fs := strings.Fields(c)
			point := fs[slices.Index(fs, "-c")] + " " + fs[slices.Index(fs, "-c")+1] + " -client " + fs[slices.Index(fs, "-client")+1]
			if len(got) == 0 || got[len(got)-1] != point {
				got = append(got, point)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q measured the points %q, want %q", tc.args, got, tc.want)
		}
	}
	cfg := config{rounds: 3, duration: 2 * time.Second, conns: []int{50, 1000}, parts: map[string]bool{"echo": true}}
	without := estimate(cfg)
	cfg.threadConns = []int{50}
	if got, want := estimate(cfg)-without, time.Duration(3*len(echoServers))*3*time.Second; got != want {
		t.Errorf("the thread client's point adds %v to the estimate, want %v (3 rounds of %d servers, 2s and a second each)", got, want, len(echoServers))
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

func TestAbout(t *testing.T) {
	for _, tc := range []struct{ d, want time.Duration }{
		{24*time.Second + 300*time.Millisecond, 24 * time.Second},
		{59 * time.Second, 59 * time.Second},
		{522500 * time.Millisecond, 9 * time.Minute}, // the defaults' 8.7 minutes
		{90 * time.Second, 2 * time.Minute},
	} {
		if got := about(tc.d); got != tc.want {
			t.Errorf("about(%v) = %v, want %v", tc.d, got, tc.want)
		}
	}
	cfg := config{rounds: 1, duration: 2 * time.Second, conns: []int{50}, threadConns: []int{50}, parts: map[string]bool{"echo": true}}
	if got := about(estimate(cfg)); got != 24*time.Second {
		t.Errorf("a round of two echo points of 2s is about %v, want 24s", got)
	}
	// The defaults' estimate is what the synopsis says a whole run takes.
	defaults := config{rounds: 5, benchtime: "1s", molecules: 100_000, conns: []int{50, 1000}, threadConns: []int{50},
		duration: 3 * time.Second, size: 64, parts: map[string]bool{"bench": true, "h2o": true, "echo": true}}
	if whole := fmt.Sprintf("about %d minutes", int(about(estimate(defaults)).Minutes())); !strings.Contains(synopsis, whole) {
		t.Errorf("the defaults take %s (%v), and the synopsis says otherwise:\n%s", whole, estimate(defaults), synopsis)
	}
}

// The crate versions come from the lock file of the build the programs
// are in, also when the target folder links to another checkout's.
func TestCrateVersionsThroughLinkedTarget(t *testing.T) {
	release := fakeRust(t) // PKG/target/release, beside PKG/Cargo.lock
	want := "tokio 9.8.7, futures 0.9.8 (Debian's packaged crates)"
	if got := crateVersions(cargoLock(release)); got != want {
		t.Errorf("crate versions %q, want %q", got, want)
	}
	checkout := filepath.Join(t.TempDir(), "rust") // a package without a build or lock file of its own
	if err := os.MkdirAll(checkout, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Dir(release), filepath.Join(checkout, "target")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if got := crateVersions(cargoLock(filepath.Join(checkout, "target", "release"))); got != want {
		t.Errorf("through a linked target folder: crate versions %q, want %q", got, want)
	}
}
