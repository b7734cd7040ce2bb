package main

import (
	"bytes"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/chansync/chansync/cmd/internal/exectrace"
	"github.com/chansync/chansync/cmd/internal/progress"
	"github.com/chansync/chansync/cmd/internal/testutil"
	"github.com/chansync/chansync/h2o"
)

// TestMain doubles as the memory child when the program re-executes this
// test binary.
func TestMain(m *testing.M) {
	memoryChild.Become()
	goleak.VerifyTestMain(m)
}

func TestRunCorrect(t *testing.T) {
	for _, rt := range []string{"goroutines", "tasks"} {
		t.Run(rt, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run([]string{"-n", "30", "-seed", "7", "-runtime", rt}, &out, &errb); code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
			}
			got := out.String()
			if n := strings.Count(got, "bond "); n != 90 {
				t.Errorf("%d bonds printed, want 90", n)
			}
			if !strings.Contains(got, "molecule 30: ") || !strings.Contains(got, "check: ok") {
				t.Errorf("output lacks the last molecule or the verdict:\n%s", got)
			}
			if tasks := strings.Contains(got, "spawned at once as tasks"); tasks != (rt == "tasks") {
				t.Errorf("the header does not say which runtime ran:\n%s", got)
			}
		})
	}
}

// The tutorial's bugs show on tasks too: 1,000 molecules from a shuffled
// order make a wrong molecule (the deterministic proof is in package
// h2o's tests).
func TestRunTaskVariantsShowTheirBugs(t *testing.T) {
	for _, variant := range []string{"no-wait", "premature-release"} {
		var out, errb bytes.Buffer
		code := run([]string{"-n", "1000", "-seed", "3", "-runtime", "tasks", "-variant", variant}, &out, &errb)
		if code != 1 || !strings.Contains(out.String(), "check: FAILED: h2o: molecule ") {
			t.Errorf("%s: exit %d, want 1 with the checker's report\n%s", variant, code, errb.String())
		}
	}
}

func TestRunQuiet(t *testing.T) {
	for _, args := range [][]string{{"-runtime", "goroutines"}, {"-runtime", "tasks"}, {"-runtime", "tasks", "-workers", "1"}, {"-runtime", "tasks", "-current-thread"}} {
		var out, errb bytes.Buffer
		if code := run(append([]string{"-n", "1000", "-quiet"}, args...), &out, &errb); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, errb.String())
		}
		if lines := strings.Count(out.String(), "\n"); lines != 1 || !strings.Contains(out.String(), "molecules/s") {
			t.Fatalf("%q: quiet output %q, want one throughput line", args, out.String())
		}
	}
}

func TestRunFloor(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-n", "1000", "-floor"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	got := out.String()
	if strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "floor for 1000 molecules (3000 goroutines waiting on a gate) in ") || !strings.HasSuffix(got, " ns/molecule\n") {
		t.Fatalf("floor output %q, want one line with the time per molecule", got)
	}
}

// -memory: one line per run, and a waiting task costs a fraction of a
// waiting goroutine (whose stack alone is 2 KiB).
func TestRunMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("-memory reads /proc")
	}
	perAtom := map[string]float64{}
	for _, args := range [][]string{{}, {"-runtime", "tasks"}, {"-floor"}} {
		var out, errb bytes.Buffer
		if code := run(append([]string{"-n", "10000", "-memory"}, args...), &out, &errb); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, errb.String())
		}
		line := out.String()
		what, rest, ok := strings.Cut(strings.TrimPrefix(line, "memory per atom in flight, "), ": ")
		bytesPer, _, _ := strings.Cut(rest, " bytes (resident-set slope over 8 steps to 30000 atoms, ")
		v, err := strconv.ParseFloat(bytesPer, 64)
		if !ok || err != nil || strings.Count(line, "\n") != 1 {
			t.Fatalf("%q: output %q, want one line with the bytes per atom", args, line)
		}
		perAtom[what] = v
	}
	g, tasks, floor := perAtom["goroutines blocked in h2o.Water"], perAtom["tasks waiting in h2o.TaskWater"], perAtom["goroutines waiting on a gate"]
	if g < 2048 || floor < 2048 || tasks <= 0 || tasks > g/4 {
		t.Fatalf("bytes per atom: goroutines %.0f, floor %.0f, tasks %.0f; want at least a 2 KiB stack for a goroutine, and a task a small fraction of that", g, floor, tasks)
	}
	t.Logf("bytes per atom in flight: goroutines %.0f, floor %.0f, tasks %.0f", g, floor, tasks)
}

func TestHelp(t *testing.T) {
	for _, h := range []string{"-h", "-help"} {
		var out, errb bytes.Buffer
		code := run([]string{h}, &out, &errb)
		first, _, _ := strings.Cut(out.String(), "\n")
		if code != 0 || errb.Len() != 0 || !strings.HasPrefix(first, "h2o runs the tutorial's water factory") {
			t.Errorf("%s: exit %d, stderr %q, first line %q", h, code, errb.String(), first)
		}
		for _, want := range []string{"about 8 GB", "\n  -current-thread\n", "\n  -workers int\n"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s lacks %q:\n%s", h, want, out.String())
			}
		}
	}
}

