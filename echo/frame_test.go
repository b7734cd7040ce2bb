package echo

import (
	"bytes"
	"testing"
)

// feed runs data through a framer in the pieces given by cuts (each byte of
// cuts is the length of the next piece, 0 read as 1) and returns what would
// be echoed and whether a too-long line stopped it.
func feed(data, cuts []byte, maxLine, readSize int) (echoed []byte, tooLong bool) {
	f := newFramer(maxLine, readSize, make(chan []byte, 2))
	for i := 0; len(data) > 0; i++ {
		piece := 1
		if len(cuts) > 0 {
			piece = max(1, int(cuts[i%len(cuts)]))
		}
		space := f.space()
		if len(space) == 0 {
			panic("framer offered no space")
		}
		n := copy(space, data[:min(piece, len(data))])
		data = data[n:]
		lines, count, long := f.commit(n)
		if bytes.Count(lines, []byte("\n")) != count || (len(lines) > 0 && lines[len(lines)-1] != '\n') {
			panic("framer returned lines that do not match its count")
		}
		echoed = append(echoed, lines...)
		if long {
			return echoed, true
		}
		f.release() // as an idle connection does; keeps a partial line
		if len(f.buf) > maxLine+readSize {
			panic("framer buffered more than a maximal line plus one read")
		}
	}
	return echoed, false
}

// model is the framing rule stated plainly: echo every complete line up to
// the first one longer than max; a final partial line is never echoed, and
// one that has reached max bytes is already too long.
func model(data []byte, max int) (echoed []byte, tooLong bool) {
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return echoed, len(data) >= max
		}
		if i+1 > max {
			return echoed, true
		}
		echoed = append(echoed, data[:i+1]...)
		data = data[i+1:]
	}
}

func FuzzFraming(f *testing.F) {
	f.Add([]byte("hello\nworld\n"), []byte{1}, uint8(16))
	f.Add([]byte("a\r\nb\x00\xff\ntail"), []byte{3, 1, 7}, uint8(8))
	f.Add([]byte("exactly 8\nseven!\n"), []byte{200}, uint8(8))
	f.Add([]byte("\n\n\n"), []byte{}, uint8(1))
	f.Add(bytes.Repeat([]byte("long line "), 30), []byte{5, 50}, uint8(64))
	f.Fuzz(func(t *testing.T, data, cuts []byte, maxLine uint8) {
		max := 1 + int(maxLine)
		for _, readSize := range []int{1, 7, 4096} {
			got, gotLong := feed(data, cuts, max, readSize)
			want, wantLong := model(data, max)
			if !bytes.Equal(got, want) || gotLong != wantLong {
				t.Fatalf("max %d readSize %d: echoed %q (too long %v), want %q (%v)", max, readSize, got, gotLong, want, wantLong)
			}
		}
	})
}
