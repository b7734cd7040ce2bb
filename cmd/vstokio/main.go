// Command vstokio runs chansync and the tutorial's Rust programs (rust/)
// side by side, interleaved, and writes one page of figures: each
// tokio::sync and tokio::spawn benchmark beside its csp or csp/async
// counterpart, the water factory at 100,000 molecules (goroutines, tasks,
// tokio), and four echo servers under the same load (the tokio server, a
// task per client; Rust's thread per client; chansync's goroutine and
// reactor modes), with lines/s, p99 and the server's CPU time per line.
// echoload drives the connections of the -conns load points from a
// goroutine each (its default client), and those of the -thread-conns
// points from an OS thread each with blocking system calls (-client
// thread, the tutorial's client).
//
// Usage:
//
//	scripts/rust-build                                   # once: builds rust/ in release mode
//	go run ./cmd/vstokio -report docs/results/vs-tokio.md
//	go run ./cmd/vstokio -only bench -rounds 3 -raw part1.txt
//	go run ./cmd/vstokio -from part1.txt,part2.txt -report docs/results/vs-tokio.md
//
// It builds the Go side (cmd/h2o, cmd/echo, cmd/echoload and the test
// binaries of csp and csp/async) into a temporary folder and takes the
// Rust side from -rust (rust/target/release). Then, -rounds times, it runs
// every workload's sides one after the other, the first of them turning
// with the round, so that a drift of the machine falls on both: a Go
// benchmark (go test -bench, one run) and the same benchmark of
// bench-tokio; each factory once; each echo server, started fresh in its
// own process on a free loopback port, under echoload -json for -d, which
// reads the server's CPU time over the load (-server-pid). Every sample is
// shown on standard error as a Go benchmark line as it comes, and -raw
// FILE keeps them all (benchstat -col /impl FILE reads them). The page,
// medians of the rounds and the ratios of the Go side to tokio, goes to
// standard output and, with -report FILE, to FILE under a header naming
// the processor, the CPUs, the Go version, the date and the command.
//
// A whole run takes about 9 minutes at the defaults. To measure in parts,
// run -only with -raw for each, then -from to write the page from their
// samples; the page names each part's command and date.
package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/chansync/chansync/cmd/internal/cli"
	"github.com/chansync/chansync/cmd/internal/report"
	"github.com/chansync/chansync/internal/procfs"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, realSystem{}))
}

const synopsis = `usage:
  vstokio [-rounds 5] [-only bench,h2o,echo] [-benchtime 1s] [-n 100000] [-conns 50,1000] [-thread-conns 50] [-d 3s] [-size 64] [-rust DIR] [-raw FILE] [-report FILE]
  vstokio -from FILE[,FILE...] [-report FILE]

The Rust side is built once with scripts/rust-build (Debian's packaged
crates, offline). A whole run takes about 9 minutes; -only and -raw measure
it in parts, and -from writes the page from the parts' samples.`

const title = "chansync beside tokio: the tutorial's programs, interleaved"

var allParts = []string{"bench", "h2o", "echo"}

