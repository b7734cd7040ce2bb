package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chansync/chansync/cmd/internal/testutil"
	"github.com/chansync/chansync/internal/baseline"
)

// A run of a count of lines shows a bar to the total, with the rate, and
// ends full.
func TestProgressByCount(t *testing.T) {
	ln := listen(t)
	go baseline.ServeEcho(ln)
	defer ln.Close()
	out := testutil.NewBuffer()
	res := runWithProgress(context.Background(), loadConfig{addr: ln.Addr().String(), conns: 4, lines: 3000, size: 16, pipeline: 1}, out)
	if res.Lines != 3000 {
		t.Fatalf("%d lines, want 3000", res.Lines)
	}
	s := out.String()
	for _, want := range []string{"100%", "(3000/3000, ", " lines/s)"} {
		if !strings.Contains(s, want) {
			t.Errorf("progress output lacks %q:\n%q", want, s)
		}
	}
	if !strings.HasSuffix(s, "\n") {
		t.Errorf("the progress bar is not ended by a newline: %q", s)
	}
}

// A run of a duration shows the lines done, the rate and the time left.
func TestProgressByDuration(t *testing.T) {
	ln := listen(t)
	go baseline.ServeEcho(ln)
	defer ln.Close()
	out := testutil.NewBuffer()
	res := runWithProgress(context.Background(), loadConfig{addr: ln.Addr().String(), conns: 2, duration: 600 * time.Millisecond, size: 16, pipeline: 1}, out)
	s := out.String()
	for _, want := range []string{"1s left", " lines/s)", "0s left"} {
		if !strings.Contains(s, want) {
			t.Errorf("progress output lacks %q:\n%q", want, s)
		}
	}
	if !strings.Contains(s, "("+itoa(res.Lines)+", ") {
		t.Errorf("the last count shown is not the %d lines done:\n%q", res.Lines, s)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
