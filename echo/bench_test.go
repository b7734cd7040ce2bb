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
// one client in a closed loop, chansync's server against the minimal
// baseline, per line.
func BenchmarkEchoLine(b *testing.B) {
	for _, size := range []int{64, 4096} {
		line := append(bytes.Repeat([]byte("y"), size-1), '\n')
		name := map[int]string{64: "line=64B", 4096: "line=4KiB"}[size]
		b.Run(name+"/impl=chansync", func(b *testing.B) {
			srv, err := NewServer(Config{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			ln := listen(b)
			done := make(chan error, 1)
			go func() { done <- srv.Serve(context.Background(), ln) }()
			roundTrips(b, ln.Addr().String(), line)
			srv.Shutdown(context.Background())
			<-done
		})
		b.Run(name+"/impl=baseline", func(b *testing.B) {
			ln := listen(b)
			go baseline.ServeEcho(ln)
			roundTrips(b, ln.Addr().String(), line)
			ln.Close()
		})
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
