package echo

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// A reactor-mode connection whose task is dropped ends with the reason of
// what dropped it: a cut by the serve loop gives the reason a goroutine-mode
// connection closed under it gives (cut at the drain deadline or closed by
// the server while it waits for its client, its own reason while it ends
// on purpose), and a panic of its Poll is a panic, whatever the serve loop
// is doing.
func TestReactorConnDropSaysWhy(t *testing.T) {
	cases := []struct {
		name   string
		forced bool   // the drain deadline has passed: the loop cuts
		send   string // before the last poll
		panics bool   // the last poll panics
		want   endReason
	}{
		{name: "cut waiting for its client", want: endClosedByServer},
		{name: "cut at the drain deadline", forced: true, send: "half a li", want: endCut},
		{name: "cut while lingering", send: strings.Repeat("x", 20) + "\n", want: endTooLong},
		{name: "a poll that panics", send: strings.Repeat("x", 20) + "\n", panics: true, want: endPanicked},
		{name: "a poll that panics at the drain deadline", forced: true, send: strings.Repeat("x", 20) + "\n", panics: true, want: endPanicked},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newConnByHand(t, Config{MaxLineBytes: 16})
			if h.poll() {
				t.Fatal("over at its first poll")
			}
			if tc.panics {
				h.srv.beforeEnd = func(string) { panic("planted") }
			}
			if tc.forced {
				// As Shutdown does when its context ends (the server is
				// not serving: Shutdown only begins the shutdown).
				h.srv.Shutdown(context.Background())
				close(h.srv.policy.force)
			}
			if tc.send != "" {
				h.send(tc.send)
			}
			panicked := func() (v any) {
				defer func() { v = recover() }()
				if h.poll() {
					t.Fatal("over before it was dropped")
				}
				return nil
			}()
			if (panicked != nil) != tc.panics {
				t.Fatalf("the poll panicked with %v, want a panic %v", panicked, tc.panics)
			}
			h.c.Drop()
			if h.c.state != closed {
				t.Fatalf("state %v after Drop, want closed", h.c.state)
			}
			if got := h.book.endReasons()[1]; got != tc.want.String() {
				t.Fatalf("reason %q, want %q", got, tc.want)
			}
		})
	}
}

// A connection whose Poll panics in a serving server is ended and logged
// as such, and the server goes on serving the others.
func TestReactorConnPanicEndsOnlyItsConnection(t *testing.T) {
	planted := make(chan struct{}, 1)
	planted <- struct{}{}
	_, addr, book := tcpServer(t, Config{Mode: ModeReactor, MaxLineBytes: 16}, func(s *Server) {
		s.beforeEnd = func(string) {
			select {
			case <-planted:
				panic("planted") // the first connection ended on purpose
			default:
			}
		}
	})
	c := dial(t, addr)
	io.WriteString(c, strings.Repeat("x", 20)+"\n")
	book.waitFor(t, "the connection's end", func() bool { return len(book.records("Connection ended")) == 1 })
	if got := book.endReasons()[1]; got != endPanicked.String() {
		t.Fatalf("reason %q, want %q", got, endPanicked)
	}
	other := dial(t, addr)
	io.WriteString(other, "still here\n")
	if got := readN(t, other, len("still here\n")); !bytes.Equal(got, []byte("still here\n")) {
		t.Fatalf("the next client got %q", got)
	}
}
