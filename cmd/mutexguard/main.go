// Command mutexguard ports the tutorial's "MutexGuard held across .await"
// pitfall to Go, in three steps that run side by side:
//
//  1. The direct port: a sync.Mutex held while waiting on a channel for a
//     goroutine that needs the same mutex. Rust refuses to compile this shape
//     when the task is spawned ("future cannot be sent between threads
//     safely", because std's MutexGuard is not Send); Go compiles it, go vet
//     is silent, and at run time it deadlocks. A watchdog detects the hang,
//     prints where the goroutines are stuck, and then rescues them.
//  2. The tutorial's fix: csp.Mutex, whose Lock takes a context, so a waiter
//     gives up at its deadline with an error and the program recovers.
//  3. The CSP answer: one goroutine owns the state and the others send it
//     requests; nothing is ever held across a wait, so the deadlock cannot be
//     written.
//
// Every step plays the same story: a transfer locks an account and, while
// holding it, asks an auditor for approval; the auditor must read the same
// account to answer.
//
// This is the one program in chansync that imports sync, on purpose.
//
// Usage:
//
//	go run ./cmd/mutexguard [-step 1|2|3|all] [-timeout 500ms]
//
// It exits 0 when every step behaved as described above, 1 otherwise, and 2
// on bad flags (-timeout with -step 3, which waits on no timeout, among
// them). -h prints the flags.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/chansync/chansync/cmd/internal/cli"
)

// A result is what one step observed.
type result struct {
	step     int
	rust     string // the Rust code shape the step mirrors
	goShape  string // the Go code shape
	outcome  string // what happened, one line
	details  string // longer evidence (a trimmed goroutine dump), may be empty
	expected bool   // the step behaved as this program says it does
}

var steps = map[int]func(timeout time.Duration) result{
	1: stepDirectPort,
	2: stepContextMutex,
	3: stepOwnerGoroutine,
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const synopsis = `usage: mutexguard [-step 1|2|3|all] [-timeout 500ms]

Step 1 holds a sync.Mutex across a channel wait and deadlocks (a watchdog
detects it, prints where the goroutines are stuck, and rescues them); step
2 is the tutorial's fix, a lock whose wait gives up at a deadline
(csp.Mutex); step 3 gives the state to one goroutine, so nothing is held
across a wait. It exits 0 when every step behaved as described, 1
otherwise.`

func run(args []string, stdout, stderr io.Writer) int {
	cmd := cli.New("mutexguard",
		"mutexguard shows the tutorial's pitfall of holding a mutex across a wait (a MutexGuard across .await) in Go, and two ways out, side by side with the Rust.",
		synopsis)
	stepFlag := cmd.Flags.String("step", "all", "which step to run: 1, 2, 3 or all")
	timeout := cmd.Flags.Duration("timeout", 500*time.Millisecond, "how long the watchdog (step 1) and the lock deadline (step 2) wait")
	if code, ok := cmd.Parse(args, stdout, stderr); !ok {
		return code
	}
	if code, ok := cmd.NoArgs(stderr); !ok {
		return code
	}
	if *timeout <= 0 {
		return cmd.Fail(stderr, "-timeout must be positive, got %v", *timeout)
	}
	var which []int
	switch *stepFlag {
	case "all":
		which = []int{1, 2, 3}
	case "1", "2", "3":
		which = []int{int((*stepFlag)[0] - '0')}
	default:
		return cmd.Fail(stderr, "-step must be 1, 2, 3 or all, got %q", *stepFlag)
	}
	if *stepFlag == "3" && cmd.Given("timeout") {
		return cmd.Fail(stderr, "-step 3 and -timeout do not go together: step 3 holds no lock and waits on no timeout")
	}

	ok := true
	for _, n := range which {
		r := steps[n](*timeout)
		printResult(stdout, r)
		ok = ok && r.expected
	}
	if !ok {
		fmt.Fprintln(stdout, "\nA step did not behave as described; see above.")
		return 1
	}
	return 0
}

var titles = map[int]string{
	1: "Step 1: the direct port, sync.Mutex held across a channel wait",
	2: "Step 2: the tutorial's fix, a lock that can be abandoned (csp.Mutex)",
	3: "Step 3: no lock at all, the state owned by one goroutine",
}

func printResult(w io.Writer, r result) {
	fmt.Fprintf(w, "\n== %s ==\n\n", titles[r.step])
	printSideBySide(w, r.rust, r.goShape)
	fmt.Fprintf(w, "\nOutcome: %s\n", r.outcome)
	if r.details != "" {
		fmt.Fprintf(w, "\n%s\n", r.details)
	}
	verdict := "as expected"
	if !r.expected {
		verdict = "NOT as expected"
	}
	fmt.Fprintf(w, "Verdict: %s\n", verdict)
}

// printSideBySide prints two code shapes in two columns.
func printSideBySide(w io.Writer, left, right string) {
	l := strings.Split(strings.Trim(left, "\n"), "\n")
	r := strings.Split(strings.Trim(right, "\n"), "\n")
	width := len("Rust (tokio)")
	for _, s := range l {
		width = max(width, len(s))
	}
	fmt.Fprintf(w, "  %-*s | %s\n", width, "Rust (tokio)", "Go")
	fmt.Fprintf(w, "  %s-+-%s\n", strings.Repeat("-", width), strings.Repeat("-", 13))
	for i := range max(len(l), len(r)) {
		var a, b string
		if i < len(l) {
			a = l[i]
		}
		if i < len(r) {
			b = r[i]
		}
		fmt.Fprintf(w, "  %-*s | %s\n", width, a, b)
	}
}
