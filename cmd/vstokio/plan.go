package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// A benchPair is one tokio::sync or tokio::spawn benchmark and the Go
// benchmark(s) of the same shape, run one after the other in each round.
type benchPair struct {
	name    string   // the workload, as both sides name it: "Mutex/contended"
	label   string   // how the table names it
	goTest  string   // the Go side's test binary: "csp" or "async"
	goImpls []string // the Go sides compared with tokio
	unit    string   // the figure compared
}

// benchPairs are the benchmarks of csp/bench_test.go,
// csp/family_bench_test.go and csp/async/bench_test.go that
// rust/src/bin/bench_tokio repeats with tokio, in the table's order.
var benchPairs = []benchPair{
	{"Mutex/uncontended", "Mutex, uncontended", "csp", []string{"csp"}, "ns/op"},
	{"Mutex/contended", "Mutex, contended, 16 tasks", "csp", []string{"csp"}, "ns/op"},
	{"Semaphore/contended", "Semaphore(4), contended, 16 tasks", "csp", []string{"csp"}, "ns/op"},
	{"Barrier/parties=3", "Barrier, 3 parties, per generation", "csp", []string{"csp"}, "ns/op"},
	{"Barrier/parties=16", "Barrier, 16 parties, per generation", "csp", []string{"csp"}, "ns/op"},
	{"RWMutex/reads=90", "RwLock, 90% reads, 16 tasks", "csp", []string{"csp"}, "ns/op"},
	{"RWMutex/reads=50", "RwLock, 50% reads, 16 tasks", "csp", []string{"csp"}, "ns/op"},
	{"Notify/pingpong", "Notify, ping-pong round trip", "csp", []string{"csp"}, "ns/op"},
	{"OnceCell/get", "OnceCell, get, 16 tasks", "csp", []string{"csp"}, "ns/op"},
	{"Broadcast/lockstep", "broadcast, lockstep, 8 receivers", "csp", []string{"csp"}, "ns/op"},
	{"Watch/lockstep", "watch, lockstep, 8 receivers", "csp", []string{"csp"}, "ns/op"},
	{"SpawnJoin", "spawn and join one task", "async", []string{"executor", "goroutine"}, "ns/op"},
	{"SpawnMany", "spawn 1,000 and join all, per task", "async", []string{"executor", "goroutine"}, "ns/task"},
}

// goSideNames says what each Go side is, in the table.
var goSideNames = map[string]string{
	"csp":        "csp",
	"executor":   "csp/async executor",
	"goroutine":  "go f() and a channel",
	"goroutines": "goroutines (`cmd/h2o -quiet`)",
	"tasks":      "csp/async tasks (`-runtime tasks`)",
}

// goBenchPattern is the go test -bench pattern that runs exactly p's Go
// sides: one pattern per level of the name, split at each slash.
func goBenchPattern(p benchPair) string {
	pat := "^Benchmark" + p.name + "$"
	if dir, last := filepath.Split(p.name); dir != "" {
		pat = "^Benchmark" + dir[:len(dir)-1] + "$/^" + last + "$"
	}
	impls := p.goImpls[0]
	if len(p.goImpls) > 1 {
		impls = "(" + impls
		for _, i := range p.goImpls[1:] {
			impls += "|" + i
		}
		impls += ")"
	}
	return pat + "/^impl=" + impls + "$"
}

// The programs both sides run, under the folders the runner built or found
// them in.
type programs struct {
	goBin   string // goCommands and the test binaries of goTestPackages
	rustBin string // rustPrograms: rust/target/release
}

var (
	goCommands     = []string{"h2o", "echo", "echoload"}
	goTestPackages = map[string]string{"csp": "./csp", "async": "./csp/async"} // by benchPair.goTest
	rustPrograms   = []string{"bench-tokio", "h2o-tokio", "echo-tokio", "echo-threads"}
)

func (p programs) goTest(name string) string { return filepath.Join(p.goBin, name+".test") }
func (p programs) goCmd(name string) string  { return filepath.Join(p.goBin, name) }
func (p programs) rust(name string) string   { return filepath.Join(p.rustBin, name) }

// An h2oSide is one of the water factories timed at n molecules.
type h2oSide struct {
	impl string
	argv func(p programs, n int) []string
}

