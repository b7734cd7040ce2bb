package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/chansync/chansync/cmd/internal/child"
	"github.com/chansync/chansync/echo"
	"github.com/chansync/chansync/internal/baseline"
	"github.com/chansync/chansync/internal/procfs"
)

// serverChild, started with a server kind as its spec, is a server for
// -compare: it listens on a free loopback port, prints "listening ADDR" as
// its ready line, and serves until its parent stops it. A process of its
// own gives each run a fresh server whose resident set is the server's
// alone.
var serverChild = child.Role{Env: "ECHOLOAD_SERVER", Prog: "echoload", Main: serveChild}

var serverKinds = []string{"baseline", "goroutine", "thread", "sequential", "reactor"}

// stopGrace is how long a server child has to end once told to, before it
// is killed.
const stopGrace = 10 * time.Second

func serveChild(ctx context.Context, kind string, stdout io.Writer) error {
	if !slices.Contains(serverKinds, kind) {
		return fmt.Errorf("unknown server kind %q", kind)
	}
	var srv *echo.Server
	if kind != "baseline" {
		var err error
		srv, err = echo.NewServer(echo.Config{
			Mode:     echo.Mode(kind),
			MaxConns: 30_000,
			Logger:   slog.New(slog.DiscardHandler), // the baseline does not log either
		})
		if err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "listening %s\n", ln.Addr())
	if srv == nil {
		go baseline.ServeEcho(ln)
		<-ctx.Done()
		return nil
	}
	if err := srv.Serve(ctx, ln); ctx.Err() == nil {
		return err // accepting failed for good
	}
	return nil
}

// startServer starts a fresh server of kind in a child process and returns
// it with the address it listens on.
func startServer(ctx context.Context, kind string) (*child.Process, string, error) {
	p, ready, err := serverChild.Start(ctx, kind)
	if err != nil {
		return nil, "", fmt.Errorf("%s server did not start: %v", kind, err)
	}
	addr, ok := strings.CutPrefix(ready, "listening ")
	if !ok {
		p.Stop(stopGrace)
		return nil, "", fmt.Errorf("%s server did not start: it printed %q", kind, ready)
	}
	return p, addr, nil
}

// loadFresh starts a fresh server of kind, runs cfg against it (once
// first as a warm-up, if warmUp), and stops it. cfg.addr is filled in.
func loadFresh(kind string, cfg loadConfig, warmUp bool) (result, error) {
	ctx := context.Background()
	p, addr, err := startServer(ctx, kind)
	if err != nil {
		return result{}, err
	}
	defer p.Stop(stopGrace)
	cfg.addr = addr
	if cpuMeasured() {
		cfg.serverPID = p.PID()
	}
	if warmUp {
		if warm := runLoad(ctx, cfg); len(warm.Errors) > 0 {
			return warm, nil
		}
	}
	return runLoad(ctx, cfg), nil
}

// cpuMeasured reports whether a server's CPU time can be read on this
// system.
func cpuMeasured() bool {
	_, err := procfs.CPUTime(procfs.Self)
	return err == nil
}

// reactorRuns reports whether echo's reactor mode runs on this system.
func reactorRuns() bool {
	_, err := echo.NewServer(echo.Config{Mode: echo.ModeReactor})
	return err == nil
}
