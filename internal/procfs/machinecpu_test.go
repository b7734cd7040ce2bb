package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// stat is the start of a /proc/stat of a 2-processor machine, as a 6.x
// kernel prints it.
const stat = `cpu  2769192 0 1518008 2760964 4930 0 304972 0 0 0
cpu0 1381402 0 753228 1390761 1539 0 151678 0 0 0
cpu1 1387789 0 764780 1370203 3390 0 153294 0 0 0
intr 245186543 0 9 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
ctxt 1167224893
btime 1796593012
processes 4711839
procs_running 3
procs_blocked 0
softirq 137281512 0 31528004 7 5064286 0 0 74 53005123 0 47684018
`

func TestParseStat(t *testing.T) {
	const tick = 10 * time.Millisecond
	for _, tc := range []struct {
		name string
		text string
		tick time.Duration
		want MachineCPU
	}{
		{"a 6.x kernel's", stat, tick, MachineCPU{
			Busy:       (2769192 + 1518008 + 304972) * tick,
			Total:      (2769192 + 1518008 + 304972 + 2760964 + 4930) * tick,
			Processors: 2,
		}},
		// Every field a figure of its own: guest and guest_nice (60, 7)
		// are in user and nice already, idle and iowait (1000, 20) are
		// not busy.
		{"every field", "cpu  100 10 50 1000 20 3 4 5 60 7\ncpu0 100 10 50 1000 20 3 4 5 60 7\n", tick, MachineCPU{
			Busy: (100 + 10 + 50 + 3 + 4 + 5) * tick, Total: (100 + 10 + 50 + 3 + 4 + 5 + 1000 + 20) * tick, Processors: 1,
		}},
		{"9 figures (2.6.24)", "cpu 1 2 3 4 5 6 7 8 9\ncpu0 1 2 3 4 5 6 7 8 9\n", tick, MachineCPU{Busy: 27 * tick, Total: 36 * tick, Processors: 1}},
		{"8 figures (2.6.11)", "cpu 1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\n", tick, MachineCPU{Busy: 27 * tick, Total: 36 * tick, Processors: 1}},
		{"7 figures (2.6.0)", "cpu 1 2 3 4 5 6 7\ncpu0 1 2 3 4 5 6 7\n", tick, MachineCPU{Busy: 19 * tick, Total: 28 * tick, Processors: 1}},
		{"4 figures (2.4)", "cpu 1 2 3 4\ncpu0 1 2 3 4\n", tick, MachineCPU{Busy: 6 * tick, Total: 10 * tick, Processors: 1}},
		{"no newline at the end", "cpu 1 2 3 4\ncpu0 1 2 3 4", tick, MachineCPU{Busy: 6 * tick, Total: 10 * tick, Processors: 1}},
		// The per-processor lines are counted whatever their numbers (an
		// offline processor leaves a gap) and wherever they are.
		{"processors counted", "cpu0 0 0 0 0\nintr 5\ncpu 0 0 0 0\ncpu3 0 0 0 0\ncpu17 1\ncpufreq 1 2\n", tick, MachineCPU{Processors: 3}},
		{"a millisecond's ticks", "cpu 7 0 0 5\ncpu0\n", time.Millisecond, MachineCPU{Busy: 7 * time.Millisecond, Total: 12 * time.Millisecond, Processors: 1}},
		{"as much as a Duration holds", fmt.Sprintf("cpu 0 0 0 %d\ncpu0\n", math.MaxInt64/int64(tick)), tick, MachineCPU{Total: math.MaxInt64 / tick * tick, Processors: 1}},
		{"the largest counts, in fields not added", "cpu 0 0 0 0 0 0 0 0 18446744073709551615 18446744073709551615\ncpu0\n", tick, MachineCPU{Processors: 1}},
	} {
		if got, err := parseStat([]byte(tc.text), tc.tick); err != nil || got != tc.want {
			t.Errorf("%s: parseStat = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

func TestParseStatRefusesMalformedText(t *testing.T) {
	for _, tc := range []struct {
		text string
		want string // in the error
	}{
		{"", "no cpu line in 0 bytes"},
		{"\n\n", "no cpu line"},
		{"cpu0 1 2 3 4\ncpu1 1 2 3 4\n", "no cpu line"},
		{"cpu 1 2 3 4\n", "no processor's cpuN line"},
		{"cpu 1 2 3 4\ncpux 1 2 3 4\n", "no processor's cpuN line"},
		{"cpu 1 2 3 4\ncpu0 1 2 3 4\ncpu 1 2 3 4\n", `a second cpu line: "cpu 1 2 3 4\n"`},
		{"cpu 1 2 3 4\ncpu0 1\ncpu0 1\n", `a second line for processor 0: "cpu0 1\n"`},
		{"cpu\ncpu0\n", `cpu line "cpu\n": 0 figures; want 4 to 10`},
		{"cpu 1 2 3\ncpu0\n", `cpu line "cpu 1 2 3\n": 3 figures`},
		{"cpu 1 2 3 4 5 6 7 8 9 10 11\ncpu0\n", "11 figures; want 4 to 10"},
		{"cpu 1 2 -3 4\ncpu0\n", "figure 3 is not a count"},
		{"cpu +1 2 3 4\ncpu0\n", "figure 1 is not a count"},
		{"cpu 1 2 3 0x4\ncpu0\n", "figure 4 is not a count"},
		{"cpu 1 2 3 4.5\ncpu0\n", "figure 4 is not a count"},
		{"cpu 1 2 3 4_000\ncpu0\n", "figure 4 is not a count"},
		{"cpu 1 2 3 4 x\ncpu0\n", "figure 5 is not a count"},
		{"cpu 1 2 3 18446744073709551616\ncpu0\n", "figure 4 is not a count"},
		{"cpu 1 2 3 4\x00\ncpu0\n", "figure 4 is not a count"},
		{"cpu 1 2 3 4\r\ncpu0\n", "figure 4 is not a count"},
		{"cpu 1\t2 3 4 5\ncpu0\n", "figure 1 is not a count"},
		{"cpu 1 2 3\u00a04\ncpu0\n", `cpu line "cpu 1 2 3\u00a04\n": 3 figures`},
		{fmt.Sprintf("cpu 0 0 0 %d\ncpu0\n", math.MaxInt64/int64(10*time.Millisecond)+1), "more CPU time than a time.Duration holds"},
		{"cpu 18446744073709551615 1 0 0\ncpu0\n", "more CPU time than a time.Duration holds"},                  // busy overflows
		{"cpu 0 0 0 18446744073709551615 1\ncpu0\n", "more CPU time than a time.Duration holds"},                // idle overflows
		{"cpu 9223372036854775808 0 0 9223372036854775808\ncpu0\n", "more CPU time than a time.Duration holds"}, // total overflows
	} {
		got, err := parseStat([]byte(tc.text), 10*time.Millisecond)
		if err == nil || got != (MachineCPU{}) {
			t.Errorf("parseStat(%q) = %+v, %v; want an error", tc.text, got, err)
		} else if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseStat(%q): error %q; want it to say %q", tc.text, err, tc.want)
		}
	}
	for _, tick := range []time.Duration{0, -time.Millisecond} {
		if got, err := parseStat([]byte(stat), tick); err == nil || got != (MachineCPU{}) {
			t.Errorf("parseStat with a tick of %v = %+v, %v; want an error", tick, got, err)
		}
	}
}

func TestBusySince(t *testing.T) {
	const s = time.Second
	start := MachineCPU{Busy: 100 * s, Total: 400 * s, Processors: 2}
	for _, tc := range []struct {
		name    string
		end     MachineCPU
		want    float64
		wantErr string
	}{
		{"85% of 2", MachineCPU{Busy: 100*s + 1700*time.Millisecond, Total: 402 * s, Processors: 2}, 1.7, ""},
		{"idle", MachineCPU{Busy: 100 * s, Total: 403 * s, Processors: 2}, 0, ""},
		{"all busy", MachineCPU{Busy: 106 * s, Total: 406 * s, Processors: 2}, 2, ""},
		{"no tick", start, 0, ErrNoTick.Error()},
		{"a processor more", MachineCPU{Busy: 101 * s, Total: 402 * s, Processors: 3}, 0, "the processors online went from 2 to 3"},
		{"busy went back", MachineCPU{Busy: 99 * s, Total: 402 * s, Processors: 2}, 0, "went backwards"},
		{"total went back", MachineCPU{Busy: 100 * s, Total: 399 * s, Processors: 2}, 0, "went backwards"},
		{"idle went back", MachineCPU{Busy: 103 * s, Total: 402 * s, Processors: 2}, 0, "went backwards"},
	} {
		got, err := tc.end.BusySince(start)
		switch {
		case tc.wantErr == "" && (err != nil || math.Abs(got-tc.want) > 1e-12):
			t.Errorf("%s: BusySince = %v, %v; want %v", tc.name, got, err, tc.want)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || got != 0):
			t.Errorf("%s: BusySince = %v, %v; want an error saying %q", tc.name, got, err, tc.wantErr)
		}
	}
	if _, err := start.BusySince(start); !errors.Is(err, ErrNoTick) {
		t.Errorf("BusySince of the same reading: %v; want ErrNoTick", err)
	}
}

// Whatever the bytes, parseStat returns without panicking; what it
// accepts has one cpu line and a processor's line, its busy time lies
// between zero and the total, both whole ticks, and the figures, printed
// as the kernel prints them, parse back to the same.
func FuzzParseStat(f *testing.F) {
	for _, seed := range []string{
		stat,
		"cpu 1 2 3 4\ncpu0 1 2 3 4\n",
		"cpu 1 2 3 4 5 6 7 8 9 10\ncpu0\ncpu1\n",
		"cpu 1 2 3 4 5 6 7 8 9 10 11\ncpu0\n",
		"cpu 1 2 3\ncpu0\n",
		"cpu 1 2 3 4\ncpu0\ncpu0\n",
		"cpu 0 0 0 922337203685477580\ncpu0\n",
		"cpu 18446744073709551615 1 0 0\ncpu0\n",
		"cpu -1 2 3 4\ncpu0\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	const tick = 10 * time.Millisecond
	f.Fuzz(func(t *testing.T, text []byte) {
		m, err := parseStat(text, tick)
		if err != nil {
			if m != (MachineCPU{}) {
				t.Fatalf("parseStat(%q) = %+v with error %v; want the zero MachineCPU", text, m, err)
			}
			return
		}
		aggregates := 0
		for line := range bytes.Lines(text) {
			if f := fields(line); len(f) > 0 && string(f[0]) == "cpu" {
				aggregates++
			}
		}
		if aggregates != 1 {
			t.Fatalf("parseStat accepted %q, which has %d cpu lines", text, aggregates)
		}
		if m.Busy < 0 || m.Busy > m.Total || m.Processors < 1 || m.Busy%tick != 0 || m.Total%tick != 0 {
			t.Fatalf("parseStat(%q) = %+v", text, m)
		}
		canonical := fmt.Appendf(nil, "cpu  %d 0 0 %d 0 0 0 0 0 0\n", m.Busy/tick, (m.Total-m.Busy)/tick)
		for i := range m.Processors {
			canonical = fmt.Appendf(canonical, "cpu%d 0 0 0 0 0 0 0 0 0 0\n", i)
		}
		if again, err := parseStat(canonical, tick); err != nil || again != m {
			t.Fatalf("parseStat(%q) = %+v, but its canonical form %q parses to %+v, %v", text, m, canonical, again, err)
		}
	})
}
