package figure_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/chansync/chansync/cmd/internal/figure"
	"github.com/chansync/chansync/cmd/internal/figure/figuretest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// panel is a plot with n lines in the series colours.
func panel(t *testing.T, n int) *plot.Plot {
	t.Helper()
	p := plot.New()
	p.Title.Text = "panel"
	for i := range n {
		l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: float64(i)}, {X: 1, Y: float64(i + 1)}})
		if err != nil {
			t.Fatal(err)
		}
		l.Color, l.Width = figure.Color(i), 3
		p.Add(l)
		p.Legend.Add("series", l)
	}
	return p
}

func TestSaveWritesPNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"grid.png", "grid.svg", "GRID.PNG"} {
		f := figure.Figure{
			Title: "title", Caption: "how" + figure.CaptionSep + "where" + figure.CaptionSep + "when",
			Panels: [][]*plot.Plot{{panel(t, 1), panel(t, 3)}, {nil, panel(t, 2)}},
			Width:  3 * vg.Inch, Height: 2 * vg.Inch,
		}
		path := filepath.Join(dir, name)
		if err := f.Save(path); err != nil {
			t.Fatal(err)
		}
		check := path
		if name == "GRID.PNG" { // the extension is read whatever its case
			check = filepath.Join(dir, "upper.png")
			if err := os.Rename(path, check); err != nil {
				t.Fatal(err)
			}
		}
		if err := figuretest.Check(check, 3*vg.Inch, 2*vg.Inch, 3); err != nil {
			t.Error(err)
		}
	}
	// Nothing but the figures: no temporary file is left behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("%d files in the folder, want the 3 figures: %v", len(entries), entries)
	}
}

func TestColumnWidthsAndBadGrids(t *testing.T) {
	dir := t.TempDir()
	ok := figure.Figure{Panels: [][]*plot.Plot{{panel(t, 1), panel(t, 2)}}, ColumnWidths: []float64{1, 3}, Width: 6 * vg.Inch, Height: 3 * vg.Inch}
	if err := ok.Save(filepath.Join(dir, "ok.svg")); err != nil {
		t.Fatal(err)
	}
	if err := figuretest.Check(filepath.Join(dir, "ok.svg"), 6*vg.Inch, 3*vg.Inch, 2); err != nil {
		t.Error(err)
	}
	for name, f := range map[string]figure.Figure{
		"no panels":       {Width: vg.Inch, Height: vg.Inch},
		"ragged rows":     {Panels: [][]*plot.Plot{{panel(t, 1)}, {panel(t, 1), panel(t, 1)}}, Width: vg.Inch, Height: vg.Inch},
		"too many widths": {Panels: [][]*plot.Plot{{panel(t, 1)}}, ColumnWidths: []float64{1, 2}, Width: vg.Inch, Height: vg.Inch},
	} {
		if err := f.Save(filepath.Join(dir, "bad.png")); err == nil {
			t.Errorf("%s: saved", name)
		}
	}
	f := figure.Figure{Panels: [][]*plot.Plot{{panel(t, 1)}}, Width: vg.Inch, Height: vg.Inch}
	if err := f.Save(filepath.Join(dir, "x.gif")); err == nil || !strings.Contains(err.Error(), "png or .svg") {
		t.Errorf("saving a .gif: %v", err)
	}
}

func TestCheckFormat(t *testing.T) {
	for _, ok := range []string{"png", "svg"} {
		if err := figure.CheckFormat(ok); err != nil {
			t.Errorf("CheckFormat(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"gif", "", ".png", "PNG "} {
		if err := figure.CheckFormat(bad); err == nil || !strings.Contains(err.Error(), "want png or svg") {
			t.Errorf("CheckFormat(%q) = %v, want an error saying what it takes", bad, err)
		}
	}
}

func TestCheckDir(t *testing.T) {
	dir := t.TempDir()
	nested := filepath.Join(dir, "a", "b")
	if err := figure.CheckDir(nested); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(nested); err != nil || !fi.IsDir() {
		t.Fatalf("CheckDir did not make %s: %v", nested, err)
	}
	if entries, _ := os.ReadDir(nested); len(entries) != 0 {
		t.Errorf("CheckDir left %v behind", entries)
	}
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	for _, bad := range []string{file, filepath.Join(file, "sub"), "/proc/self"} {
		if err := figure.CheckDir(bad); err == nil {
			t.Errorf("CheckDir(%s) succeeded", bad)
		}
	}
}

func TestMachineNamesTheSystem(t *testing.T) {
	m := figure.Machine()
	for _, want := range []string{"CPUs", "go1."} {
		if !strings.Contains(m, want) {
			t.Errorf("Machine() = %q, lacks %q", m, want)
		}
	}
}

// Labels styles every text alike and moves it by the offset given; texts
// that do not match the points are an error.
func TestLabels(t *testing.T) {
	xys := plotter.XYs{{X: 0, Y: 10}, {X: 1, Y: 20}}
	l, err := figure.Labels(xys, []string{"10", "20"}, 8, figure.Color(1), vg.Point{X: -3, Y: 2})
	if err != nil {
		t.Fatal(err)
	}
	if l.Offset != (vg.Point{X: -3, Y: 2}) || len(l.TextStyle) != 2 || len(l.Labels) != 2 || l.Labels[1] != "20" {
		t.Fatalf("labels %+v", l)
	}
	for i, sty := range l.TextStyle {
		if sty.Color != figure.Color(1) || sty.Font.Size != 8 {
			t.Errorf("text %d: colour %v, size %v; want the series colour 1, 8 points", i, sty.Color, sty.Font.Size)
		}
	}
	if _, err := figure.Labels(xys, []string{"10"}, 8, figure.Color(1), vg.Point{}); err == nil {
		t.Error("two points and one text gave no error")
	}
}
