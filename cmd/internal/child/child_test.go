package child

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The test binary doubles as the children the tests start.
func TestMain(m *testing.M) {
	serving.Become()
	measuring.Become()
	goleak.VerifyTestMain(m)
}

// serving is a child that runs beside the test, told by its spec how to
// behave.
var serving = Role{Env: "CHILD_TEST_SERVING", Prog: "childtest", Main: serve}

func serve(ctx context.Context, spec string, stdout io.Writer) error {
	how, arg, _ := strings.Cut(spec, " ")
	switch how {
	case "ready": // the well-behaved server: ready, then serves until told to end
		fmt.Fprintln(stdout, "ready")
		<-ctx.Done()
	case "chatty": // a ready line in pieces, then far more than a pipe holds
		fmt.Fprint(stdout, "rea")
		fmt.Fprint(stdout, "dy\r\nand then")
		stdout.Write(make([]byte, 1<<20))
		<-ctx.Done()
	case "exit3": // dies before it is ready
		os.Exit(3)
	case "stubborn": // ready, but deaf to its cue to end
		fmt.Fprintln(stdout, "ready")
		time.Sleep(time.Hour)
	case "silent": // never ready; says where it is in the file arg
		if err := os.WriteFile(arg, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			return err
		}
		time.Sleep(time.Hour)
	default:
		return fmt.Errorf("unknown spec %q", spec)
	}
	return nil
}

// measuring is a child that measures once and reports.
var measuring = Role{Env: "CHILD_TEST_MEASURING", Prog: "childtest", Main: Measure(measure)}

type measurement struct {
	Spec string `json:"spec"`
	PID  int    `json:"pid"`
}

func measure(spec string) (measurement, error) {
	switch spec {
	case "fail":
		return measurement{}, errors.New("told to fail")
	case "sleep":
		time.Sleep(time.Hour)
	}
	return measurement{Spec: spec, PID: os.Getpid()}, nil
}

func TestRunDecodesWhatTheChildMeasured(t *testing.T) {
	var got measurement
	if err := measuring.Run(context.Background(), "hello", &got); err != nil {
		t.Fatal(err)
	}
	if got.Spec != "hello" || got.PID == 0 || got.PID == os.Getpid() {
		t.Fatalf("decoded %+v; want the spec back from a process other than this one", got)
	}
	checkGone(t, got.PID)
}

func TestRunReportsAFailingChild(t *testing.T) {
	var got measurement
	err := measuring.Run(context.Background(), "fail", &got)
	if err == nil || !strings.Contains(err.Error(), "CHILD_TEST_MEASURING=fail: exit status 1: childtest: told to fail") {
		t.Fatalf("Run of a failing child = %v; want its status and its stderr", err)
	}
}

func TestRunKillsTheChildWhenCtxEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var got measurement
	if err := measuring.Run(ctx, "sleep", &got); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run past its deadline = %v; want context.DeadlineExceeded", err)
	}
}

func TestStartWaitsForTheReadyLine(t *testing.T) {
	p, ready, err := serving.Start(context.Background(), "ready")
	if err != nil {
		t.Fatal(err)
	}
	pid := p.cmd.Process.Pid
	if ready != "ready" {
		t.Errorf("ready line %q, want %q", ready, "ready")
	}
	if runtime.GOOS == "linux" {
		if rss, err := p.RSSKiB(); err != nil || rss <= 0 {
			t.Errorf("RSSKiB = %v, %v; want the running child's resident set", rss, err)
		}
		// A Go program has used some CPU by the time it prints a line.
		if cpu, err := p.CPUTime(); err != nil || cpu <= 0 {
			t.Errorf("CPUTime = %v, %v; want the running child's CPU time", cpu, err)
		}
	}
	if err := p.Stop(time.Minute); err != nil {
		t.Fatalf("Stop = %v; want the child to end on its own, status 0", err)
	}
	checkGone(t, pid)
	if err := p.Stop(time.Minute); err != nil {
		t.Fatalf("a second Stop = %v; want the same nil", err)
	}
}

// What a child prints after its ready line never blocks it: Stop finds it
// listening for its cue, not stuck on a full pipe.
func TestStartDiscardsWhatFollowsTheReadyLine(t *testing.T) {
	p, ready, err := serving.Start(context.Background(), "chatty")
	if err != nil {
		t.Fatal(err)
	}
	if ready != "ready" {
		t.Errorf("ready line %q, want %q without its line ending", ready, "ready")
	}
	if err := p.Stop(time.Minute); err != nil {
		t.Fatalf("Stop = %v; want the child to end on its own, status 0", err)
	}
}

func TestStartReportsAChildThatDiesFirst(t *testing.T) {
	p, _, err := serving.Start(context.Background(), "exit3")
	if p != nil || err == nil || !strings.Contains(err.Error(), "CHILD_TEST_SERVING=exit3 exited before its ready line: exit status 3") {
		t.Fatalf("Start = %v, %v; want no process and how the child ended", p, err)
	}
}

func TestStopKillsAChildThatWillNotEnd(t *testing.T) {
	p, _, err := serving.Start(context.Background(), "stubborn")
	if err != nil {
		t.Fatal(err)
	}
	pid := p.cmd.Process.Pid
	if err := p.Stop(50 * time.Millisecond); err == nil {
		t.Fatal("Stop of a child deaf to its cue = nil; want the error of a killed process")
	}
	checkGone(t, pid)
}

func TestStartKillsAChildThatIsNeverReady(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pids := make(chan int, 1)
	go func() {
		defer cancel()
		pids <- waitForPID(pidFile)
	}()
	p, _, err := serving.Start(ctx, "silent "+pidFile)
	if p != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Start = %v, %v; want no process and context.Canceled", p, err)
	}
	pid := <-pids
	if pid == 0 {
		t.Fatal("the child never wrote its pid")
	}
	checkGone(t, pid)
}

// waitForPID waits up to a minute for the silent child to write its pid,
// and returns it, or 0.
func waitForPID(path string) int {
	for range 6000 {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			pid, _ := strconv.Atoi(string(b))
			return pid
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0
}

// checkGone fails the test if process pid still exists: nothing a child
// was may outlive the call that ended it. Only Linux shows it, in /proc.
func checkGone(t *testing.T, pid int) {
	t.Helper()
	if runtime.GOOS != "linux" {
		return
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("process %d is still there (%v)", pid, err)
	}
}

func TestFirstLineSendsOneLine(t *testing.T) {
	lines := make(chan string, 1)
	w := &firstLine{line: lines}
	for _, s := range []string{"listen", "ing 127.0.0.1:80\r", "\nmore\n", "and more\n"} {
		if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v; want all of it taken", s, n, err)
		}
	}
	if got := <-lines; got != "listening 127.0.0.1:80" {
		t.Errorf("line %q, want the first one without its line ending", got)
	}
	select {
	case extra := <-lines:
		t.Errorf("a second line %q was sent", extra)
	default:
	}
}
