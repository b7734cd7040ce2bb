package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// header is the configuration at the top of each side's results: the
// same for every row, so that benchstat puts the two sides of a workload
// in one table (only pkg changes, from workload to workload). Units that
// grow as things get better are declared so.
func header(goos, goarch, cpu string) string {
	h := fmt.Sprintf("goos: %s\ngoarch: %s\n", goos, goarch)
	if cpu != "" {
		h += "cpu: " + cpu + "\n"
	}
	return h + "Unit lines/s Better=higher\n"
}

// cpuName returns the processor's model name from /proc/cpuinfo, or "".
func cpuName() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	return parseCPUInfo(f)
}

func parseCPUInfo(r io.Reader) string {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// A row is one line of a benchstat table comparing two sides: one
// benchmark, one unit.
type row struct {
	Name     string  // the benchmark, as benchstat names it (H2O/runtime=goroutines/n=100000)
	Unit     string  // sec/molecule, lines/s, ...
	Old, New float64 // the medians
	P        float64 // the p-value benchstat gives the difference
}

var pValue = regexp.MustCompile(`p=([0-9.]+)`)

// parseBenchstatCSV reads the rows of benchstat -format csv run on two
// files. Each table starts with two header rows, the second of which names
// the unit; its rows hold the name, each side's median and confidence
// interval, the change and "p=P n=N". A row missing a side is left out;
// so are geomeans and the configuration lines between tables.
func parseBenchstatCSV(r io.Reader) ([]row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	var rows []row
	unit := ""
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch {
		case len(rec) < 7:
			continue // a configuration line such as "pkg: csp"
		case rec[0] == "" && rec[2] == "CI":
			unit = rec[1]
			continue
		case rec[0] == "" || rec[0] == "geomean":
			continue
		}
		if unit == "" {
			return nil, fmt.Errorf("row %q before any unit", rec)
		}
		if rec[1] == "" || rec[3] == "" {
			continue // one side has no result
		}
		old, err1 := strconv.ParseFloat(rec[1], 64)
		cur, err2 := strconv.ParseFloat(rec[3], 64)
		m := pValue.FindStringSubmatch(rec[6])
		if err1 != nil || err2 != nil || m == nil {
			return nil, fmt.Errorf("unreadable row %q", rec)
		}
		p, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return nil, fmt.Errorf("unreadable p-value in %q", rec)
		}
		rows = append(rows, row{Name: rec[0], Unit: unit, Old: old, New: cur, P: p})
	}
	return rows, nil
}

// higherIsBetter reports whether a unit grows as things get faster: a
// rate (lines/s, MB/s), as opposed to a time, a CPU time or a count per
// operation.
func higherIsBetter(unit string) bool {
	return strings.HasSuffix(unit, "/s")
}

// cost returns how much more the working tree pays than the revision for
// what r measures: new/old for a time per operation, old/new for a rate.
// 1.10 means 10% slower.
func (r row) cost() float64 {
	if higherIsBetter(r.Unit) {
		return r.Old / r.New
	}
	return r.New / r.Old
}

// slower returns the rows whose cost grew by more than threshold (0.05 is
// 5%) with a p-value below alpha.
func slower(rows []row, threshold, alpha float64) []row {
	var out []row
	for _, r := range rows {
		if r.Old <= 0 || r.New <= 0 {
			continue
		}
		if r.P < alpha && r.cost() > 1+threshold {
			out = append(out, r)
		}
	}
	return out
}

// verdict says which workloads got slower, one line each, by benchstat's
// test or by the sign test of the rounds, or that none did.
func verdict(slow []row, slowPairs []pair, thresholdPct, alpha float64) string {
	if len(slow)+len(slowPairs) == 0 {
		return fmt.Sprintf("no workload got more than %g%% slower with p < %g\n", thresholdPct, alpha)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d got more than %g%% slower with p < %g:\n", len(slow)+len(slowPairs), thresholdPct, alpha)
	for _, p := range slowPairs {
		fmt.Fprintf(&b, "  SLOWER %s (%s): %.3fx in the median round, slower in %d of %d rounds (sign test p=%.3f)\n",
			p.Name, p.Unit, p.Ratio, p.Slower, p.N, p.P)
	}
	for _, r := range slow {
		unit, scale := r.Unit, 1.0
		if strings.Contains(unit, "sec/") { // benchstat's seconds, shown as ns/molecule was
			unit, scale = strings.Replace(unit, "sec/", "ns/", 1), 1e9
		}
		fmt.Fprintf(&b, "  SLOWER %s: %s -> %s %s (%+.1f%% cost, p=%.3f)\n",
			r.Name, fmtFloat(r.Old*scale), fmtFloat(r.New*scale), unit, (r.cost()-1)*100, r.P)
	}
	return b.String()
}

// fmtFloat shows about four significant digits, without an exponent for
// the sizes benchcmp meets.
func fmtFloat(v float64) string {
	switch {
	case v >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}
