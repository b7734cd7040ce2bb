package main

import (
	"fmt"
	"os"
	"slices"
	"syscall"
	"testing"
)

// Kinds are listed by name, whatever their counts, each with its count.
func TestErrorList(t *testing.T) {
	got := errorList(map[string]int64{"write: broken pipe": 2, "mismatch": 10, "read: timeout": 1})
	want := []string{"10 × mismatch", "1 × read: timeout", "2 × write: broken pipe"}
	if !slices.Equal(got, want) {
		t.Errorf("errorList = %q, want %q", got, want)
	}
	if got := errorList(nil); len(got) != 0 {
		t.Errorf("errorList(nil) = %q", got)
	}
	if got := errText(nil); got != "none" {
		t.Errorf("errText(nil) = %q", got)
	}
}

func TestErrKind(t *testing.T) {
	for err, want := range map[error]string{
		fmt.Errorf("read: %w", syscall.ECONNRESET): "connection reset",
		os.ErrDeadlineExceeded:                     "timeout",
		syscall.EMFILE:                             "out of file descriptors",
		fmt.Errorf("odd"):                          "odd",
	} {
		if got := errKind(err); got != want {
			t.Errorf("errKind(%v) = %q, want %q", err, got, want)
		}
	}
}
