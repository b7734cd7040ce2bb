package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/chansync/chansync/cmd/internal/progress"
)

// progressEvery is how often the progress bar is brought up to date.
const progressEvery = 250 * time.Millisecond

// newProgressBar makes the bar of a run: lines done and their rate, and the
// time left, which the bar predicts from the rate when the run is a count
// of lines and which is the run's own when it has a duration (the bar then
// has no length, and says the time left in its description).
func newProgressBar(w io.Writer, cfg loadConfig) *progressbar.ProgressBar {
	total, desc := cfg.lines, ""
	if total == 0 {
		total, desc = -1, leftText(cfg.duration)
	}
	return progressbar.NewOptions64(total, append(progress.Options(w, "lines"),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowTotalBytes(total > 0), // "done/total", or just "done"
		progressbar.OptionSetRenderBlankState(true), // the clock starts now, not at the first count
	)...)
}

// runWithProgress runs cfg with a progress bar on w, until it is done or
// ctx ends.
func runWithProgress(ctx context.Context, cfg loadConfig, w io.Writer) result {
	bar := newProgressBar(w, cfg)
	counts := make(chan int64, 1024)
	cfg.progress = counts
	done := make(chan struct{})
	var end time.Time
	if cfg.lines == 0 {
		end = time.Now().Add(cfg.duration)
	}
	go showProgress(bar, counts, end, ctx.Done(), done)
	res := runLoad(ctx, cfg)
	close(counts)
	<-done
	return res
}

// showProgress adds the line counts it receives to bar until progress is
// closed, then finishes the bar: filled if the run reached its end, as it
// stands if it was cut short (stopped is closed). With a run's end time it
// also writes the time left.
func showProgress(bar *progressbar.ProgressBar, progress <-chan int64, end time.Time, stopped <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	timeLeft := func() {
		if !end.IsZero() {
			bar.Describe(leftText(time.Until(end)))
		}
	}
	var pending int64
	for {
		select {
		case n, ok := <-progress:
			if !ok {
				timeLeft()
				bar.Add64(pending)
				select {
				case <-stopped:
					if !bar.IsFinished() {
						bar.Exit() // the bar keeps its count and ends its line
					}
				default:
					bar.Finish()
				}
				return
			}
			pending += n
		case <-tick.C:
			bar.Add64(pending)
			pending = 0
			timeLeft()
		}
	}
}

// leftText says how long is left, in whole seconds rounded up, as a
// countdown does.
func leftText(d time.Duration) string {
	return fmt.Sprintf("%v left", max(0, d+time.Second-1).Truncate(time.Second))
}
