package main

import (
	"bufio"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// benchstat compares the two sides' samples as two unpaired sets. The
// rounds pair them: a round runs both sides back to back, so the two runs
// of a round share the machine's state, and on a shared machine whose
// speed drifts by tens of percent from minute to minute the ratio within
// a round is far steadier than either side's spread. pairs reads each
// round's ratio, and a sign test says how likely that many rounds would
// go one way by chance.

// samples reads the results of one side, as written by the jobs, in the
// order they ran: for each benchmark and unit ("H2O/runtime=goroutines/n=100000
// ns/molecule"), its values, one per round.
func samples(results string) map[string][]float64 {
	out := map[string][]float64{}
	sc := bufio.NewScanner(strings.NewReader(results))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			key := name + " " + f[i+1]
			out[key] = append(out[key], v)
		}
	}
	return out
}

// A pair sums up one benchmark and unit over the rounds.
type pair struct {
	Name, Unit string
	Ratio      float64 // the median over the rounds of the cost ratio, working tree to revision
	Slower, N  int     // rounds in which the working tree cost more; rounds compared
	P          float64 // two-sided sign test of Slower against N
}

// pairs compares the rounds of old and new, in the order of old's keys.
// Rounds that cost the same on both sides count for neither way.
func pairs(old, cur map[string][]float64) []pair {
	keys := make([]string, 0, len(old))
	for k := range old {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []pair
	for _, k := range keys {
		a, b := old[k], cur[k]
		n := min(len(a), len(b))
		if n == 0 {
			continue
		}
		name, unit, _ := strings.Cut(k, " ")
		p := pair{Name: name, Unit: unit}
		var ratios []float64
		for i := range n {
			if a[i] <= 0 || b[i] <= 0 {
				continue
			}
			r := row{Unit: unit, Old: a[i], New: b[i]}.cost()
			ratios = append(ratios, r)
			switch {
			case r > 1:
				p.Slower++
				p.N++
			case r < 1:
				p.N++
			}
		}
		if len(ratios) == 0 {
			continue
		}
		p.Ratio = median(ratios)
		p.P = signTest(p.Slower, p.N)
		out = append(out, p)
	}
	return out
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// signTest returns the two-sided p-value of k successes in n fair coin
// tosses: the chance of a split at least as uneven.
func signTest(k, n int) float64 {
	if n == 0 {
		return 1
	}
	tail := min(k, n-k)
	sum := 0.0
	for i := 0; i <= tail; i++ {
		sum += binomial(n, i)
	}
	return math.Min(1, 2*sum/math.Pow(2, float64(n)))
}

func binomial(n, k int) float64 {
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}

// slowerPairs returns the pairs whose median cost ratio exceeds 1+threshold
// with a sign test below alpha.
func slowerPairs(ps []pair, threshold, alpha float64) []pair {
	var out []pair
	for _, p := range ps {
		if p.Ratio > 1+threshold && p.P < alpha {
			out = append(out, p)
		}
	}
	return out
}

// pairTable prints the pairs, one line each.
func pairTable(ps []pair) string {
	var b strings.Builder
	b.WriteString("paired by round (cost ratio: the working tree's time, CPU or 1/rate over the revision's):\n")
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "  benchmark\tunit\tmedian cost ratio\tslower in\tsign test")
	for _, p := range ps {
		fmt.Fprintf(w, "  %s\t%s\t%.3fx\t%d of %d\tp=%.3f\n", p.Name, p.Unit, p.Ratio, p.Slower, p.N, p.P)
	}
	w.Flush()
	return b.String()
}
