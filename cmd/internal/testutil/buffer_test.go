package testutil_test

import (
	"fmt"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/chansync/chansync/cmd/internal/testutil"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Writers and a reader at once lose nothing, and the reader never sees a
// write half done (run it under -race).
func TestBufferTakesConcurrentWrites(t *testing.T) {
	const writers, lines = 4, 200
	b := testutil.NewBuffer()
	done := make(chan struct{})
	for w := range writers {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range lines {
				fmt.Fprintf(b, "writer %d line %d\n", w, i)
			}
		}()
	}
	for finished := 0; finished < writers; {
		if s := b.String(); s != "" && !strings.HasSuffix(s, "\n") {
			t.Fatalf("read a write half done: %q", s[max(0, len(s)-40):])
		}
		select {
		case <-done:
			finished++
		default:
		}
	}
	got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines, want %d", len(got), writers*lines)
	}
	seen := map[string]bool{}
	for _, line := range got {
		var w, i int
		if n, err := fmt.Sscanf(line, "writer %d line %d", &w, &i); n != 2 || err != nil || seen[line] {
			t.Fatalf("torn or repeated line %q", line)
		}
		seen[line] = true
	}
}
