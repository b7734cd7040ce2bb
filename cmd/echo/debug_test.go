package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chansync/chansync/echo"
	"github.com/prometheus/client_golang/prometheus"
)

// programLog is the program's standard error as a test reads it: the log
// records, one a write, in a slice kept in a one-slot channel, and a token
// in written after each write.
type programLog struct {
	lines   chan []string
	written chan struct{}
}

func newProgramLog() *programLog {
	l := &programLog{lines: make(chan []string, 1), written: make(chan struct{}, 1)}
	l.lines <- nil
	return l
}

func (l *programLog) Write(p []byte) (int, error) {
	lines := <-l.lines
	for line := range strings.Lines(string(p)) {
		lines = append(lines, strings.TrimSuffix(line, "\n"))
	}
	l.lines <- lines
	select {
	case l.written <- struct{}{}:
	default:
	}
	return len(p), nil
}

// find returns the first record that contains s, if any.
func (l *programLog) find(s string) (string, bool) {
	lines := <-l.lines
	l.lines <- lines
	for _, line := range lines {
		if strings.Contains(line, s) {
			return line, true
		}
	}
	return "", false
}

// program is run, the program's body, running in the test's process.
type program struct {
	log       *programLog
	sigs      chan os.Signal
	exit      chan int // what run returned
	addr      string   // where the echo server listens
	debugAddr string   // where the debug endpoint listens, if it does
}

// startProgram runs the program with args and the echo server on a port
// the system picks, and waits until it listens. At the end of the test it
// is stopped as SIGTERM stops it, unless it has stopped already.
func startProgram(t *testing.T, args ...string) *program {
	t.Helper()
	p := &program{log: newProgramLog(), sigs: make(chan os.Signal, 2), exit: make(chan int, 1)}
	go func() { p.exit <- run(append(args, "0"), io.Discard, p.log, p.sigs) }()
	p.addr = attr(p.waitLog(t, "msg=Listening"), "addr")
	if line, ok := p.log.find(`msg="Debug endpoint"`); ok {
		p.debugAddr = attr(line, "addr")
	}
	t.Cleanup(func() {
		select {
		case code := <-p.exit:
			p.exit <- code
		default:
			p.stop(t)
		}
	})
	return p
}

// waitLog returns the first record with s, once the program has logged it.
func (p *program) waitLog(t *testing.T, s string) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		if line, ok := p.log.find(s); ok {
			return line
		}
		select {
		case <-p.log.written:
		case code := <-p.exit:
			p.exit <- code
			if line, ok := p.log.find(s); ok {
				return line
			}
			t.Fatalf("the program returned %d before logging %q", code, s)
		case <-timeout:
			t.Fatalf("no log record with %q", s)
		}
	}
}

// stop sends SIGTERM and returns what run returned, which it leaves in
// exit for the test's cleanup to find.
func (p *program) stop(t *testing.T) int {
	t.Helper()
	p.sigs <- syscall.SIGTERM
	select {
	case code := <-p.exit:
		p.exit <- code
		return code
	case <-time.After(30 * time.Second):
		t.Fatal("the program did not return after SIGTERM")
	}
	return -1
}

// attr is the value of a log record's attribute.
func attr(line, key string) string {
	_, v, ok := strings.Cut(line, " "+key+"=")
	if !ok {
		return ""
	}
	return strings.Fields(v)[0]
}

// client is what the tests fetch pages with: without keep-alive, so that no
// connection stays open after a test.
var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// get fetches path from the debug endpoint and returns its status and body.
func (p *program) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := client.Get("http://" + p.debugAddr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// scrape reads /metrics: each sample's value by its name and labels, as
// the text format writes them (`name{label="value"}`).
func (p *program) scrape(t *testing.T) map[string]float64 {
	t.Helper()
	code, body := p.get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: status %d: %s", code, body)
	}
	samples := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("/metrics: cannot read the sample %q", line)
		}
		samples[line[:i]] = v
	}
	return samples
}

