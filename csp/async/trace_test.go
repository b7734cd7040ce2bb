package async

import (
	"bytes"
	"context"
	"runtime/trace"
	"testing"
)

// TestTraceShowsTasksPollsAndWakes runs two tasks, one waking the other,
// while runtime/trace is on, on an executor that records nothing: the
// trace holds the Go trace header, the tasks' names, the poll region and
// the wake log.
func TestTraceShowsTasksPollsAndWakes(t *testing.T) {
	if trace.IsEnabled() {
		t.Skip("a trace is on already (go test -trace)")
	}
	e := NewExecutor(Config{Workers: NoWorkers})
	defer e.Close()
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	a, b := emptySemaphore(1), emptySemaphore(1)
	ha := SpawnNamed[struct{}](e, "first-of-chain", wakeChain{mine: a, next: b})
	hb := SpawnNamed[struct{}](e, "second-of-chain", wakeChain{mine: b})
	e.RunQueued(-1)
	a.Release()
	e.RunQueued(-1)
	trace.Stop()
	for _, h := range []JoinHandle[struct{}]{ha, hb} {
		if _, err := h.Join(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	data := buf.Bytes()
	if !bytes.HasPrefix(data, []byte("go 1.")) || !bytes.Contains(data[:16], []byte(" trace\x00")) {
		t.Fatalf("the trace starts %q, not with the Go trace header", data[:min(16, len(data))])
	}
	for _, s := range []string{"first-of-chain", "second-of-chain", pollRegion, "wake", "by task 1"} {
		if !bytes.Contains(data, []byte(s)) {
			t.Errorf("the trace does not contain %q", s)
		}
	}
	if n := len(e.rec.live); n != 0 {
		t.Errorf("%d records left after the traced tasks completed", n)
	}
}
