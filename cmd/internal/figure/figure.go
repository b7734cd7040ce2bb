// Package figure draws the figures of chansync's measuring programs
// (cmd/echoload, cmd/ctxswitch) with gonum.org/v1/plot.
//
// A Figure is a grid of plots (panels) under one title, with a caption line
// at the bottom that says how the figures were made and on which machine.
// The panels' data areas are aligned: every panel of a column starts at the
// same x, every panel of a row at the same y, whatever the width of its tick
// labels. Save writes PNG or SVG, chosen by the file's extension.
//
// The package lives under cmd/ because only the programs use it; chansync's
// library packages depend on the standard library alone.
package figure

import (
	"cmp"
	"errors"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/chansync/chansync/internal/procfs"
)

// Extensions are the file extensions Save writes.
var Extensions = []string{".png", ".svg"}

// DPI is the resolution of PNG files: twice the usual 72 points per inch,
// so that the images stay sharp on high-density screens.
const DPI = 144

func init() {
	// A sans-serif face reads better than the default serif at the small
	// sizes of tick labels.
	sans := font.Font{Typeface: "Liberation", Variant: "Sans"}
	plot.DefaultFont = sans
	plotter.DefaultFont = sans
}

// Color is the i-th colour of the series palette (Okabe and Ito's, which
// stays distinguishable for the common colour-vision deficiencies and in
// greyscale); it wraps around after the last.
func Color(i int) color.Color {
	return palette[i%len(palette)]
}

var palette = []color.RGBA{
	{0x00, 0x72, 0xb2, 0xff}, // blue
	{0xd5, 0x5e, 0x00, 0xff}, // vermilion
	{0x00, 0x9e, 0x73, 0xff}, // bluish green
	{0xcc, 0x79, 0xa7, 0xff}, // reddish purple
	{0xe6, 0x9f, 0x00, 0xff}, // orange
	{0x56, 0xb4, 0xe9, 0xff}, // sky blue
}

// TextStyle is the style of text drawn outside the plots' own titles and
// axes: the figure's title, its caption, value labels.
func TextStyle(size vg.Length, c color.Color) text.Style {
	return text.Style{
		Color:   c,
		Font:    font.From(plot.DefaultFont, size),
		XAlign:  draw.XCenter,
		YAlign:  draw.YBottom,
		Handler: plot.DefaultTextHandler,
	}
}