// scrapeUntil scrapes /metrics until ok holds of what it reads.
func (p *program) scrapeUntil(t *testing.T, what string, ok func(m map[string]float64) bool) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := p.scrape(t)
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// The metrics count what a scripted client did, in every mode, while
// connections are open: two clients send lines of known sizes, a third is
// refused over the limit of two (except in sequential mode, which takes
// nobody while it serves a client), and the first closes. Every end reason
// is there from the start, at 0; the Go runtime's and the process's
// metrics are there too.
func TestDebugMetricsCountWhatClientsDid(t *testing.T) {
	modes := []string{"goroutine", "thread", "sequential"}
	if runtime.GOOS == "linux" {
		modes = append(modes, "reactor")
	}
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			p := startProgram(t, "-mode", mode, "-max-conns", "2", "-debug-addr", "127.0.0.1:0", "-debug-latency")
			sequential := mode == "sequential"
			m := p.scrape(t)
			for _, name := range []string{"echo_connections_accepted_total", "echo_lines_echoed_total",
				`echo_connection_ends_total{reason="client closed"}`, `echo_connection_ends_total{reason="idle timeout"}`} {
				if v, ok := m[name]; !ok || v != 0 {
					t.Errorf("before any client: %s is %v (present: %v), want 0", name, v, ok)
				}
			}
			for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
				if _, ok := m[name]; !ok && (name != "process_cpu_seconds_total" || runtime.GOOS == "linux") {
					t.Errorf("/metrics has no %s", name)
				}
			}

			first := dialEcho(t, p.addr)
			echoLines(t, first, "a\nbb\n")
			p.scrapeUntil(t, "the first client's lines", func(m map[string]float64) bool {
				return m["echo_lines_echoed_total"] == 2 && m["echo_bytes_echoed_total"] == 5 &&
					m["echo_connections_open"] == 1 && m["echo_connections_accepted_total"] == 1
			})
			var second net.Conn
			if !sequential {
				second = dialEcho(t, p.addr)
				echoLines(t, second, "ccc\n")
				third := dialEcho(t, p.addr)
				if got, _ := io.ReadAll(third); string(got) != "ERR server busy\n" {
					t.Fatalf("third client got %q, want ERR server busy", got)
				}
				third.Close()
			}
			first.Close()
			p.scrapeUntil(t, "the first client's end", func(m map[string]float64) bool {
				return m[`echo_connection_ends_total{reason="client closed"}`] == 1
			})
			if sequential {
				second = dialEcho(t, p.addr)
				echoLines(t, second, "ccc\n")
			}
			m = p.scrapeUntil(t, "the second client's line", func(m map[string]float64) bool {
				return m["echo_lines_echoed_total"] == 3
			})
			want := map[string]float64{
				"echo_connections_accepted_total":                    2,
				"echo_connections_refused_total":                     1,
				"echo_connections_open":                              1,
				"echo_lines_echoed_total":                            3,
				"echo_bytes_echoed_total":                            9,
				`echo_connection_ends_total{reason="client closed"}`: 1,
				`echo_connection_ends_total{reason="idle timeout"}`:  0,
			}
			if sequential {
				want["echo_connections_refused_total"] = 0
			}
			for name, v := range want {
				if m[name] != v {
					t.Errorf("%s = %v, want %v", name, m[name], v)
				}
			}
			// A write echoes the lines that arrived together: 2 or 3 writes.
			if n := m["echo_line_latency_seconds_count"]; n < 2 || n > 3 || m[`echo_line_latency_seconds_bucket{le="+Inf"}`] != n {
				t.Errorf("echo_line_latency_seconds: %v observations, want 2 or 3, all in +Inf", n)
			}
			second.Close()
		})
	}
}

// The debug endpoint serves the runtime's profiles from its own mux: not
// what else the program registers on http.DefaultServeMux. Without
// -debug-latency, /metrics has no latency histogram.
func TestDebugServesProfilesFromItsOwnMux(t *testing.T) {
	http.HandleFunc("/debug/only-on-the-default-mux", func(w http.ResponseWriter, r *http.Request) {})
	p := startProgram(t, "-debug-addr", "127.0.0.1:0")
	echoLines(t, dialEcho(t, p.addr), "hello\n")
	m := p.scrapeUntil(t, "the line", func(m map[string]float64) bool { return m["echo_lines_echoed_total"] == 1 })
	for name := range m {
		if strings.HasPrefix(name, "echo_line_latency_seconds") {
			t.Errorf("/metrics has %s without -debug-latency", name)
		}
	}
	for path, want := range map[string]string{
		"/debug/pprof/":                  "goroutine",
		"/debug/pprof/goroutine?debug=1": "goroutine profile: total",
		"/debug/pprof/cmdline":           "",
		"/debug/pprof/heap?debug=1":      "heap profile",
		"/debug/pprof/symbol":            "num_symbols",
	} {
		code, body := p.get(t, path)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s: status %d, body %.80q; want 200 and %q", path, code, body, want)
		}
	}
	if code, _ := p.get(t, "/debug/only-on-the-default-mux"); code != http.StatusNotFound {
		t.Errorf("a page of http.DefaultServeMux: status %d, want 404", code)
	}
}

