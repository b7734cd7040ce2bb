package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// The workloads, in the order a round runs them.
var allWorkloads = []string{"h2o", "h2o-tasks", "echo-goroutine", "echo-reactor", "csp", "async"}

// parseWorkloads reads -w: names from allWorkloads, or all.
func parseWorkloads(s string) ([]string, error) {
	var ws []string
	for w := range strings.SplitSeq(s, ",") {
		w = strings.TrimSpace(w)
		switch {
		case w == "all":
			ws = append(ws, allWorkloads...)
		case slices.Contains(allWorkloads, w):
			ws = append(ws, w)
		default:
			return nil, fmt.Errorf("unknown workload %q (want %s or all)", w, strings.Join(allWorkloads, ", "))
		}
	}
	// The order of allWorkloads, each once.
	var out []string
	for _, w := range allWorkloads {
		if slices.Contains(ws, w) {
			out = append(out, w)
		}
	}
	return out, nil
}

func needsEcho(ws []string) bool {
	return slices.Contains(ws, "echo-goroutine") || slices.Contains(ws, "echo-reactor")
}

// A side is one of the two trees compared: the revision, checked out in a
// temporary worktree, or the working tree.
type side struct {
	label string // the revision's short hash, or "worktree"
	src   string // the tree
	bin   string // where its binaries go
	// The package directories (relative to src) whose test binaries were
	// built, by workload.
	pkgDir map[string]string
}

// benchPackages are the places a workload's benchmarks have lived, newest
// first: csp/async was internal/async, then async, before it moved under
// csp.
var benchPackages = map[string][]string{
	"csp":   {"csp"},
	"async": {"csp/async", "async", "internal/async"},
}

// build compiles what the workloads in o need.
func (s *side) build(ctx context.Context, o options, stderr io.Writer) error {
	if err := os.MkdirAll(s.bin, 0o755); err != nil {
		return err
	}
	s.pkgDir = map[string]string{}
	var cmds []string
	if slices.Contains(o.workloads, "h2o") || slices.Contains(o.workloads, "h2o-tasks") {
		cmds = append(cmds, "h2o")
	}
	if needsEcho(o.workloads) {
		cmds = append(cmds, "echo")
	}
	for _, c := range cmds {
		fmt.Fprintf(stderr, "benchcmp: building cmd/%s (%s)\n", c, s.label)
		if err := runBuild(ctx, o.buildCmd, s.src, "go", "build", "-o", filepath.Join(s.bin, c), "./cmd/"+c); err != nil {
			return err
		}
	}
	for _, w := range []string{"csp", "async"} {
		if !slices.Contains(o.workloads, w) {
			continue
		}
		dir := firstDir(s.src, benchPackages[w])
		if dir == "" {
			return fmt.Errorf("%s: none of %s exists", s.label, strings.Join(benchPackages[w], ", "))
		}
		fmt.Fprintf(stderr, "benchcmp: building the tests of %s (%s)\n", dir, s.label)
		if err := runBuild(ctx, o.buildCmd, s.src, "go", "test", "-c", "-o", filepath.Join(s.bin, w+".test"), "./"+dir); err != nil {
			return err
		}
		s.pkgDir[w] = dir
	}
	return nil
}

// firstDir returns the first of dirs that exists under root, or "".
func firstDir(root string, dirs []string) string {
	for _, d := range dirs {
		if fi, err := os.Stat(filepath.Join(root, d)); err == nil && fi.IsDir() {
			return d
		}
	}
	return ""
}

// job returns what measures workload w once on this side.
func (s *side) job(w string, o options, echoload string) (job, error) {
	switch w {
	case "h2o", "h2o-tasks":
		j := job{Kind: "h2o", Bin: filepath.Join(s.bin, "h2o"), Molecules: o.molecules, Runtime: "goroutines"}
		if w == "h2o-tasks" {
			j.Runtime = "tasks"
		}
		return j, nil
	case "echo-goroutine", "echo-reactor":
		return job{Kind: "echo", Bin: filepath.Join(s.bin, "echo"), Mode: strings.TrimPrefix(w, "echo-"),
			Echoload: echoload, Conns: o.echoConns, Duration: o.echoTime}, nil
	case "csp", "async":
		args := []string{"-test.run", "^$", "-test.bench", o.bench, "-test.benchtime", o.benchtime, "-test.count", "1"}
		if o.benchmem {
			args = append(args, "-test.benchmem")
		}
		return job{Kind: "bench", Bin: filepath.Join(s.bin, w+".test"), Dir: filepath.Join(s.src, s.pkgDir[w]),
			Pkg: w, Args: args}, nil
	}
	return job{}, fmt.Errorf("unknown workload %q", w)
}

// A step is one run of one workload on one side.
type step struct {
	workload string
	side     *side
}

// schedule orders count rounds of the workloads on the two sides and cuts
// them into batches of batch rounds, each of which one child process runs.
// In a round every workload runs on both sides back to back, and which
// side goes first alternates from round to round, so that neither side
// always follows the other (warm caches, a machine that speeds up or slows
// down) and no side runs its whole series before the other's.
func schedule(count, batch int, workloads []string, sides [2]*side) [][]step {
	var batches [][]step
	for round := range count {
		if round%batch == 0 {
			batches = append(batches, nil)
		}
		first, second := sides[0], sides[1]
		if round%2 == 1 {
			first, second = second, first
		}
		b := &batches[len(batches)-1]
		for _, w := range workloads {
			*b = append(*b, step{w, first}, step{w, second})
		}
	}
	return batches
}

// runBuild runs a build command in dir, behind prefix (-build-cmd).
func runBuild(ctx context.Context, prefix []string, dir, name string, args ...string) error {
	argv := append(slices.Clone(prefix), name)
	argv = append(argv, args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s in %s: %v\n%s", strings.Join(argv, " "), dir, err, out)
	}
	return nil
}

// output runs a command in dir and returns its standard output.
func output(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// roundFlag makes benchcmp run the jobs of one round, given as JSON, and
// print their results as JSON: each round is a process
// of its own, so that -measure-cmd can wrap it, and holds whatever that
// command takes (a lock) for one round only.
const roundFlag = "-run-round"

// measureRound runs jobs in a child benchcmp behind prefix (-measure-cmd)
// and returns the result lines of each.
func measureRound(ctx context.Context, prefix []string, self string, jobs []job) (roundResult, error) {
	var r roundResult
	spec, err := json.Marshal(jobs)
	if err != nil {
		return r, err
	}
	argv := append(slices.Clone(prefix), self, roundFlag, string(spec))
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return r, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal(out, &r); err != nil || len(r.Results) != len(jobs) {
		return r, fmt.Errorf("the round's child printed %q (%v)", out, err)
	}
	return r, nil
}