// Labels writes texts at points of a plot, in TextStyle of size and c,
// each centred above its point and moved by offset: a bar's own offset in
// its group, and a few points up, so that a value stands above its bar.
// There must be as many texts as points.
func Labels(xys plotter.XYs, texts []string, size vg.Length, c color.Color, offset vg.Point) (*plotter.Labels, error) {
	if len(xys) != len(texts) {
		return nil, fmt.Errorf("figure: %d labels for %d points", len(texts), len(xys))
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
	if err != nil {
		return nil, err
	}
	for k := range l.TextStyle {
		l.TextStyle[k] = TextStyle(size, c)
	}
	l.Offset = offset
	return l, nil
}

// Machine describes the machine the program runs on: processor model,
// number of CPUs, system and Go version.
func Machine() string {
	model := cmp.Or(procfs.CPUModel(), runtime.GOARCH)
	return fmt.Sprintf("%s, %d CPUs, %s/%s, %s", model, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// CheckFormat reports whether format (png or svg, as the programs'
// -plot-format takes it) is one that Save writes.
func CheckFormat(format string) error {
	if !slices.Contains(Extensions, "."+format) {
		return fmt.Errorf("-plot-format %q: want png or svg", format)
	}
	return nil
}

func formatError(path, ext string) error {
	if ext == "" {
		return fmt.Errorf("%s: no extension to choose the image format by; use %s", path, strings.Join(Extensions, " or "))
	}
	return fmt.Errorf("%s: unknown image format %q; use %s", path, ext, strings.Join(Extensions, " or "))
}

// CheckDir makes dir, and its parents, if they do not exist, and reports
// whether new files can be written in it. Programs call it before they
// measure, so that a bad argument fails at once and not after minutes of
// measuring.
func CheckDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return writable(dir)
}

// writable creates and removes a file in dir: the only sure test, since
// permissions, read-only mounts and a full disk all show only then.
func writable(dir string) error {
	switch fi, err := os.Stat(dir); {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("directory %s does not exist", dir)
	case err != nil:
		return fmt.Errorf("cannot write in %s: %v", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("cannot write in %s: not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".figure-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %v", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// CaptionSep separates the parts of a caption; a caption too wide for its
// figure is broken into lines there.
const CaptionSep = "  ·  "

// wrap breaks text into lines no wider than width, between parts
// separated by CaptionSep.
func wrap(sty text.Style, s string, width vg.Length) string {
	var lines []string
	line := ""
	for part := range strings.SplitSeq(s, CaptionSep) {
		if line != "" && sty.Width(line+CaptionSep+part) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += CaptionSep
		}
		line += part
	}
	return strings.Join(append(lines, line), "\n")
}

// A Figure is a grid of panels under a title, with a caption line below.
type Figure struct {
	Title   string
	Caption string
	// Panels are the plots, row by row; every row has the same number of
	// columns. A nil panel leaves its cell empty.
	Panels [][]*plot.Plot
	// ColumnWidths are the columns' relative widths; nil makes them equal.
	ColumnWidths []float64
	// Width and Height are the size of the whole figure.
	Width, Height vg.Length
}

const (
	margin   = vg.Length(8)  // around the figure, in points
	gap      = vg.Length(14) // between panels
	titleSz  = vg.Length(15)
	captionS = vg.Length(9)
)

// Save draws the figure and writes it to path, as PNG or SVG by the
// extension. The file appears whole or not at all: it is written under a
// temporary name in the same directory and renamed.
func (f *Figure) Save(path string) error {
	ext := strings.ToLower(filepath.Ext(path))
	var c vg.CanvasWriterTo
	switch ext {
	case ".png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(DPI))}
	case ".svg":
		c = vgsvg.New(f.Width, f.Height)
	default:
		return formatError(path, ext)
	}
	if err := f.draw(draw.New(c)); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".figure-*"+ext)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func (f *Figure) draw(c draw.Canvas) error {
	rows := len(f.Panels)
	if rows == 0 || len(f.Panels[0]) == 0 {
		return errors.New("figure: no panels")
	}
	cols := len(f.Panels[0])
	for _, r := range f.Panels {
		if len(r) != cols {
			return errors.New("figure: rows of different lengths")
		}
	}
	widths := f.ColumnWidths
	if widths == nil {
		widths = slices.Repeat([]float64{1}, cols)
	}
	if len(widths) != cols {
		return fmt.Errorf("figure: %d column widths for %d columns", len(widths), cols)
	}

	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	c = draw.Crop(c, margin, -margin, margin, -margin)
	if f.Title != "" {
		sty := TextStyle(titleSz, color.Black)
		sty.YAlign = draw.YTop
		c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y}, f.Title)
		c.Max.Y -= sty.Height(f.Title) + gap/2
	}
	if f.Caption != "" {
		sty := TextStyle(captionS, color.Gray{0x50})
		caption := wrap(sty, f.Caption, c.Max.X-c.Min.X)
		c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Min.Y}, caption)
		c.Min.Y += sty.Height(caption) + gap/2
	}

	// The cells: columns by their relative widths, rows of equal height,
	// top row first.
	var total float64
	for _, w := range widths {
		total += w
	}
	free := c.Max.X - c.Min.X - gap*vg.Length(cols-1)
	cellH := (c.Max.Y - c.Min.Y - gap*vg.Length(rows-1)) / vg.Length(rows)
	cell := func(r, k int) draw.Canvas {
		x := c.Min.X
		for _, w := range widths[:k] {
			x += free*vg.Length(w/total) + gap
		}
		y := c.Max.Y - vg.Length(r+1)*cellH - vg.Length(r)*gap
		return draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: x, Y: y},
			Max: vg.Point{X: x + free*vg.Length(widths[k]/total), Y: y + cellH},
		}}
	}

	// Each panel's room around its data area (axes, title); the widest in
	// each column and row sets where every data area of it begins.
	type room struct{ left, right, bottom, top vg.Length }
	rooms := make([][]room, rows)
	left, right := make([]vg.Length, cols), make([]vg.Length, cols)
	bottom, top := make([]vg.Length, rows), make([]vg.Length, rows)
	for r, row := range f.Panels {
		rooms[r] = make([]room, cols)
		for k, p := range row {
			if p == nil {
				continue
			}
			cc := cell(r, k)
			d := p.DataCanvas(cc)
			rm := room{d.Min.X - cc.Min.X, cc.Max.X - d.Max.X, d.Min.Y - cc.Min.Y, cc.Max.Y - d.Max.Y}
			rooms[r][k] = rm
			left[k], right[k] = max(left[k], rm.left), max(right[k], rm.right)
			bottom[r], top[r] = max(bottom[r], rm.bottom), max(top[r], rm.top)
		}
	}
	for r, row := range f.Panels {
		for k, p := range row {
			if p == nil {
				continue
			}
			rm := rooms[r][k]
			p.Draw(draw.Crop(cell(r, k), left[k]-rm.left, rm.right-right[k], bottom[r]-rm.bottom, rm.top-top[r]))
		}
	}
	return nil
}
