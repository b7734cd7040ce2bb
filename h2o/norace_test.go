//go:build !race

package h2o

const raceEnabled = false
