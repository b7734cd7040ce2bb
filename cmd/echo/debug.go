package main

import (
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/chansync/chansync/echo"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The debug endpoint (-debug-addr) serves what the server does, as it does
// it: its counts in the Prometheus text format at /metrics, with the Go
// runtime's and the process's own, and the runtime's profiles at
// /debug/pprof/, and in reactor mode the connections' tasks at
// /debug/tasks (tasks.go). Nothing listens for it unless the flag is given. Its
// handlers are on a mux of its own: importing net/http/pprof also
// registers them on http.DefaultServeMux, which this program never serves.

// debugRoute is one page of the debug endpoint.
type debugRoute struct {
	pattern string
	handler http.Handler
}

// debugRoutes are the debug endpoint's pages, one a line, and, in reactor
// mode, /debug/tasks (tasks.go).
func debugRoutes(reg *prometheus.Registry, tasks *taskPage) []debugRoute {
	routes := []debugRoute{
		{"/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{})},
		{"/debug/pprof/", http.HandlerFunc(pprof.Index)}, // and the profiles by name: heap, goroutine, ...
		{"/debug/pprof/cmdline", http.HandlerFunc(pprof.Cmdline)},
		{"/debug/pprof/profile", http.HandlerFunc(pprof.Profile)},
		{"/debug/pprof/symbol", http.HandlerFunc(pprof.Symbol)},
		{"/debug/pprof/trace", http.HandlerFunc(pprof.Trace)},
	}
	if tasks != nil {
		routes = append(routes, debugRoute{"/debug/tasks", tasks})
	}
	return routes
}

// debugEndpoint is the debug endpoint: the metrics that the echo server
// reports to, and the HTTP server that serves them.
type debugEndpoint struct {
	metrics *serverMetrics
	routes  []debugRoute
	http    *http.Server
	done    chan struct{} // closed when serving has stopped
	err     error         // why serving stopped; read once done is closed
}

// newDebugEndpoint makes the endpoint's metrics, with the latency
// histogram or without, and its pages, with the task list if tasks is
// not nil; it listens on nothing yet.
func newDebugEndpoint(latency bool, tasks *taskPage) *debugEndpoint {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d := &debugEndpoint{metrics: newServerMetrics(reg, latency), routes: debugRoutes(reg, tasks), done: make(chan struct{})}
	mux := http.NewServeMux()
	for _, r := range d.routes {
		mux.Handle(r.pattern, r.handler)
	}
	d.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return d
}

// paths are the endpoint's pages, for the log.
func (d *debugEndpoint) paths() string {
	var p []string
	for _, r := range d.routes {
		p = append(p, r.pattern)
	}
	return strings.Join(p, " ")
}

// serve serves the endpoint on ln, until close; done is closed when it
// stops, with err set, for close or because accepting failed for good.
func (d *debugEndpoint) serve(ln net.Listener) {
	go func() {
		d.err = d.http.Serve(ln)
		close(d.done)
	}()
}

// close stops the endpoint at once, the requests in progress with it, and
// returns once it has stopped serving. A nil endpoint is none.
func (d *debugEndpoint) close() {
	if d == nil {
		return
	}
	d.http.Close()
	<-d.done
}

// serverMetrics are the echo server's metrics; it is the server's
// echo.Observer, and every count moves as the server goes, not when a
// connection ends.
type serverMetrics struct {
	open              prometheus.Gauge
	accepted, refused prometheus.Counter
	lines, bytes      prometheus.Counter
	latency           prometheus.Histogram // nil unless -debug-latency
	ends              *prometheus.CounterVec
	endsBy            map[echo.EndReason]prometheus.Counter // ends' counters, made before any end; only read after
}

// newServerMetrics registers the server's metrics with reg, the latency
// histogram only if latency is set: at 50 connections on 2 cores its
// observations, contended by every core, added 1 to 3% to the server's
// CPU time per line, where the counters added nothing measurable
// (docs/2-echo.md).
func newServerMetrics(reg prometheus.Registerer, latency bool) *serverMetrics {
	f := promauto.With(reg)
	m := &serverMetrics{
		open: f.NewGauge(prometheus.GaugeOpts{Name: "echo_connections_open",
			Help: "Connections being served: accepted and not yet ended."}),
		accepted: f.NewCounter(prometheus.CounterOpts{Name: "echo_connections_accepted_total",
			Help: "Connections accepted and served."}),
		refused: f.NewCounter(prometheus.CounterOpts{Name: "echo_connections_refused_total",
			Help: "Connections refused because the server was full (-max-conns): told ERR server busy and closed."}),
		lines: f.NewCounter(prometheus.CounterOpts{Name: "echo_lines_echoed_total",
			Help: "Lines echoed."}),
		bytes: f.NewCounter(prometheus.CounterOpts{Name: "echo_bytes_echoed_total",
			Help: "Bytes echoed, the lines' newlines included."}),
		ends: f.NewCounterVec(prometheus.CounterOpts{Name: "echo_connection_ends_total",
			Help: "Accepted connections that ended, by the reason their log record gives."}, []string{"reason"}),
		endsBy: map[echo.EndReason]prometheus.Counter{},
	}
	if latency {
		m.latency = f.NewHistogram(prometheus.HistogramOpts{Name: "echo_line_latency_seconds",
			Help: "The server's part of a line's round trip: from reading and framing lines to the return of the write of their echo; one observation per write, which echoes the lines that arrived together.",
			// 1 µs to about 1 s, by fours.
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 11)})
	}
	for _, r := range echo.EndReasons() {
		m.endsBy[r] = m.ends.WithLabelValues(r.String()) // every reason shown, at 0 until it happens
	}
	return m
}

func (m *serverMetrics) Accepted() {
	m.accepted.Inc()
	m.open.Inc()
}

func (m *serverMetrics) Refused() { m.refused.Inc() }

func (m *serverMetrics) Echoed(lines, bytes int, took time.Duration) {
	m.lines.Add(float64(lines))
	m.bytes.Add(float64(bytes))
	if m.latency != nil {
		m.latency.Observe(took.Seconds())
	}
}

func (m *serverMetrics) Ended(why echo.EndReason) {
	m.open.Dec()
	if c, ok := m.endsBy[why]; ok {
		c.Inc()
		return
	}
	m.ends.WithLabelValues(why.String()).Inc()
}