var h2oSides = []h2oSide{
	{"goroutines", func(p programs, n int) []string { return []string{p.goCmd("h2o"), "-n", strconv.Itoa(n), "-quiet"} }},
	{"tasks", func(p programs, n int) []string {
		return []string{p.goCmd("h2o"), "-n", strconv.Itoa(n), "-quiet", "-runtime", "tasks"}
	}},
	{"tokio", func(p programs, n int) []string { return []string{p.rust("h2o-tokio"), "-n", strconv.Itoa(n)} }},
}

// An echoServer is one of the servers loaded by echoload, each in a
// process of its own, listening on port.
type echoServer struct {
	impl  string
	label string
	argv  func(p programs, port int) []string
}

var echoServers = []echoServer{
	{"tokio", "tokio, a task per client (2 workers)", func(p programs, port int) []string {
		return []string{p.rust("echo-tokio"), "--workers", "2", strconv.Itoa(port)}
	}},
	{"rust-threads", "Rust, a thread per client", func(p programs, port int) []string {
		return []string{p.rust("echo-threads"), strconv.Itoa(port)}
	}},
	{"goroutine", "chansync, goroutine mode (`cmd/echo`)", func(p programs, port int) []string {
		return goEcho(p, port, "goroutine")
	}},
	{"reactor", "chansync, reactor mode (`cmd/echo -mode reactor`)", func(p programs, port int) []string {
		return goEcho(p, port, "reactor")
	}},
}

func goEcho(p programs, port int, mode string) []string {
	return []string{p.goCmd("echo"), "-addr", fmt.Sprintf("127.0.0.1:%d", port), "-mode", mode, "-log-level", "warn"}
}

// The clients echoload can drive an echo load point's connections with
// (its -client).
const (
	// clientGoroutine is echoload's default: a goroutine per connection,
	// waiting in Go's netpoller.
	clientGoroutine = "goroutine"
	// clientThread is the tutorial's client: an OS thread per connection,
	// locked to it, with blocking read and write system calls.
	clientThread = "thread"
)

// An echoPoint is one echo load: how many connections, how long a line,
// and which of echoload's clients drives the connections.
type echoPoint struct {
	conns, size int
	client      string // clientGoroutine or clientThread
}

// name is the point's workload in the samples: Echo/conns=50/size=64 for
// the goroutine client, as before the thread client was measured (so that
// those samples still read as the same workload), and
// Echo/conns=50/size=64/client=thread for the others.
func (p echoPoint) name() string {
	name := fmt.Sprintf("Echo/conns=%d/size=%d", p.conns, p.size)
	if p.client != clientGoroutine {
		name += "/client=" + p.client
	}
	return name
}

// parseEchoName takes apart a name that echoPoint.name writes for a
// client of echoClients; ok is false for any other name.
func parseEchoName(name string) (p echoPoint, ok bool) {
	rest, ok := strings.CutPrefix(name, "Echo/")
	if !ok {
		return p, false
	}
	elems := strings.Split(rest, "/")
	if len(elems) < 2 || len(elems) > 3 {
		return p, false
	}
	var err1, err2 error
	c, ok1 := strings.CutPrefix(elems[0], "conns=")
	s, ok2 := strings.CutPrefix(elems[1], "size=")
	p.conns, err1 = strconv.Atoi(c)
	p.size, err2 = strconv.Atoi(s)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || p.conns < 1 || p.size < 1 {
		return echoPoint{}, false
	}
	p.client = clientGoroutine
	if len(elems) == 3 {
		client, ok := strings.CutPrefix(elems[2], "client=")
		if _, known := echoClients[client]; !ok || !known || client == clientGoroutine {
			return echoPoint{}, false // the goroutine client's name has no client= element
		}
		p.client = client
	}
	return p, true
}

// echoClients say, in the page, how each client drives a connection: the
// tail of the load point's heading, and a sentence.
var echoClients = map[string]struct{ heading, drives string }{
	clientGoroutine: {"", "Each connection is driven by a goroutine of its own, waiting in Go's netpoller"},
	clientThread: {", thread client (an OS thread per connection)",
		"Each connection is driven by an OS thread of its own with blocking read and write system calls, as the tutorial's client does"},
}
