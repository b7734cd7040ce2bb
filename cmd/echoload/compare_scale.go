package main

import (
	"context"
	"fmt"
	"time"
)

// idleConns is how many connections the comparison's last two tables hold
// at once.
const idleConns = 10_000

// atScale is the comparison's last report, at idleConns connections: each
// server's memory per idle connection, then every connection under load.
// Where the file-descriptor limit is too low for them, it says so in place
// of both tables.
func (c *comparison) atScale() error {
	fmt.Fprintf(c.out, "\nMemory per idle connection: server RSS with %d idle connections minus RSS with none:\n\n", idleConns)
	if err := checkFDs(idleConns); err != nil {
		fmt.Fprintf(c.out, "(skipped: %v)\n", err)
		return nil
	}
	if err := c.idleMemory(); err != nil {
		return err
	}
	return c.allConnsLoaded()
}

// idleMemory prints each server's resident set before and after it
// accepts idleConns connections that each echo one line and then idle.
func (c *comparison) idleMemory() error {
	fmt.Fprintln(c.out, "| server | RSS, no connections | RSS, 10,000 idle | per connection | errors |")
	fmt.Fprintln(c.out, "|---|---:|---:|---:|---|")
	for _, kind := range append(kindsOf(c.servers), "thread") {
		p, addr, err := startServer(context.Background(), kind)
		if err != nil {
			return err
		}
		before, _ := p.RSSKiB()
		conns, errs := openIdle(addr, idleConns)
		time.Sleep(time.Second) // let the server settle after the burst
		after, _ := p.RSSKiB()
		closeAll(conns)
		p.Stop(stopGrace)
		if len(errs) > 0 {
			c.failed = true
		}
		fmt.Fprintf(c.out, "| %s | %.0f KiB | %.0f KiB | %.2f KiB | %s |\n", kind, before, after, (after-before)/float64(len(conns)), errText(errs))
	}
	return nil
}

// allConnsLoaded loads each server with idleConns connections at once.
func (c *comparison) allConnsLoaded() error {
	fmt.Fprintf(c.out, "\n%d connections at once, 10 lines of 64 bytes each, byte-exact checks, after one warm-up run:\n\n", idleConns)
	fmt.Fprintln(c.out, "| server | lines/s | CPU/line, connecting included | wait | p99 | connections served | errors |")
	fmt.Fprintln(c.out, "|---|---:|---:|---:|---:|---:|---|")
	for _, kind := range kindsOf(c.servers) {
		// By count, not time: every connection must get all its echoes.
		r, err := loadFresh(kind, loadConfig{conns: idleConns, lines: 10 * idleConns, size: 64, pipeline: 1}, true)
		if err != nil {
			return err
		}
		if len(r.Errors) > 0 {
			c.failed = true
		}
		c.printScaleRow(kind, r)
	}
	return nil
}

// printScaleRow prints the row of a server of kind, r its run.
func (c *comparison) printScaleRow(kind string, r result) {
	fmt.Fprintf(c.out, "| %s | %.0f | %s | %s | %s | %d | %s |\n", kind, r.LinesPerSec, cpuCell(r.ServerCPUPerLine), waitCell(addWait(nil, r)), usText(r.P99), r.Served, errText(r.Errors))
}
