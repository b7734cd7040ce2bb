package progress_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/chansync/chansync/cmd/internal/progress"
	"github.com/chansync/chansync/cmd/internal/testutil"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// A run shorter than the delay prints nothing at all.
func TestShortRunPrintsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := testutil.NewBuffer()
		m := progress.Start(out, 10, "items", time.Second)
		m.Describe("working")
		m.Add(10)
		time.Sleep(999 * time.Millisecond)
		m.Finish()
		if s := out.String(); s != "" {
			t.Errorf("a run of 999ms printed %q", s)
		}
	})
}

// A longer run shows its bar once the delay has passed, with the count
// made so far, and leaves it as it stands, on a line of its own, when it
// is finished short of its total.
func TestLongRunShowsCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := testutil.NewBuffer()
		m := progress.Start(out, 10, "items", time.Second)
		m.Describe("first half")
		m.Add(3)
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		if s := out.String(); s != "" {
			t.Fatalf("the bar appeared before its delay: %q", s)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if s := out.String(); !strings.Contains(s, "(3/10, ") || !strings.Contains(s, "first half") || !strings.Contains(s, " items/s)") {
			t.Fatalf("after the delay the bar shows %q, want 3 of 10 items and the description", s)
		}
		m.Describe("second half")
		m.Add(2)
		time.Sleep(time.Second)
		m.Finish()
		s := out.String()
		if !strings.Contains(s, "(5/10, ") || !strings.Contains(s, "second half") || !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
			t.Errorf("finished bar %q, want 5 of 10 items, the new description, and one newline at the end", s)
		}
	})
}

// A bar that reaches its total ends its line once.
func TestFullBarEndsItsLineOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := testutil.NewBuffer()
		m := progress.Start(out, 4, "runs", 0)
		for range 4 {
			m.Add(1)
			time.Sleep(time.Second)
		}
		m.Finish()
		s := out.String()
		if !strings.Contains(s, "100%") || !strings.Contains(s, "(4/4, ") || strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
			t.Errorf("full bar %q, want 100%%, 4 of 4 and one newline at the end", s)
		}
	})
}

// The methods of a nil meter do nothing: a program without a bar calls
// them all the same.
func TestNilMeter(t *testing.T) {
	var m *progress.Meter
	m.Add(1)
	m.Describe("nothing")
	m.Finish()
}
