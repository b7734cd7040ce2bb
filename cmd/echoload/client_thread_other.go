//go:build !linux

package main

import (
	"context"
	"errors"
)

// threadClientRuns reports whether -client thread runs on this system.
const threadClientRuns = false

func dialThread(context.Context, string) (clientConn, error) {
	return nil, errors.New("the thread client needs Linux")
}
