package echo

import "bytes"

// A framer holds what a connection has read and not yet answered: at most
// one partial line, at the front of its buffer, with free space behind it
// for the next read. It splits what arrives into the complete lines to echo
// and the partial tail to keep, and it never holds more than a line of the
// maximum length plus one read.
type framer struct {
	pool     chan []byte // free read buffers of readSize bytes; nil: no pooling
	buf      []byte      // buf[start:end] is unanswered data; buf[end:] is free; nil while released
	start    int
	end      int
	scanned  int // buf[start:scanned] has no '\n'
	max      int // longest line allowed, its '\n' included
	readSize int
}

func newFramer(max, readSize int, pool chan []byte) framer {
	return framer{max: max, readSize: readSize, pool: pool}
}

// release gives the buffer back to the free list if no partial line is in
// it, so an idle connection holds no buffer. The next space takes one again.
func (f *framer) release() {
	if f.buf == nil || f.partial() {
		return
	}
	if len(f.buf) == f.readSize {
		select {
		case f.pool <- f.buf:
		default: // the free list is full: let the collector have it
		}
	}
	f.buf = nil
	f.start, f.end, f.scanned = 0, 0, 0
}

// space returns the free space to read into, at least readSize bytes
// unless the buffer is at its bound. It moves the partial line to the front
// of the buffer first, so the buffer grows only for a long line.
func (f *framer) space() []byte {
	if f.start > 0 {
		n := copy(f.buf, f.buf[f.start:f.end])
		f.scanned -= f.start
		f.start, f.end = 0, n
	}
	if f.buf == nil {
		select {
		case f.buf = <-f.pool:
		default:
			f.buf = make([]byte, f.readSize)
		}
	}
	if len(f.buf)-f.end < f.readSize {
		size := max(f.readSize, 2*len(f.buf))
		size = min(size, f.max+f.readSize)
		size = max(size, f.end+1) // always room for one more byte
		grown := make([]byte, size)
		copy(grown, f.buf[:f.end])
		f.buf = grown
	}
	return f.buf[f.end:]
}

// roomy reports whether space would return without allocating.
func (f *framer) roomy() bool {
	return f.buf != nil && len(f.buf)-(f.end-f.start) >= f.readSize
}

// commit takes n bytes just read into the space and returns the complete
// lines now ready to be echoed (valid until the next call of space), how
// many lines that is, and whether the line after them is too long: either
// it is complete and longer than max, or it is partial and already max bytes
// long, so that its '\n' could only make it longer.
func (f *framer) commit(n int) (lines []byte, count int, tooLong bool) {
	f.end += n
	from := f.start
	for {
		i := bytes.IndexByte(f.buf[f.scanned:f.end], '\n')
		if i < 0 {
			f.scanned = f.end
			tooLong = f.end-f.start >= f.max
			break
		}
		eol := f.scanned + i + 1
		if eol-f.start > f.max {
			tooLong = true
			f.scanned = f.start // the rest is never used
			break
		}
		f.start, f.scanned = eol, eol
		count++
	}
	return f.buf[from:f.start], count, tooLong
}

// partial reports whether a line has begun and not ended.
func (f *framer) partial() bool {
	return f.end > f.start
}
