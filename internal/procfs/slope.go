package procfs

// Slope is the least-squares slope of y against x: the cost of one more
// item when a /proc figure (y, a resident set) is read at several counts
// of items alive (x). It is how the programs turn a growing process's
// readings into bytes per goroutine, task or operation, with the fixed
// cost of the process and the noise of single readings left out. It
// returns NaN if x has fewer than two distinct values.
func Slope(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxy, sxx float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
	}
	return sxy / sxx
}
