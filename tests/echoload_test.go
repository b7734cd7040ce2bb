package tests

import (
	"encoding/json"
	"image/png"
	"os"
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
	}
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