// A -debug-addr that is not HOST:PORT, or that cannot be listened on, is
// refused in one line, with exit status 2.
func TestBadDebugAddr(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	for _, tc := range []struct{ addr, msg string }{
		{"nocolon", `-debug-addr "nocolon": address nocolon: missing port in address`},
		{"127.0.0.1:99999", `-debug-addr "127.0.0.1:99999": listen tcp: address 99999: invalid port`},
		{held.Addr().String(), "bind: address already in use"},
	} {
		var stdout, stderr strings.Builder
		code := run([]string{"-debug-addr", tc.addr, "0"}, &stdout, &stderr, nil)
		if code != 2 || stdout.Len() != 0 || strings.Count(stderr.String(), "\n") != 1 ||
			!strings.HasPrefix(stderr.String(), "echo: ") || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("-debug-addr %q: exit %d, stdout %q, stderr %q; want 2 and one line with %q", tc.addr, code, stdout.String(), stderr.String(), tc.msg)
		}
	}
}

// The debug endpoint stops with the server, when SIGTERM stops it, while
// clients scrape it and a profile is being taken: the program returns 0
// without waiting for the profile, which is cut, and then nothing
// answers at the debug address. Run -count=50, with and without -race:
// the signal races the scrapes, the accepts and the requests' ends.
func TestDebugEndpointStopsWithTheServer(t *testing.T) {
	p := startProgram(t, "-debug-addr", "127.0.0.1:0")
	c := dialEcho(t, p.addr)
	echoLines(t, c, "hello\n")
	profiled := make(chan error, 1)
	go func() {
		// A delta profile waits its seconds before it answers: this one
		// would take a minute if the program let it finish.
		resp, err := client.Get("http://" + p.debugAddr + "/debug/pprof/heap?seconds=60")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil {
				err = &unexpectedStatus{resp.StatusCode}
			}
		}
		profiled <- err
	}()
	const scrapers = 4
	stopped := make(chan int, scrapers)
	for range scrapers {
		go func() {
			n := 0
			for {
				resp, err := client.Get("http://" + p.debugAddr + "/metrics")
				if err != nil {
					stopped <- n
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				n++
			}
		}()
	}
	// The signal comes once the profile is being taken.
	for {
		_, goroutines := p.get(t, "/debug/pprof/goroutine?debug=2")
		if strings.Contains(goroutines, "serveDeltaProfile") {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("run returned %d after SIGTERM, want 0", code)
	}
	for range scrapers {
		<-stopped
	}
	if err := <-profiled; err == nil {
		t.Error("the profile in progress was not cut")
	} else if u, ok := err.(*unexpectedStatus); ok {
		t.Errorf("the profile in progress answered %d instead of being cut", u.code)
	}
	if d, err := net.Dial("tcp", p.debugAddr); err == nil {
		d.Close()
		t.Fatal("the debug endpoint still accepts connections after the server stopped")
	}
}

type unexpectedStatus struct{ code int }

func (u *unexpectedStatus) Error() string { return "status " + strconv.Itoa(u.code) }

func dialEcho(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return c
}

// echoLines sends lines and reads their echo.
func echoLines(t *testing.T, c net.Conn, lines string) {
	t.Helper()
	if _, err := io.WriteString(c, lines); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(lines))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != lines {
		t.Fatalf("echo %q, %v; want %q", got, err, lines)
	}
}

// BenchmarkServerMetrics measures what the server spends per call to its
// Observer when -debug-addr is given, from every core at once as
// connections call it, the worst case: Echoed, once per write (two
// counters, and the latency histogram with -debug-latency), and a
// connection's Accepted and Ended together. Set it beside the server's
// CPU time per line (13 µs or so at 50 connections, docs/2-echo.md).
func BenchmarkServerMetrics(b *testing.B) {
	for _, latency := range []bool{false, true} {
		m := newServerMetrics(prometheus.NewRegistry(), latency)
		b.Run(fmt.Sprintf("Echoed/latency=%v", latency), func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					m.Echoed(1, 64, 20*time.Microsecond)
				}
			})
		})
	}
	m := newServerMetrics(prometheus.NewRegistry(), false)
	b.Run("Accepted+Ended", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m.Accepted()
				m.Ended(echo.EndReasons()[0])
			}
		})
	})
}
