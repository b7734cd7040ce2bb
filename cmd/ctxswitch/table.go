package main

import (
	"fmt"
	"io"
	"strings"
)

func printTable(w io.Writer, res *results) {
	fmt.Fprintf(w, "Threads versus goroutines, measured here: %s, %s, %d CPUs, GOMAXPROCS=%d, %d tasks, mean ± sd of %d runs\n\n",
		res.Date, res.GoVersion, res.CPUs, res.GOMAXPROCS, res.Tasks, res.Iters)
	header := []string{"Metric", "OS threads", "goroutines", "improvement"}
	var cells [][]string
	for _, r := range res.Rows {
		g, imp := "n/a", ""
		if r.Goroutines != nil {
			g = fmt.Sprintf("%s ± %s %s", num(r.Goroutines.Mean), num(r.Goroutines.SD), r.Unit)
			imp = fmt.Sprintf("%.1fx", r.Improvement)
		}
		cells = append(cells, []string{r.Metric, fmt.Sprintf("%s ± %s %s", num(r.Threads.Mean), num(r.Threads.SD), r.Unit), g, imp})
	}
	printAligned(w, header, cells)
	fmt.Fprintf(w, "\nWith its %d tasks alive, the thread side ran on %d OS threads (counted in /proc/self/task): one per task, plus the runtime's.\n", res.Tasks, res.ThreadsAlive)
	for _, n := range res.Notes {
		fmt.Fprintf(w, "Note: %s.\n", n)
	}
	fmt.Fprint(w, `
For reference, the figures the tutorial quotes from Jim Blandy's
context-switch benchmarks, Rust on his 4-core laptop (not this machine):

`)
	printAligned(w, []string{"Metric", "OS threads", "async tasks", "improvement"}, [][]string{
		{"creation", "~17 µs", "~0.3 µs", "~57x (17/0.3)"},
		{"context switch", "~1.7 µs", "~0.2 µs", "~8.5x (1.7/0.2)"},
		{"memory per task", "~20 KiB (9.5 user + 10 kernel)", "a few hundred bytes", ""},
	})
}

// num prints a figure with three significant digits or so.
func num(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

func printAligned(w io.Writer, header []string, rows [][]string) {
	widths := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	line := func(r []string) {
		parts := make([]string, len(r))
		for i, c := range r {
			parts[i] = c + strings.Repeat(" ", widths[i]-len([]rune(c)))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(parts, " | "))
	}
	line(header)
	seps := make([]string, len(header))
	for i := range seps {
		seps[i] = strings.Repeat("-", widths[i])
	}
	fmt.Fprintf(w, "|-%s-|\n", strings.Join(seps, "-|-"))
	for _, r := range rows {
		line(r)
	}
}
