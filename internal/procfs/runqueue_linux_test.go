package procfs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// spinEnv makes the test binary a child with as many threads as its value
// says, each locked to its goroutine and parked. It prints "ready"; told
// "spin" on its standard input, it has every thread spin for spinCPU of
// its own CPU time at once, prints "spun", and keeps the threads (parked
// again) until its standard input closes.
const spinEnv = "PROCFS_TEST_SPIN"

const spinCPU = 50 * time.Millisecond

// becomeSpinner is the child's whole life, in a process started with
// spinEnv; in any other it returns at once.
func becomeSpinner() {
	threads, err := strconv.Atoi(os.Getenv(spinEnv))
	if err != nil {
		return
	}
	// A processor for every thread, and one for this goroutine, so that
	// all of them are runnable at once as far as the kernel can see.
	runtime.GOMAXPROCS(threads + 1)
	parked := make(chan struct{})
	start := make(chan struct{})
	spun := make(chan struct{})
	for range threads {
		go func() {
			// Locked and never unlocked: the thread, and the wait the
			// kernel keeps in it, lives until the process exits.
			runtime.LockOSThread()
			parked <- struct{}{}
			<-start
			burn(burn(0) + spinCPU)
			spun <- struct{}{}
			select {}
		}()
	}
	for range threads {
		<-parked
	}
	// Standard input is read through the netpoller rather than by a
	// thread blocked in read(2), which would keep the runtime's monitor
	// thread waking every 10 ms: with every goroutine parked, every
	// thread of an idle child sleeps.
	if err := syscall.SetNonblock(0, true); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	in := bufio.NewReader(os.NewFile(0, "stdin"))
	fmt.Println("ready")
	if line, _ := in.ReadString('\n'); line == "spin\n" {
		close(start)
		for range threads {
			<-spun
		}
		fmt.Println("spun")
		in.ReadString('\n') // until the parent closes it
	}
	os.Exit(0)
}

// A child with twice as many threads spinning as there are processors
// waits for them, and next to it an idle child with as many threads, all
// parked, waits far less. No thread of either exits.
func TestRunQueueWaitOfSpinningThreads(t *testing.T) {
	threads := 2 * runtime.NumCPU()
	spin := spinEnv + "=" + strconv.Itoa(threads)
	busy, idle := startChild(t, spin), startChild(t, spin)
	busy.expect(t, "ready")
	idle.expect(t, "ready")
	// Until their threads have all parked, the children's start-up could
	// wait behind the spinners and count as the idle child's wait.
	waitAsleep(t, busy.pid)
	waitAsleep(t, idle.pid)
	read := func() (busyWait, idleWait time.Duration) {
		t.Helper()
		var err, idleErr error
		busyWait, err = RunQueueWait(busy.pid)
		idleWait, idleErr = RunQueueWait(idle.pid)
		if err != nil || idleErr != nil {
			t.Fatalf("RunQueueWait: %v; of the idle child: %v", err, idleErr)
		}
		return busyWait, idleWait
	}
	busyBefore, idleBefore := read()
	before := time.Now()
	if _, err := io.WriteString(busy.stdin, "spin\n"); err != nil {
		t.Fatal(err)
	}
	busy.expect(t, "spun")
	busyAfter, idleAfter := read()
	elapsed := time.Since(before)
	busyThreads, err := os.ReadDir("/proc/" + strconv.Itoa(busy.pid) + "/task")
	if err != nil {
		t.Fatal(err)
	}

	busyWait, idleWait := busyAfter-busyBefore, idleAfter-idleBefore
	t.Logf("%d threads spinning %v each on %d processors waited %v; the idle child %v", threads, spinCPU, runtime.NumCPU(), busyWait, idleWait)
	if busyWait <= 0 {
		t.Errorf("%d threads spinning on %d processors waited %v", threads, runtime.NumCPU(), busyWait)
	}
	if idleWait < 0 || idleWait*4 >= busyWait {
		t.Errorf("the idle child waited %v, the spinning one %v; want the idle one's far less", idleWait, busyWait)
	}
	// No thread can wait longer than the time between the readings.
	if limit := time.Duration(len(busyThreads)) * elapsed; busyWait > limit {
		t.Errorf("the spinning child's %d threads waited %v within %v", len(busyThreads), busyWait, elapsed)
	}
}

