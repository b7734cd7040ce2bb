package echo

// Run with
//
//	go test -run '^$' -bench . -count 10 ./echo | tee echo.txt
//	benchstat -col /impl echo.txt

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/chansync/chansync/internal/baseline"
	"github.com/sourcegraph/conc"
)

// BenchmarkFraming measures the framer on a stream of lines arriving in
// 4 KiB reads.
func BenchmarkFraming(b *testing.B) {
	for _, size := range []int{64, 4096} {
		name := map[int]string{64: "line=64B", 4096: "line=4KiB"}[size]
		b.Run(name, func(b *testing.B) {
			stream := bytes.Repeat(append(bytes.Repeat([]byte("x"), size-1), '\n'), 64)
			f := newFramer(DefaultMaxLineBytes, readSize, nil)
			b.SetBytes(int64(len(stream)))
			for b.Loop() {
				for rest := stream; len(rest) > 0; {
					n := copy(f.space(), rest)
					rest = rest[n:]
					f.commit(n)
				}
			}
		})
	}
}

// BenchmarkEchoLine measures one line's round trip over loopback TCP with
// one client in a closed loop, per line: chansync's server (goroutine mode,
// as impl=chansync, and reactor mode where it runs) against the minimal
// baseline. Run with -benchmem: the allocations per line are the
// server's, the client allocating nothing.
func BenchmarkEchoLine(b *testing.B) {
	for _, size := range []int{64, 4096} {
		line := append(bytes.Repeat([]byte("y"), size-1), '\n')
		name := map[int]string{64: "line=64B", 4096: "line=4KiB"}[size]
		for _, impl := range benchImpls() {
			b.Run(name+"/impl="+impl, func(b *testing.B) {
				addr, stop := benchServer(b, impl)
				defer stop()
				roundTrips(b, addr, line)
			})
		}
	}
}

// BenchmarkEchoConns is BenchmarkEchoLine with 50 clients at once, each in
// a closed loop: ns per line over all of them.
func BenchmarkEchoConns(b *testing.B) {
	const conns = 50
	line := append(bytes.Repeat([]byte("y"), 63), '\n')
	for _, impl := range benchImpls() {
		b.Run("conns=50/line=64B/impl="+impl, func(b *testing.B) {
			addr, stop := benchServer(b, impl)
			defer stop()
			clients := make([]net.Conn, conns)
			for i := range clients {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				clients[i] = c
			}
			b.SetBytes(int64(len(line)))
			b.ResetTimer()
			var wg conc.WaitGroup
			for i, c := range clients {
				n := b.N/conns + min(1, max(0, b.N%conns-i)) // b.N lines in all
				wg.Go(func() {
					got := make([]byte, len(line))
					for range n {
						if _, err := c.Write(line); err != nil {
							b.Error(err)
							return
						}
						if _, err := io.ReadFull(c, got); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

// benchImpls are the servers the benchmarks compare: chansync's default
// (goroutine) mode, its reactor mode where it runs, and the baseline.
func benchImpls() []string {
	impls := []string{"chansync"}
	if len(supportedModes(ModeReactor)) > 0 {
		impls = append(impls, "reactor")
	}
	return append(impls, "baseline")
}

// benchServer serves impl on a loopback port until stop is called.
func benchServer(b *testing.B, impl string) (addr string, stop func()) {
	ln := listen(b)
	if impl == "baseline" {
		go baseline.ServeEcho(ln)
		return ln.Addr().String(), func() { ln.Close() }
	}
	cfg := Config{Logger: slog.New(slog.DiscardHandler)}
	if impl == "reactor" {
		cfg.Mode = ModeReactor
	}
	srv, err := NewServer(cfg)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	return ln.Addr().String(), func() {
		srv.Shutdown(context.Background())
		<-done
	}
}

func listen(b *testing.B) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	return ln
}

func roundTrips(b *testing.B, addr string, line []byte) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	got := make([]byte, len(line))
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := c.Write(line); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, got); err != nil {
			b.Fatal(err)
		}
	}
}
