//go:build !race

// The race detector allocates on its own; .ci/run runs this file's test in
// its step without -race.

package echo

import (
	"bytes"
	"io"
	"testing"
)

// Echoing a line allocates nothing on the server, in goroutine mode and in
// reactor mode, with an Observer or without: counted over a thousand round
// trips of one client after a warm-up (so that the free list holds a
// buffer and the timers are set), in the whole process, the client
// allocating nothing itself. The observer here allocates nothing of its
// own, so what is counted is what the server spends to call it.
func TestEchoLineAllocatesNothing(t *testing.T) {
	t.Run("observer=none", func(t *testing.T) { testEchoLineAllocatesNothing(t, Config{}) })
	t.Run("observer=set", func(t *testing.T) { testEchoLineAllocatesNothing(t, Config{Observer: newRecorder(1)}) })
}

func testEchoLineAllocatesNothing(t *testing.T, cfg Config) {
	forModes(t, supportedModes(ModeGoroutine, ModeReactor), cfg, func(t *testing.T, cfg Config) {
		_, addr, _ := tcpServer(t, cfg)
		c := dial(t, addr)
		line := append(bytes.Repeat([]byte("a"), 63), '\n')
		got := make([]byte, len(line))
		roundTrip := func() {
			if _, err := c.Write(line); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(c, got); err != nil {
				t.Fatal(err)
			}
		}
		for range 100 {
			roundTrip()
		}
		if n := testing.AllocsPerRun(1000, roundTrip); n != 0 {
			t.Fatalf("%v allocations per line echoed, want 0", n)
		}
	})
}
