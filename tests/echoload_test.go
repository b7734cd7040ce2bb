package tests

import (
	"bytes"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The load generator against the real server, both as built programs.
func TestEcholoadAgainstEcho(t *testing.T) {
	server := startEcho(t, build(t, "echo"), "0")
	load := build(t, "echoload")
	out, stderr, code := runProgram(t, load, "-addr", server.addr, "-c", "20", "-n", "2000", "-size", "100", "-pipeline", "3", "-json")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	var res struct {
		Lines  int64            `json:"lines"`
		Served int              `json:"served"`
		Errors map[string]int64 `json:"errors"`
		P99    float64          `json:"p99_us"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if res.Lines != 2000 || res.Served != 20 || len(res.Errors) != 0 || res.P99 <= 0 {
		t.Fatalf("result %+v, want 2000 lines over 20 connections, no errors", res)
	}

	// A line longer than the server allows is reported by kind, not skipped.
	out, _, code = runProgram(t, load, "-addr", server.addr, "-c", "1", "-n", "1", "-size", "70000")
	if code != 1 || !strings.Contains(out, "short read: ERR line too long") {
		t.Fatalf("exit %d, report:\n%s", code, out)
	}
}

// A short run with -plot draws its two figures as PNG.
func TestEcholoadPlots(t *testing.T) {
	server := startEcho(t, build(t, "echo"), "0")
	dir := filepath.Join(t.TempDir(), "figures")
	out, stderr, code := runProgram(t, build(t, "echoload"), "-addr", server.addr, "-c", "4", "-d", "500ms", "-plot", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	for _, name := range []string{"echoload-latency.png", "echoload-throughput.png"} {
		checkPNG(t, filepath.Join(dir, name))
		if !strings.Contains(stderr, "echoload: wrote "+filepath.Join(dir, name)+"\n") {
			t.Errorf("stderr %q does not name %s", stderr, name)
		}
	}
}

// Where nothing listens, echoload says so in one line and exits 1, rather
// than printing a report of refused connections.
func TestEcholoadDeadAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	out, stderr, code := runProgram(t, build(t, "echoload"), "-addr", addr, "-c", "50", "-d", "1s")
	want := "echoload: cannot connect to " + addr + ": is cmd/echo running?\n"
	if code != 1 || out != "" || stderr != want {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 1, nothing, %q", code, out, stderr, want)
	}
}

// SIGINT stops a load run, which prints the report of what ran until then,
// marked as interrupted, and exits 130.
func TestEcholoadInterrupt(t *testing.T) {
	addr, echoed := serveLines(t, 1000)
	cmd := exec.Command(build(t, "echoload"), "-addr", addr, "-c", "4", "-d", "1m")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	<-echoed // the load is under way
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("exit %v, want status 130\n%s%s", err, out.String(), stderr.String())
	}
	report := out.String()
	for _, want := range []string{"interrupted after ", "4 connections, 64-byte lines: ", "throughput: ", "latency: p50 ", "errors: none"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr %q, want nothing", stderr.String())
	}
}

// serveLines serves 64-byte echo lines on a fresh loopback listener until
// the test ends, and closes the channel it returns once it has echoed n
// lines in all.
func serveLines(t *testing.T, n int) (string, <-chan struct{}) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	echoed := make(chan struct{})
	count := make(chan int, 1) // the lines echoed, passed from handler to handler
	count <- 0
	handlers := make(chan chan struct{}, 64)
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			done := make(chan struct{})
			handlers <- done
			go func() {
				defer close(done)
				defer c.Close()
				buf := make([]byte, 64)
				for {
					if _, err := io.ReadFull(c, buf); err != nil {
						return
					}
					if _, err := c.Write(buf); err != nil {
						return
					}
					k := <-count + 1
					if k == n {
						close(echoed)
					}
					count <- k
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-accepted
		close(handlers)
		for done := range handlers {
			<-done
		}
	})
	return ln.Addr().String(), echoed
}

// checkPNG fails the test unless path holds a PNG image of some size.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 300 {
		t.Errorf("%s is only %dx%d pixels", path, b.Dx(), b.Dy())
	}
}
