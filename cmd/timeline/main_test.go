package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chansync/chansync/csp/async"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestTimelineOfARealRun checks the drawing's input, from a real run of 4
// molecules: a row per atom, a bar per recorded poll, a mark per wake,
// each atom's last poll Ready and no other, and, on the current-thread
// executor, the waker of every wake known (each comes during another
// atom's poll: a release of a permit, the third arrival at the barrier).
func TestTimelineOfARealRun(t *testing.T) {
	rec, err := record(4, 7)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := build(rec.tasks, rec.events)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Rows) != 12 {
		t.Fatalf("%d rows, want 12 (3 atoms a molecule)", len(tl.Rows))
	}
	polls, wakes := 0, 0
	for _, ti := range rec.tasks {
		polls += ti.Polls
		wakes += ti.Wakes
	}
	if len(tl.Bars) != polls || len(tl.Wakes) != wakes || tl.linked() != wakes {
		t.Fatalf("%d bars, %d wake marks (%d linked to their waker); the records say %d polls and %d wakes, all by tasks",
			len(tl.Bars), len(tl.Wakes), tl.linked(), polls, wakes)
	}
	readies := make([]int, len(tl.Rows))
	last := make([]float64, len(tl.Rows))
	for _, b := range tl.Bars {
		if b.End < b.Start || b.Start < 0 || b.End > tl.Span {
			t.Errorf("bar %+v out of order, or outside [0, %v]", b, tl.Span)
		}
		if b.Ready {
			readies[b.Row]++
		} else if b.Start > last[b.Row] {
			last[b.Row] = b.Start
		}
	}
	for _, b := range tl.Bars {
		if b.Ready && b.Start < last[b.Row] {
			t.Errorf("row %s: a Pending poll after the Ready one", tl.Rows[b.Row])
		}
	}
	for i, n := range readies {
		if n != 1 {
			t.Errorf("row %s: %d polls returned Ready, want 1", tl.Rows[i], n)
		}
	}
	for _, w := range tl.Wakes {
		if w.From == w.Row || w.Self {
			t.Errorf("an atom woke itself: %+v", w)
		}
	}
}

func TestBuildRefusesAnEventOfAnUnknownTask(t *testing.T) {
	now := time.Now()
	tasks := []async.TaskInfo{{ID: 1, Name: "a"}}
	events := []async.TaskEvent{{Task: 1, Kind: async.Polled, At: now, End: now.Add(time.Microsecond)}, {Task: 2, Kind: async.Woken, At: now}}
	if _, err := build(tasks, events); err == nil || !strings.Contains(err.Error(), "task 2") {
		t.Fatalf("build = %v, want an error naming task 2", err)
	}
	tl, err := build(tasks, events[:1])
	if err != nil || len(tl.Bars) != 1 || tl.Bars[0].End != 1 || tl.Span != 1 {
		t.Fatalf("build of one poll of 1µs = %+v, %v", tl, err)
	}
}

func TestDrawsThePicture(t *testing.T) {
	for _, ext := range []string{".png", ".svg"} {
		path := filepath.Join(t.TempDir(), "timeline"+ext)
		var out, errb bytes.Buffer
		if code := run([]string{"-n", "2", "-o", path}, &out, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Size() < 1000 {
			t.Fatalf("%s: %v, %v", path, fi, err)
		}
		if !strings.Contains(out.String(), "lints: none of 6 tasks") || !strings.Contains(out.String(), "6 tasks, ") {
			t.Errorf("output:\n%s", out.String())
		}
	}
}

func TestBadFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "0"}, "-n must be between 1 and 10"},
		{[]string{"-n", "11"}, "-n must be between 1 and 10"},
		{[]string{"-o", filepath.Join(dir, "t.gif")}, "want a .png or .svg file"},
		{[]string{"-o", filepath.Join(file, "t.png")}, "-o: "},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		msg := errb.String()
		if code != 2 || out.Len() != 0 || !strings.HasPrefix(msg, "timeline: ") || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, tc.want) {
			t.Errorf("run(%q) = %d, stdout %q, stderr %q; want 2, nothing, one line saying %q", tc.args, code, out.String(), msg, tc.want)
		}
	}
}
