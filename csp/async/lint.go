package async

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Lints in the manner of tokio-console's: each reads the task records
// (Executor.Tasks) and points at a task that shows one of the bugs async
// code has.
//
//   - LostWaker: the task is idle (its last poll returned Pending, nothing
//     woke it since) for longer than LintConfig.LostAfter, and no place
//     holds its waker: no armed timer, no reactor registration, no place
//     in a wait list, no task joining it. Nothing will ever wake it: the
//     lost wake-up, seen in production as a request that never ends. A
//     future that keeps its waker somewhere of its own (a channel, a
//     goroutine, a structure outside this package) is not seen holding it,
//     and is reported too once it waits that long.
//   - BlocksExecutor: one of its polls lasted longer than
//     LintConfig.LongPoll (10 ms): a poll that blocks, or computes for
//     long, holds its worker (or, on a current-thread executor, every
//     task) that long.
//   - WakesItself: more than half of its wakes came during its own polls
//     (tokio-console's self-wake lint), after at least MinWakes wakes: a
//     task that yields and re-polls more than it waits for anything.

// Lint names one of the lints.
type Lint uint8

const (
	LostWaker Lint = iota
	BlocksExecutor
	WakesItself
)

func (l Lint) String() string {
	switch l {
	case LostWaker:
		return "lost its waker"
	case BlocksExecutor:
		return "blocks its executor"
	case WakesItself:
		return "wakes itself more than it waits"
	}
	return fmt.Sprintf("Lint(%d)", uint8(l))
}

// A Finding is one lint that one task fails.
type Finding struct {
	Task   TaskInfo
	Lint   Lint
	Detail string // what the lint saw, in numbers
}

func (f Finding) String() string {
	return fmt.Sprintf("task %d (%s) %s: %s", f.Task.ID, f.Task.Name, f.Lint, f.Detail)
}

// LintConfig sets the lints' thresholds; a zero field takes its default.
type LintConfig struct {
	LostAfter time.Duration // LostWaker: idle with no holder this long; default 1 s
	LongPoll  time.Duration // BlocksExecutor: a poll this long; default 10 ms
	MinWakes  int           // WakesItself: wakes before it is judged; default 10
}

func (c LintConfig) withDefaults() LintConfig {
	if c.LostAfter <= 0 {
		c.LostAfter = time.Second
	}
	if c.LongPoll <= 0 {
		c.LongPoll = 10 * time.Millisecond
	}
	if c.MinWakes <= 0 {
		c.MinWakes = 10
	}
	return c
}

// Lints returns the lints that e's tasks fail now, by task and then in the
// order LostWaker, BlocksExecutor, WakesItself. It returns nil unless e was
// made with Config.Record.
func (e *Executor) Lints(c LintConfig) []Finding {
	return LintTasks(e.Tasks(), time.Now(), c)
}

// LintTasks returns the lints that the tasks of a snapshot (Executor.Tasks)
// fail at now.
func LintTasks(tasks []TaskInfo, now time.Time, c LintConfig) []Finding {
	c = c.withDefaults()
	var fs []Finding
	for _, t := range tasks {
		if t.State == TaskIdle && t.Wakers <= 0 && !t.PendingAt.IsZero() {
			if d := now.Sub(t.PendingAt); d > c.LostAfter {
				fs = append(fs, Finding{t, LostWaker, fmt.Sprintf("idle for %v after poll %d, and nothing holds its waker", d.Round(time.Millisecond), t.Polls)})
			}
		}
		if t.LongestPoll > c.LongPoll {
			fs = append(fs, Finding{t, BlocksExecutor, fmt.Sprintf("a poll took %v (more than %v)", t.LongestPoll.Round(time.Microsecond), c.LongPoll)})
		}
		if t.Wakes >= c.MinWakes && 2*t.SelfWakes > t.Wakes {
			fs = append(fs, Finding{t, WakesItself, fmt.Sprintf("%d of its %d wakes came during its own polls", t.SelfWakes, t.Wakes)})
		}
	}
	return fs
}

// WriteTasks writes the task list as a text table, one line per task
// (tokio-console's tasks view), followed by the lint findings, one per
// line. Times are rounded to the microsecond; "last poll" is how long ago
// the last poll began, at now.
func WriteTasks(w io.Writer, tasks []TaskInfo, findings []Finding, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tstate\tpolls\twakes\tself\twakers\tbusy\tsched\tidle\tlongest\tlast poll\tname")
	for _, t := range tasks {
		last := "-"
		if !t.LastPoll.IsZero() {
			last = fmtDur(now.Sub(t.LastPoll)) + " ago"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n",
			t.ID, t.State, t.Polls, t.Wakes, t.SelfWakes, t.Wakers,
			fmtDur(t.Busy), fmtDur(t.Scheduled), fmtDur(t.Idle), fmtDur(t.LongestPoll), last, t.Name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(findings) == 0 {
		_, err := fmt.Fprintf(w, "lints: none of %d tasks\n", len(tasks))
		return err
	}
	fmt.Fprintf(w, "lints: %d findings\n", len(findings))
	for _, f := range findings {
		if _, err := fmt.Fprintf(w, "  %s\n", f); err != nil {
			return err
		}
	}
	return nil
}

func fmtDur(d time.Duration) string {
	return d.Round(time.Microsecond).String()
}
