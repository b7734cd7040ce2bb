package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"
)

// Errors are counted by kind. errKind and shortRead name the kinds, and
// errorList writes them with their counts, the same way in a run's
// report, in -idle's complaints and in the comparison's tables.

// errKind names an error the way the report groups them.
func errKind(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "out of file descriptors"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "out of local ports"
	}
	return err.Error()
}

// shortRead says what came instead of a whole echo: nothing, or the start
// of a server's ERR line.
func shortRead(got []byte) string {
	if i := bytes.Index(got, []byte("ERR ")); i >= 0 {
		if j := bytes.IndexByte(got[i:], '\n'); j > 0 {
			return string(got[i : i+j])
		}
	}
	return "connection closed"
}

// errorList writes errs, counts by kind, as "N × kind", one string per
// kind, in the order of the kinds' names.
func errorList(errs map[string]int64) []string {
	kinds := make([]string, 0, len(errs))
	for k := range errs {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	list := make([]string, len(kinds))
	for i, k := range kinds {
		list[i] = fmt.Sprintf("%d × %s", errs[k], k)
	}
	return list
}
