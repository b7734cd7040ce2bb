package main

import (
	"fmt"
	"io"
	"net"
	"time"

	"github.com/sourcegraph/conc/pool"
)

// openIdle opens n connections to addr, sends one line on each and reads
// its echo, and returns the open connections and the failures by kind.
func openIdle(addr string, n int) ([]net.Conn, map[string]int64) {
	type opened struct {
		c   net.Conn
		err string
	}
	p := pool.NewWithResults[opened]().WithMaxGoroutines(64)
	for range n {
		p.Go(func() opened {
			c, err := net.DialTimeout("tcp", addr, 10*time.Second)
			if err != nil {
				return opened{err: "dial: " + errKind(err)}
			}
			c.SetDeadline(time.Now().Add(30 * time.Second))
			got := make([]byte, 5)
			if _, err := c.Write([]byte("idle\n")); err != nil {
				c.Close()
				return opened{err: "write: " + errKind(err)}
			}
			if _, err := io.ReadFull(c, got); err != nil || string(got) != "idle\n" {
				c.Close()
				if err != nil {
					return opened{err: "read: " + errKind(err)}
				}
				return opened{err: "mismatch"}
			}
			c.SetDeadline(time.Time{})
			return opened{c: c}
		})
	}
	var conns []net.Conn
	errs := map[string]int64{}
	for _, o := range p.Wait() {
		if o.err != "" {
			errs[o.err]++
			continue
		}
		conns = append(conns, o.c)
	}
	return conns, errs
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// runIdle holds n idle connections open until a signal arrives from
// interrupts. The signal is the run's normal end: it returns 0 unless a
// connection failed to open.
func runIdle(addr string, n int, stdout, stderr io.Writer, interrupts interrupts) int {
	if err := checkFDs(n); err != nil {
		fmt.Fprintf(stderr, "echoload: %v\n", err)
		return 1
	}
	if err := checkServer(addr); err != nil {
		fmt.Fprintf(stderr, "echoload: %v\n", err)
		return 1
	}
	stop, stopSignals := interrupts()
	defer stopSignals()
	conns, errs := openIdle(addr, n)
	defer closeAll(conns)
	fmt.Fprintf(stdout, "%d of %d idle connections open (each sent one line and got its echo); interrupt to close them\n", len(conns), n)
	for _, e := range errorList(errs) {
		fmt.Fprintf(stderr, "echoload: %s\n", e)
	}
	<-stop
	if len(errs) > 0 {
		return 1
	}
	return 0
}