// waitAsleep returns once no thread of process pid is running or
// runnable.
func waitAsleep(t *testing.T, pid int) {
	t.Helper()
	task := "/proc/" + strconv.Itoa(pid) + "/task/"
	for {
		threads, err := os.ReadDir(task)
		if err != nil {
			t.Fatal(err)
		}
		running := false
		for _, thread := range threads {
			// The state is the first field after the command's name, in
			// parentheses that may hold parentheses of their own.
			b, err := os.ReadFile(task + thread.Name() + "/stat")
			if err != nil {
				t.Fatal(err)
			}
			i := bytes.LastIndexByte(b, ')')
			if i < 0 || i+2 >= len(b) {
				t.Fatalf("%s%s/stat: %q", task, thread.Name(), b)
			}
			running = running || b[i+2] == 'R'
		}
		if !running {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// The caller's wait grows or stays, read as Self or by its pid, while its
// threads (none of which exits) are kept busy in between.
func TestRunQueueWaitOfSelfNeverFalls(t *testing.T) {
	last, err := RunQueueWait(Self)
	if err != nil {
		t.Fatal(err)
	}
	first := last
	for i := range 60 {
		done := make(chan struct{})
		for range runtime.NumCPU() + 1 {
			go func() {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				burn(burn(0) + time.Millisecond)
				done <- struct{}{}
			}()
		}
		for range runtime.NumCPU() + 1 {
			<-done
		}
		pid := Self
		if i%2 == 1 {
			pid = os.Getpid()
		}
		now, err := RunQueueWait(pid)
		if err != nil {
			t.Fatal(err)
		}
		if now < last {
			t.Fatalf("reading %d (pid %d): the wait fell from %v to %v", i, pid, last, now)
		}
		last = now
	}
	t.Logf("waited %v over the test, %v in all", last-first, last)
	if last <= 0 {
		t.Errorf("the test process has waited %v for a processor in all its life", last)
	}
}

// The sum is over every thread listed, a thread gone between the listing
// and its reading left out; a thread's malformed schedstat is an error
// naming the file; a process whose threads are all gone, or whose task
// directory is, is no process.
func TestRunQueueWaitSumsThreads(t *testing.T) {
	dir := t.TempDir()
	for tid, line := range map[string]string{"100": "10 1000 1\n", "101": "20 2500 3\n", "102": "", "103": "0 7 1\n"} {
		if err := os.Mkdir(filepath.Join(dir, tid), 0o755); err != nil {
			t.Fatal(err)
		}
		if line != "" { // 102 has exited
			if err := os.WriteFile(filepath.Join(dir, tid, "schedstat"), []byte(line), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if wait, onCPU, err := runQueueWait(dir); wait != 3507 || onCPU != 30 || err != nil {
		t.Errorf("runQueueWait = %v, %v, %v; want 3.507µs, 30ns", wait, onCPU, err)
	}

	bad := filepath.Join(dir, "101", "schedstat")
	if err := os.WriteFile(bad, []byte("20 2500\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runQueueWait(dir); err == nil || !strings.HasPrefix(err.Error(), bad+": schedstat ") {
		t.Errorf("with a malformed schedstat, runQueueWait: %v; want an error naming %s", err, bad)
	}

	empty := filepath.Join(dir, "102")
	if _, _, err := runQueueWait(empty); !errors.Is(err, unix.ESRCH) {
		t.Errorf("runQueueWait of a task directory with no thread left: %v; want no such process", err)
	}
	if _, _, err := runQueueWait(filepath.Join(dir, "missing")); !errors.Is(err, unix.ESRCH) {
		t.Errorf("runQueueWait of a missing task directory: %v; want no such process", err)
	}
}

func TestRunQueueWaitOfNoProcess(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	// The child has exited and been reaped.
	pid := cmd.Process.Pid
	for _, pid := range []int{pid, -1, 1 << 28, 1 << 40} {
		want := "process " + strconv.Itoa(pid) + ": no such process"
		if d, err := RunQueueWait(pid); !errors.Is(err, unix.ESRCH) || err.Error() != want {
			t.Errorf("RunQueueWait(%d) = %v, %v; want %s", pid, d, err, want)
		}
	}
}