func run(args []string, stdout, stderr io.Writer, sys system) int {
	cmd := cli.New("vstokio",
		"vstokio runs chansync and the tutorial's Tokio programs side by side, interleaved, and writes the figures and their ratios.",
		synopsis)
	fs := cmd.Flags
	rounds := fs.Int("rounds", 5, "interleaved rounds: each workload's sides run once per round")
	only := fs.String("only", strings.Join(allParts, ","), "the parts to measure: bench, h2o and echo, comma-separated")
	benchtime := fs.String("benchtime", "1s", "each benchmark run's length, as go test's -benchtime (1s, 500ms, 1000x)")
	molecules := fs.Int("n", 100_000, "molecules of each water factory run")
	connList := fs.String("conns", "50,1000", "the echo load points with echoload's goroutine client: connections, comma-separated (empty for none)")
	threadConnList := fs.String("thread-conns", "50", "the echo load points with echoload's thread client (-client thread: an OS thread per connection, blocking system calls): connections, comma-separated (empty for none)")
	dur := fs.Duration("d", 3*time.Second, "how long echoload loads each echo server")
	size := fs.Int("size", 64, "echo line length in bytes, its newline included")
	rustDir := fs.String("rust", filepath.Join("rust", "target", "release"), "where scripts/rust-build put the Rust programs (relative to the module's root)")
	raw := fs.String("raw", "", "also write every sample to this file, as Go benchmark lines")
	from := fs.String("from", "", "measure nothing: write the page from the samples of these -raw files, comma-separated")
	reportFile := fs.String("report", "", "also write the page to this markdown file, under a header naming the machine, Go version, date and command")
	if code, ok := cmd.Parse(args, stdout, stderr); !ok {
		return code
	}
	if code, ok := cmd.NoArgs(stderr); !ok {
		return code
	}
	if code, ok := cmd.Check(stderr, cli.Conflict{Flag: "from",
		With: []string{"rounds", "only", "benchtime", "n", "conns", "thread-conns", "d", "size", "rust", "raw"},
		Why:  "-from measures nothing, it writes the page from samples measured before"}); !ok {
		return code
	}
	cfg := config{rounds: *rounds, benchtime: *benchtime, molecules: *molecules, duration: *dur, size: *size, parts: map[string]bool{}}
	for _, p := range strings.Split(*only, ",") {
		if !slices.Contains(allParts, p) {
			return cmd.Fail(stderr, "-only %q: want bench, h2o or echo, comma-separated", *only)
		}
		cfg.parts[p] = true
	}
	var ok bool
	if cfg.conns, ok = connCounts(*connList); !ok {
		return cmd.Fail(stderr, "-conns %q: want connection counts, comma-separated, or nothing", *connList)
	}
	if cfg.threadConns, ok = connCounts(*threadConnList); !ok {
		return cmd.Fail(stderr, "-thread-conns %q: want connection counts, comma-separated, or nothing", *threadConnList)
	}
	switch {
	case cfg.parts["echo"] && len(cfg.echoPoints()) == 0:
		return cmd.Fail(stderr, "-conns and -thread-conns are both empty: the echo part has no load point (leave echo out of -only)")
	case cfg.rounds < 1:
		return cmd.Fail(stderr, "-rounds must be at least 1, got %d", cfg.rounds)
	case !benchTime.MatchString(cfg.benchtime):
		return cmd.Fail(stderr, "-benchtime %q: want a time in s or ms (1s, 500ms) or a count (1000x)", cfg.benchtime)
	case cfg.molecules < 1:
		return cmd.Fail(stderr, "-n must be at least 1, got %d", cfg.molecules)
	case cfg.duration <= 0:
		return cmd.Fail(stderr, "-d must be positive, got %v", cfg.duration)
	case cfg.size < 2:
		return cmd.Fail(stderr, "-size must be at least 2 (a byte and the newline), got %d", cfg.size)
	}
	for _, f := range []string{*reportFile, *raw} {
		if f == "" {
			continue
		}
		if err := report.Check(f); err != nil {
			fmt.Fprintf(stderr, "vstokio: %v\n", err)
			return 1
		}
	}

	var parts []*rawFile
	if *from != "" {
		for _, name := range strings.Split(*from, ",") {
			f, err := readRawFile(name)
			if err != nil {
				fmt.Fprintf(stderr, "vstokio: %s: %v\n", name, err)
				return 1
			}
			parts = append(parts, f)
		}
	} else {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		f, err := measure(ctx, cfg, *rustDir, stderr, sys, args)
		if err != nil {
			fmt.Fprintf(stderr, "vstokio: %v\n", err)
			return 1
		}
		parts = append(parts, f)
		if *raw != "" {
			if err := writeRawFile(*raw, f); err != nil {
				fmt.Fprintf(stderr, "vstokio: %v\n", err)
				return 1
			}
		}
	}
	if model := procfs.CPUModel(); model != "" {
		for _, p := range parts {
			if p.cpu != model {
				fmt.Fprintf(stderr, "vstokio: the samples of `%s` were measured on %q, and this machine is %q: write the page where they were measured\n", p.command, p.cpu, model)
				return 1
			}
		}
	}

	var rep *report.Report
	out := stdout
	if *reportFile != "" {
		rep = report.New(*reportFile, title, "vstokio", args)
		out = rep.Tee(stdout)
	}
	writePage(out, parts, *from != "")
	if rep != nil {
		if err := rep.Write(); err != nil {
			fmt.Fprintf(stderr, "vstokio: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "vstokio: wrote %s\n", rep.Path())
	}
	return 0
}

// connCounts reads a comma-separated list of connection counts, each at
// least 1; the empty list is none.
func connCounts(list string) ([]int, bool) {
	if list == "" {
		return nil, true
	}
	var ns []int
	for _, c := range strings.Split(list, ",") {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 {
			return nil, false
		}
		ns = append(ns, n)
	}
	return ns, true
}

var benchTime = regexp.MustCompile(`^(\d+x|\d+(\.\d+)?(s|ms))$`)

// measure builds the Go side, checks the Rust side and runs cfg.
func measure(ctx context.Context, cfg config, rustDir string, log io.Writer, sys system, args []string) (*rawFile, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	if !filepath.IsAbs(rustDir) {
		rustDir = filepath.Join(root, rustDir)
	}
	progs := programs{rustBin: rustDir}
	for _, name := range rustPrograms {
		if _, err := os.Stat(progs.rust(name)); err != nil {
			return nil, fmt.Errorf("no %s: build the Rust side first with scripts/rust-build (%v)", name, err)
		}
	}
	if progs.goBin, err = os.MkdirTemp("", "vstokio-"); err != nil {
		return nil, err
	}
	defer os.RemoveAll(progs.goBin)
	fmt.Fprintf(log, "# building the Go side in %s\n", progs.goBin)
	build := []string{"go", "-C", root, "build", "-o", progs.goBin + string(filepath.Separator)}
	for _, c := range goCommands {
		build = append(build, "./cmd/"+c)
	}
	if _, err := sys.output(ctx, build); err != nil {
		return nil, err
	}
	for name, pkg := range goTestPackages {
		if _, err := sys.output(ctx, []string{"go", "-C", root, "test", "-c", "-o", progs.goTest(name), pkg}); err != nil {
			return nil, err
		}
	}
	rustc := "rustc (unknown version)"
	if out, err := sys.output(ctx, []string{progs.rust("bench-tokio"), "-version"}); err == nil {
		rustc = strings.TrimSpace(string(out))
	}

	fmt.Fprintf(log, "# %d rounds of %s; about %v\n", cfg.rounds, strings.Join(slices.Sorted(maps.Keys(cfg.parts)), ", "), about(estimate(cfg)))
	m := &measurer{cfg: cfg, sys: sys, progs: progs, log: log}
	if err := m.run(ctx); err != nil {
		return nil, err
	}
	return &rawFile{
		command: report.CommandLine("vstokio", args),
		date:    time.Now().UTC().Format("2006-01-02 15:04 MST"),
		cpu:     cmp.Or(procfs.CPUModel(), "unknown processor"),
		rust:    rustc + "; " + crateVersions(cargoLock(rustDir)),
		samples: m.samples,
	}, nil
}

// estimate is about how long cfg takes: two seconds a benchmark run (at
// -benchtime 1s), a second and a half a factory run, and a second beside
// each echo run.
func estimate(cfg config) time.Duration {
	var round time.Duration
	if cfg.parts["bench"] {
		per := 2 * time.Second
		if d, err := time.ParseDuration(cfg.benchtime); err == nil {
			per = 2 * d
		}
		round += time.Duration(2*len(benchPairs)) * per
	}
	if cfg.parts["h2o"] {
		round += time.Duration(len(h2oSides)) * 1500 * time.Millisecond * time.Duration(max(1, cfg.molecules/100_000))
	}
	if cfg.parts["echo"] {
		round += time.Duration(len(cfg.echoPoints())*len(echoServers)) * (cfg.duration + time.Second)
	}
	return time.Duration(cfg.rounds) * round
}

// about writes an estimate to the minute, or to the second below one.
func about(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(time.Minute)
}

// moduleRoot is the folder of the go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the chansync module: run vstokio from its checkout")
		}
		dir = parent
	}
}

