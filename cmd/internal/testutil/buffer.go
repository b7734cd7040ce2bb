// Package testutil holds what the tests of chansync's programs share.
package testutil

import "bytes"

// A Buffer is a bytes.Buffer that one goroutine may write while another
// reads it, as a progress bar draws from its own goroutine while a test
// reads what it drew: each call has the buffer to itself, taken from a
// one-slot channel and put back. Make one with NewBuffer.
type Buffer struct{ buf chan *bytes.Buffer }

// NewBuffer returns an empty Buffer.
func NewBuffer() *Buffer {
	b := &Buffer{buf: make(chan *bytes.Buffer, 1)}
	b.buf <- new(bytes.Buffer)
	return b
}

// Write appends p to the buffer.
func (b *Buffer) Write(p []byte) (int, error) {
	buf := <-b.buf
	defer func() { b.buf <- buf }()
	return buf.Write(p)
}

// String returns what has been written so far.
func (b *Buffer) String() string {
	buf := <-b.buf
	defer func() { b.buf <- buf }()
	return buf.String()
}
