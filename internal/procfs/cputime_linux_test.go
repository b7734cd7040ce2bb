package procfs

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// burnEnv makes the test binary a child that burns CPU on a thread that
// then exits, prints that thread's CPU time and its own, and waits for
// its standard input to close.
const burnEnv = "PROCFS_TEST_BURN"

// becomeBurner is the child's whole life, in a process started with
// burnEnv; in any other it returns at once.
func becomeBurner() {
	if os.Getenv(burnEnv) == "" {
		return
	}
	thread := make(chan time.Duration)
	go func() {
		// Locked and never unlocked: the thread exits with the goroutine.
		runtime.LockOSThread()
		thread <- burn(100 * time.Millisecond)
	}()
	dead := <-thread
	own, err := CPUTime(Self)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d %d\n", dead, own)
	bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes it
	os.Exit(0)
}

// burn spins until the calling thread has used d of CPU, and returns the
// thread's CPU time.
func burn(d time.Duration) time.Duration {
	var ts unix.Timespec
	for {
		if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
			panic(err)
		}
		if t := time.Duration(ts.Nano()); t >= d {
			return t
		}
	}
}

// The CPU time read for another process is that process's: its own
// reading and its exited thread's time are in it, and /proc/PID/stat,
// read independently, gives the same total to within its clock ticks
// (whose length userHZ gives, so that it is checked too).
func TestCPUTimeOfAnotherProcess(t *testing.T) {
	c := startChild(t, burnEnv+"=1")
	var dead, own time.Duration
	_, scanErr := fmt.Fscan(c.out, &dead, &own)

	// The child now waits on its standard input and uses no CPU.
	got, err := CPUTime(c.pid)
	ticks, statErr := statTicks(c.pid)
	self, selfErr := CPUTime(Self)
	if werr := c.stop(); werr != nil || scanErr != nil {
		t.Fatalf("child: %v; its line: %v", werr, scanErr)
	}
	if err != nil || statErr != nil || selfErr != nil {
		t.Fatalf("CPUTime = %v; stat: %v; own: %v", err, statErr, selfErr)
	}
	if got < dead || got < own {
		t.Errorf("CPUTime(child) = %v; want at least the %v of its exited thread and the %v it read itself", got, dead, own)
	}
	tick := time.Second / time.Duration(userHZ())
	fromStat := time.Duration(ticks) * tick
	// utime and stime are each cut down to whole ticks.
	if fromStat > got+tick || fromStat < got-3*tick {
		t.Errorf("CPUTime(child) = %v, but its /proc/%d/stat says %v (%d ticks of %v)", got, c.pid, fromStat, ticks, tick)
	}
	if self <= 0 || self > got+time.Hour {
		t.Errorf("CPUTime(Self) = %v", self)
	}

	// The child is gone, and so is its clock.
	if _, err := CPUTime(c.pid); !errors.Is(err, unix.ESRCH) || err.Error() != "process "+strconv.Itoa(c.pid)+": no such process" {
		t.Errorf("CPUTime of an exited, reaped child = %v; want process %d: no such process", err, c.pid)
	}
}

func TestCPUTimeRefusesPIDsThatCannotExist(t *testing.T) {
	for _, pid := range []int{-1, -12345, 1 << 28, 1 << 40} {
		if d, err := CPUTime(pid); !errors.Is(err, unix.ESRCH) {
			t.Errorf("CPUTime(%d) = %v, %v; want no such process", pid, d, err)
		}
	}
}

// The caller's CPU time grows by what it burns.
func TestCPUTimeOfSelf(t *testing.T) {
	before, err := CPUTime(Self)
	if err != nil {
		t.Fatal(err)
	}
	runtime.LockOSThread()
	start := burn(0)
	used := burn(start+20*time.Millisecond) - start
	runtime.UnlockOSThread()
	after, err := CPUTime(Self)
	if err != nil {
		t.Fatal(err)
	}
	if after-before < used {
		t.Errorf("CPUTime(Self) grew by %v while one thread burned %v", after-before, used)
	}
}

// statTicks reads utime + stime, in clock ticks, from /proc/PID/stat. The
// command name, in parentheses, may hold spaces and parentheses of its
// own, so the fields are counted from the last ')': state is the first,
// utime (the stat's 14th field) the 12th, stime the 13th.
func statTicks(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	i := strings.LastIndexByte(string(b), ')')
	fields := strings.Fields(string(b[i+1:]))
	if i < 0 || len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, b)
	}
	utime, err := strconv.ParseInt(fields[11], 10, 64)
	if err != nil {
		return 0, err
	}
	stime, err := strconv.ParseInt(fields[12], 10, 64)
	return utime + stime, err
}
