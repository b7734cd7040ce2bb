// Package progress draws the progress bars of chansync's measuring
// programs, all in one style (github.com/schollz/progressbar/v3): the bar,
// the count done out of the total, the rate, and a description at the end
// of the line.
//
// A Meter is a bar for a run that may be long or short: it counts from the
// start but appears only once the run has lasted Delay, so that a short run
// prints nothing at all. Counts reach it over a channel, and one goroutine
// owns the bar, so the goroutines being measured never wait on a lock of
// the bar's.
package progress

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Options are the options of every bar: w is where it draws, unit what it
// counts ("lines", "runs").
func Options(w io.Writer, unit string) []progressbar.Option {
	return []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowCount(),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionSetWidth(30),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	}
}

// Delay is how long a run lasts before its Meter appears.
const Delay = time.Second

// redrawEvery is how often a Meter brings its bar up to date: counts are
// gathered in between, so that a run counting millions of items does not
// draw millions of times.
const redrawEvery = 250 * time.Millisecond

// A Meter is a progress bar fed over a channel. The methods of a nil
// *Meter do nothing, so that a program without a bar (stderr not a
// terminal, -quiet, -json) calls them all the same.
type Meter struct {
	events chan event
	done   chan struct{}
}

// An event is a count to add, or a new description.
type event struct {
	n        int64
	describe bool
	desc     string
}

// Start starts a meter of total units on w, which appears once delay has
// passed. Call Finish when the run is over.
func Start(w io.Writer, total int64, unit string, delay time.Duration) *Meter {
	m := &Meter{events: make(chan event, 1024), done: make(chan struct{})}
	gate := &gatedWriter{w: w}
	bar := progressbar.NewOptions64(total, append(Options(gate, unit), progressbar.OptionShowTotalBytes(true))...)
	bar.StartWithoutRender() // the rate counts from now, not from when the bar appears
	go m.draw(bar, gate, delay)
	return m
}

// Add counts n more units done.
func (m *Meter) Add(n int64) {
	if m != nil {
		m.events <- event{n: n}
	}
}

// Describe sets the text at the end of the bar's line: what runs now.
func (m *Meter) Describe(desc string) {
	if m != nil {
		m.events <- event{describe: true, desc: desc}
	}
}

// Finish stops the meter and waits until it has drawn its last state, the
// count as it stands: a run cut short shows how far it got. A bar that
// appeared ends its line; one that did not prints nothing.
func (m *Meter) Finish() {
	if m == nil {
		return
	}
	close(m.events)
	<-m.done
}

// draw owns the bar: it gathers the counts, shows the bar once delay has
// passed, and brings it up to date every redrawEvery.
func (m *Meter) draw(bar *progressbar.ProgressBar, gate *gatedWriter, delay time.Duration) {
	defer close(m.done)
	appear := time.NewTimer(delay)
	defer appear.Stop()
	redraw := time.NewTicker(redrawEvery)
	defer redraw.Stop()
	var pending int64
	for {
		select {
		case e, ok := <-m.events:
			if !ok {
				bar.Add64(pending)
				// A bar that reached its total has ended its line already.
				if gate.open && !bar.IsFinished() {
					bar.Exit() // keeps the count; ends the line
				}
				return
			}
			if e.describe {
				bar.Describe(e.desc)
			} else {
				pending += e.n
			}
		case <-appear.C:
			bar.Add64(pending)
			pending = 0
			gate.open = true
			bar.RenderBlank()
		case <-redraw.C:
			if gate.open { // a hidden bar need not be drawn
				bar.Add64(pending) // redraws even when nothing was counted, for the clock
				pending = 0
			}
		}
	}
}

// A gatedWriter drops what is written until it is opened. Only the
// meter's goroutine writes to it and opens it.
type gatedWriter struct {
	w    io.Writer
	open bool
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	if !g.open {
		return len(p), nil
	}
	return g.w.Write(p)
}