// cargoLock is the lock file of the Cargo package whose release build is
// in rustDir (PACKAGE/target/release): cargo writes it when it builds, so
// it names the crate versions the programs were built from. A target
// folder that links to another checkout's build finds that checkout's.
func cargoLock(rustDir string) string {
	if real, err := filepath.EvalSymlinks(rustDir); err == nil {
		rustDir = real
	}
	return filepath.Join(rustDir, "..", "..", "Cargo.lock")
}

// crateVersions names the versions of tokio and futures in a Cargo.lock.
func crateVersions(lockFile string) string {
	b, err := os.ReadFile(lockFile)
	if err != nil {
		return "crate versions unknown"
	}
	var names []string
	for _, crate := range []string{"tokio", "futures"} {
		if m := regexp.MustCompile(`(?m)^name = "` + crate + `"\nversion = "([^"]+)"`).FindSubmatch(b); m != nil {
			names = append(names, crate+" "+string(m[1]))
		}
	}
	return strings.Join(names, ", ") + " (Debian's packaged crates)"
}

func readRawFile(name string) (*rawFile, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return readRaw(bytes.NewReader(b))
}

func writeRawFile(name string, f *rawFile) error {
	var b bytes.Buffer
	if err := f.write(&b); err != nil {
		return err
	}
	return os.WriteFile(name, b.Bytes(), 0o644)
}

// writePage writes the page's body: how it was measured, then the tables.
func writePage(w io.Writer, parts []*rawFile, fromParts bool) {
	var samples []sample
	for _, p := range parts {
		samples = append(samples, p.samples...)
	}
	fmt.Fprintf(w, "- Rust: %s\n", parts[0].rust)
	if fromParts {
		fmt.Fprintln(w, "- Measured in parts:")
		for _, p := range parts {
			fmt.Fprintf(w, "  - `%s` (%s)\n", p.command, p.date)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "In each round every workload runs its Go side and its tokio side one after the other, the first of them")
	fmt.Fprintln(w, "turning with the round. Go / tokio is the ratio of the medians; below 1 the Go side takes less time (or")
	fmt.Fprintln(w, "CPU) per operation. \"per round\" is the range of the ratio within each round.")
	fmt.Fprintln(w)
	writeTables(w, group(samples))
}
