package main

import (
	"fmt"
	"image/color"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/chansync/chansync/cmd/internal/figure"
)

// checkOutput fails early, before the run, if path is not a .png or .svg
// in a writable directory.
func checkOutput(path string) error {
	if ext := strings.ToLower(filepath.Ext(path)); !slices.Contains(figure.Extensions, ext) {
		return fmt.Errorf("%s: want a .png or .svg file", path)
	}
	return figure.CheckDir(filepath.Dir(path))
}

var (
	pendingColor = figure.Color(0) // blue: a poll that returned Pending
	readyColor   = figure.Color(2) // bluish green: the poll that returned Ready
	wakeColor    = figure.Color(1) // vermilion: a wake
	linkColor    = color.Gray{0xa0}
)

// drawTimeline draws tl: one row per task, top to bottom in the order they were
// spawned.
func drawTimeline(tl timeline, n int, caption, path string) error {
	p := plot.New()
	p.X.Label.Text = "time since the first poll (µs)"
	p.Y.Label.Text = "tasks, in the order spawned"
	names := slices.Clone(tl.Rows)
	slices.Reverse(names)
	p.NominalY(names...)
	p.Y.Min, p.Y.Max = -0.6, float64(len(tl.Rows))-0.4
	p.X.Min, p.X.Max = 0, tl.Span*1.5 // the right third for the legend
	p.Add(&plotter.Grid{Vertical: plotter.DefaultGridLineStyle})
	y := func(row int) float64 { return float64(len(tl.Rows) - 1 - row) }

	p.Add(&links{tl: tl, y: y})
	p.Add(&polls{tl: tl, y: y})
	var marks plotter.XYs
	for _, w := range tl.Wakes {
		marks = append(marks, plotter.XY{X: w.At, Y: y(w.Row) + 0.38})
	}
	if len(marks) > 0 {
		s, err := plotter.NewScatter(marks)
		if err != nil {
			return err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: wakeColor, Radius: vg.Points(3), Shape: invertedPyramid{}}
		p.Add(s)
		p.Legend.Add("wake", s)
	}
	p.Legend.Add("poll that returned Pending", swatch{pendingColor})
	p.Legend.Add("poll that returned Ready", swatch{readyColor})
	p.Legend.Add("from the row of the task whose poll woke it", lineThumb{})
	p.Legend.Top, p.Legend.Left = true, false

	f := figure.Figure{
		Title:   fmt.Sprintf("The executor at work: the first %d molecules of H2O, each atom a task", n),
		Caption: caption,
		Panels:  [][]*plot.Plot{{p}},
		Width:   9 * vg.Inch,
		Height:  vg.Length(2.2+0.32*float64(len(tl.Rows))) * vg.Inch,
	}
	return f.Save(path)
}

// polls draws each poll as a bar across its row, at least a point and a
// half wide, so that the shortest polls show.
type polls struct {
	tl timeline
	y  func(int) float64
}

func (b *polls) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	for _, br := range b.tl.Bars {
		x0, x1 := tx(br.Start), tx(br.End)
		if x1-x0 < 1.5 {
			x1 = x0 + 1.5
		}
		y0, y1 := ty(b.y(br.Row)-0.28), ty(b.y(br.Row)+0.28)
		clr := pendingColor
		if br.Ready {
			clr = readyColor
		}
		c.FillPolygon(clr, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
	}
}

func (b *polls) DataRange() (xmin, xmax, ymin, ymax float64) {
	return 0, b.tl.Span, 0, float64(len(b.tl.Rows) - 1)
}

// links draws, for each wake whose waker is known, a line at the wake's
// time from the waker's row to the woken task's.
type links struct {
	tl timeline
	y  func(int) float64
}

func (l *links) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	sty := draw.LineStyle{Color: linkColor, Width: vg.Points(0.8)}
	for _, w := range l.tl.Wakes {
		if w.From < 0 || w.From == w.Row {
			continue
		}
		x := tx(w.At)
		c.StrokeLine2(sty, x, ty(l.y(w.From)), x, ty(l.y(w.Row)+0.38))
	}
}

// swatch is a legend thumbnail: a filled box.
type swatch struct{ c color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	c.FillPolygon(s.c, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
}

// lineThumb is the legend thumbnail of a link: a grey line.
type lineThumb struct{}

func (lineThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(draw.LineStyle{Color: linkColor, Width: vg.Points(0.8)}, c.Min.X, y, c.Max.X, y)
}

// invertedPyramid is a triangle pointing down, onto the woken task's row.
type invertedPyramid struct{}

func (invertedPyramid) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius
	c.FillPolygon(sty.Color, []vg.Point{{X: pt.X - r, Y: pt.Y + r}, {X: pt.X + r, Y: pt.Y + r}, {X: pt.X, Y: pt.Y - r}})
}
