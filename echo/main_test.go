package echo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chansync/chansync/internal/tcptest"
)

// TestMain keeps the default port out of the clients' reach while the tests
// run, and checks that they leave no goroutine and no open socket behind
// (internal/tcptest).
func TestMain(m *testing.M) {
	tcptest.VerifyTestMain(m, DefaultAddr)
}

// logBook collects a server's log records. Its buffer lives in a one-slot
// channel, so the server's goroutines and the test can share it.
type logBook struct {
	buf     chan *bytes.Buffer
	written chan struct{} // gets a token after each write
}

func newLogBook() *logBook {
	b := &logBook{buf: make(chan *bytes.Buffer, 1), written: make(chan struct{}, 1)}
	b.buf <- new(bytes.Buffer)
	return b
}

func (b *logBook) Write(p []byte) (int, error) {
	buf := <-b.buf
	n, err := buf.Write(p)
	b.buf <- buf
	select {
	case b.written <- struct{}{}:
	default:
	}
	return n, err
}

// waitFor waits until the log satisfies ok, re-checking after every write,
// and fails the test if that takes longer than a generous bound.
func (b *logBook) waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for !ok() {
		select {
		case <-b.written:
		case <-timeout:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (b *logBook) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// records returns the records whose message is msg.
func (b *logBook) records(msg string) []map[string]any {
	buf := <-b.buf
	text := buf.String()
	b.buf <- buf
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		var r map[string]any
		if json.Unmarshal([]byte(line), &r) == nil && r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

// endReasons returns the reason of every "Connection ended" record by
// connection id.
func (b *logBook) endReasons() map[float64]string {
	out := map[float64]string{}
	for _, r := range b.records("Connection ended") {
		out[r["conn"].(float64)], _ = r["reason"].(string)
	}
	return out
}

// loggedServer makes a server for cfg that logs into a fresh log book.
func loggedServer(t *testing.T, cfg Config) (*Server, *logBook) {
	t.Helper()
	book := newLogBook()
	cfg.Logger = book.logger()
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv, book
}

// tcpServer serves cfg on a loopback port until the test ends.
func tcpServer(t *testing.T, cfg Config, setup ...func(*Server)) (*Server, string, *logBook) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, book := serveOn(t, cfg, ln, setup...)
	return srv, ln.Addr().String(), book
}

// serveOn serves cfg on ln until the test ends, then shuts the server down
// and checks what Serve returned. Each of setup, if any, is called with the
// server before it serves.
func serveOn(t *testing.T, cfg Config, ln net.Listener, setup ...func(*Server)) (*Server, *logBook) {
	t.Helper()
	srv, book := loggedServer(t, cfg)
	for _, f := range setup {
		f(srv)
	}
	if p, ok := ln.(*probeListener); ok {
		srv.beforeEnd = p.beforeClose
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	for srv.Addr() == nil {
		runtime.Gosched() // until Serve has claimed the server
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return srv, book
}

// shutdownAsync starts a graceful shutdown with a drain deadline and
// delivers what Shutdown returns.
func shutdownAsync(srv *Server, drain time.Duration) <-chan error {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), drain)
		defer cancel()
		done <- srv.Shutdown(ctx)
	}()
	return done
}

// testModes are the modes the behaviour tests run against. Every mode must
// keep every behaviour they check; a new mode is added here. Reactor mode
// runs where it is supported (Linux).
var testModes = supportedModes(ModeGoroutine, ModeThread, ModeSequential, ModeReactor)

// supportedModes returns those of modes that NewServer accepts here.
func supportedModes(modes ...Mode) []Mode {
	var out []Mode
	for _, m := range modes {
		if _, err := NewServer(Config{Mode: m}); err == nil {
			out = append(out, m)
		}
	}
	return out
}

// forEachMode runs test as a subtest for each of testModes, with cfg's
// Mode set to it.
func forEachMode(t *testing.T, cfg Config, test func(t *testing.T, cfg Config)) {
	forModes(t, testModes, cfg, test)
}

// modesExcept returns testModes without the modes given: those a case does
// not apply to.
func modesExcept(except ...Mode) []Mode {
	return slices.DeleteFunc(slices.Clone(testModes), func(m Mode) bool { return slices.Contains(except, m) })
}

// forModes runs test as a subtest for each of modes, with cfg's Mode set
// to it.
func forModes(t *testing.T, modes []Mode, cfg Config, test func(t *testing.T, cfg Config)) {
	for _, m := range modes {
		cfg.Mode = m
		t.Run(string(m), func(t *testing.T) { test(t, cfg) })
	}
}

func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// readAll reads until EOF, failing the test after a generous bound.
func readAll(t *testing.T, c net.Conn) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading until EOF: %v (got %q)", err, b)
	}
	return b
}

// readN reads exactly n bytes.
func readN(t *testing.T, c net.Conn, n int) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("reading %d bytes: %v (got %q)", n, err, b)
	}
	return b
}
