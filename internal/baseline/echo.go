package baseline

import (
	"bufio"
	"net"
)

// ServeEcho is the minimal line echo server that chansync's echo server is
// measured against: one goroutine per connection, a 4 KiB bufio.Reader and a
// Write per line; no limits, no tracking, no logging, no shutdown. It
// returns when ln is closed; connections already open go on until their
// clients close them.
func ServeEcho(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go echoLines(c)
	}
}

func echoLines(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 4096)
	for {
		line, err := r.ReadSlice('\n')
		if len(line) > 0 && (err == nil || err == bufio.ErrBufferFull) {
			if _, werr := c.Write(line); werr != nil {
				return
			}
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}
