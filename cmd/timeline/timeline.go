package main

import (
	"fmt"
	"time"

	"github.com/chansync/chansync/csp/async"
)

// A timeline is what the picture draws, in plain values: the rows, one per
// task, and, on them, the polls and the wakes, in microseconds since the
// first recorded event.
type timeline struct {
	Rows  []string // task names, in the order the tasks were spawned
	Bars  []bar
	Wakes []wake
	Span  float64 // the last event's end
}

type bar struct {
	Row        int
	Start, End float64
	Ready      bool // the poll returned Ready
}

type wake struct {
	Row  int
	At   float64
	From int // the row of the task whose poll woke it; -1: not a task, or not known
	Self bool
}

// linked counts the wakes whose waker is known.
func (t timeline) linked() int {
	n := 0
	for _, w := range t.Wakes {
		if w.From >= 0 {
			n++
		}
	}
	return n
}

// build turns task records and events into a timeline. Every event must
// name a task of tasks.
func build(tasks []async.TaskInfo, events []async.TaskEvent) (timeline, error) {
	var t timeline
	row := make(map[uint64]int, len(tasks))
	for i, ti := range tasks {
		row[ti.ID] = i
		t.Rows = append(t.Rows, ti.Name)
	}
	if len(events) == 0 {
		return t, fmt.Errorf("no events recorded")
	}
	origin := events[0].At
	for _, ev := range events {
		origin = minTime(origin, ev.At)
	}
	us := func(at time.Time) float64 { return float64(at.Sub(origin).Nanoseconds()) / 1e3 }
	for _, ev := range events {
		r, ok := row[ev.Task]
		if !ok {
			return t, fmt.Errorf("an event of task %d, which has no record", ev.Task)
		}
		switch ev.Kind {
		case async.Polled:
			b := bar{Row: r, Start: us(ev.At), End: us(ev.End), Ready: ev.Ready}
			t.Bars = append(t.Bars, b)
			t.Span = max(t.Span, b.End)
		case async.Woken:
			from := -1
			if f, ok := row[ev.By]; ok && ev.By != 0 {
				from = f
			}
			t.Wakes = append(t.Wakes, wake{Row: r, At: us(ev.At), From: from, Self: ev.Self})
			t.Span = max(t.Span, us(ev.At))
		}
	}
	return t, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
