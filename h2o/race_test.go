//go:build race

package h2o

// raceEnabled: under the race detector, testing.AllocsPerRun itself
// sometimes allocates inside the window it measures.
const raceEnabled = true