// Bad values, and flags that do nothing in their company, fail at once in
// one line naming the problem.
func TestRunBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "-3"}, "-n must be at least 1"},
		{[]string{"-n", "0"}, "-n must be at least 1"},
		{[]string{"-variant", "ozone"}, `unknown -variant "ozone"`},
		{[]string{"-n", "x"}, `invalid value "x" for flag -n`},
		{[]string{"stray"}, `unexpected argument "stray"`},
		{[]string{"-runtime", "fibers"}, `unknown -runtime "fibers"`},
		{[]string{"-floor", "-variant", "no-wait"}, "-floor and -variant do not go together: -floor runs no factory"},
		{[]string{"-floor", "-variant", "correct"}, "-floor and -variant do not go together"},
		{[]string{"-floor", "-runtime", "tasks"}, "-floor and -runtime do not go together"},
		{[]string{"-floor", "-seed", "3"}, "-floor and -seed do not go together"},
		{[]string{"-floor", "-quiet"}, "-floor and -quiet do not go together"},
		{[]string{"-memory", "-variant", "premature-release"}, "-memory and -variant do not go together"},
		{[]string{"-memory", "-seed", "3"}, "-memory and -seed do not go together"},
		{[]string{"-memory", "-quiet"}, "-memory and -quiet do not go together"},
		{[]string{"-memory", "-n", "3"}, "-memory needs -n of at least 8"},
		{[]string{"-memory", "-runtime", "tasks", "-workers", "1"}, "-memory and -workers do not go together"},
		{[]string{"-runtime", "tasks", "-current-thread", "-memory"}, "-memory and -current-thread do not go together"},
		{[]string{"-workers", "1"}, "need -runtime tasks"},
		{[]string{"-workers", "0"}, "need -runtime tasks"},
		{[]string{"-runtime", "tasks", "-workers", "-1"}, "-workers must not be negative"},
		{[]string{"-current-thread"}, "need -runtime tasks"},
		{[]string{"-runtime", "tasks", "-current-thread", "-workers", "2"}, "-current-thread and -workers do not go together"},
		{[]string{"-floor", "-exectrace", "t.trace"}, "-floor and -exectrace do not go together"},
		{[]string{"-memory", "-exectrace", "t.trace"}, "-memory and -exectrace do not go together"},
		{[]string{"-exectrace", "/no/such/dir/t.trace"}, "-exectrace: open /no/such/dir/t.trace"},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		msg := errb.String()
		if code != 2 || out.Len() != 0 || !strings.HasPrefix(msg, "h2o: ") || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, tc.want) {
			t.Errorf("run(%q) = %d, stdout %q, stderr %q; want 2, nothing, one line saying %q", tc.args, code, out.String(), msg, tc.want)
		}
	}
}

// TestExecTrace: -exectrace writes a trace that go tool trace parses, in
// which, with -runtime tasks, each atom is a task with its polls as
// regions and its wakes logged, on either form of executor.
func TestExecTrace(t *testing.T) {
	for _, args := range [][]string{{"-runtime", "tasks"}, {"-runtime", "tasks", "-current-thread"}} {
		path := filepath.Join(t.TempDir(), "h2o.trace")
		var out, errb bytes.Buffer
		if code := run(append([]string{"-n", "30", "-exectrace", path}, args...), &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		if err := exectrace.Check(path, "tasks.go:", "poll", "wake"); err != nil {
			t.Fatal(err)
		}
		parsed, err := exectrace.Parsed(path)
		if err != nil {
			t.Fatal(err)
		}
		begins, ends, regions := strings.Count(parsed, " TaskBegin "), strings.Count(parsed, " TaskEnd "), strings.Count(parsed, ` RegionBegin `)
		if begins != 90 || ends != 90 || regions < 90 || !strings.Contains(parsed, `Category="wake"`) {
			t.Errorf("%v: %d tasks begun, %d ended, %d poll regions, wakes logged %v; want the 90 atoms, each polled, wakes logged",
				args, begins, ends, regions, strings.Contains(parsed, `Category="wake"`))
		}
		if args[len(args)-1] == "-current-thread" && !strings.Contains(parsed, `Message="by task `) {
			t.Errorf("on a current-thread executor no wake says which task woke it")
		}
	}
}

// The progress bar counts every molecule, on either runtime.
func TestProgressCountsMolecules(t *testing.T) {
	atoms := shuffledAtoms(1000, 5)
	for _, rt := range []string{"goroutines", "tasks"} {
		out := testutil.NewBuffer()
		meter := progress.Start(out, 1000, "molecules", 0)
		var err error
		if rt == "tasks" {
			_, err = reactTasks(taskVariants["correct"], 0, atoms, h2o.NewLog(), meter)
		} else {
			factory := variants["correct"]()
			_, err = react(factory, atoms, h2o.NewLog(), meter)
		}
		meter.Finish()
		if err != nil {
			t.Fatalf("%s: %v", rt, err)
		}
		if s := out.String(); !strings.Contains(s, "(1000/1000, ") || !strings.Contains(s, "100%") {
			t.Errorf("%s: the bar never reached 1000 molecules:\n%q", rt, s)
		}
	}
}
