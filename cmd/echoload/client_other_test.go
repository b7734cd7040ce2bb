//go:build !linux

package main

import (
	"bytes"
	"strings"
	"testing"
)

// The thread client and -server-pid need Linux, and say so.
func TestLinuxOnlyFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-client", "thread"}, "-client thread needs Linux"},
		{[]string{"-server-pid", "1"}, "-server-pid: reading a process's CPU time needs Linux"},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb, noInterrupts); code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("run(%q) = %d, stderr %q; want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
}
