// Package figuretest checks figure files written by package figure: that
// they decode, have the size asked for, and show as many series as were
// drawn.
package figuretest

import (
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gonum.org/v1/plot/vg"

	"github.com/chansync/chansync/cmd/internal/figure"
)

// Check reads the figure in path and returns an error unless it is a PNG
// (decoded with image/png) or an SVG (parsed with encoding/xml), as its
// extension says, of width by height, whose series colours are exactly the
// first series colours of figure's palette.
func Check(path string, width, height vg.Length, series int) error {
	var used func(c color.Color) bool
	switch ext := filepath.Ext(path); ext {
	case ".png":
		img, err := readPNG(path)
		if err != nil {
			return err
		}
		w, h := int(width/vg.Inch*figure.DPI+0.5), int(height/vg.Inch*figure.DPI+0.5)
		if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
			return fmt.Errorf("%s is %dx%d pixels, want %dx%d", path, b.Dx(), b.Dy(), w, h)
		}
		colors := pixelColors(img)
		used = func(c color.Color) bool {
			r, g, b, _ := c.RGBA()
			return colors[[3]uint32{r >> 8, g >> 8, b >> 8}]
		}
	case ".svg":
		colors, err := readSVG(path, width, height)
		if err != nil {
			return err
		}
		used = func(c color.Color) bool {
			for _, u := range colors {
				if near(u, c) {
					return true
				}
			}
			return false
		}
	default:
		return fmt.Errorf("%s: not a figure file (%q)", path, ext)
	}
	// The palette has more colours than any test draws series, so the
	// first unused one shows whether there were more series than asked.
	for i := range series + 1 {
		if want := i < series; used(figure.Color(i)) != want {
			return fmt.Errorf("%s: series colour %d used: %v; want %d series", path, i, !want, series)
		}
	}
	return nil
}

func readPNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return img, nil
}

// pixelColors is the set of the colours of img's pixels. A series colour
// is among them where it fills a bar or the inside of a thick line, away
// from the anti-aliased edges.
func pixelColors(img image.Image) map[[3]uint32]bool {
	colors := map[[3]uint32]bool{}
	if rgba, ok := img.(*image.RGBA); ok && rgba.Rect.Min == (image.Point{}) {
		// The common case, read straight from the pixels: image.At is slow
		// under the race detector. The figures are opaque, so the
		// premultiplied values are the colours.
		for i := 0; i+3 < len(rgba.Pix); i += 4 {
			colors[[3]uint32{uint32(rgba.Pix[i]), uint32(rgba.Pix[i+1]), uint32(rgba.Pix[i+2])}] = true
		}
		return colors
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			colors[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	return colors
}

var svgColor = regexp.MustCompile(`#[0-9A-Fa-f]{6}`)

// readSVG parses the SVG in path as XML, checks its root's size, and
// returns the colours its elements are drawn in.
func readSVG(path string, width, height vg.Length) ([]color.Color, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	d := xml.NewDecoder(strings.NewReader(string(b)))
	root := false
	var colors []color.Color
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s is not well-formed XML: %v", path, err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !root {
			root = true
			if el.Name.Local != "svg" {
				return nil, fmt.Errorf("%s: root element <%s>, want <svg>", path, el.Name.Local)
			}
			if w, h := attr(el, "width"), attr(el, "height"); !samePoints(w, width) || !samePoints(h, height) {
				return nil, fmt.Errorf("%s is %s by %s, want %.4gpt by %.4gpt", path, w, h, width.Points(), height.Points())
			}
		}
		for _, a := range el.Attr {
			for _, hex := range svgColor.FindAllString(a.Value, -1) {
				v, _ := strconv.ParseUint(hex[1:], 16, 32)
				colors = append(colors, color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff})
			}
		}
	}
	if !root {
		return nil, fmt.Errorf("%s: no root element", path)
	}
	return colors, nil
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func samePoints(s string, want vg.Length) bool {
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "pt"), 64)
	return err == nil && strings.HasSuffix(s, "pt") && v > want.Points()-0.01 && v < want.Points()+0.01
}

// near reports whether two colours differ by at most one in each channel
// (the SVG writer truncates).
func near(a, b color.Color) bool {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(x, y uint32) bool { x, y = x>>8, y>>8; return x <= y+1 && y <= x+1 }
	return d(ar, br) && d(ag, bg) && d(ab, bb)
}
