package procfs

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestParseSchedstat(t *testing.T) {
	for _, tc := range []struct {
		line string
		want schedstat
	}{
		{"5499084 9675910 4\n", schedstat{5499084, 9675910, 4}},
		{"5499084 9675910 4", schedstat{5499084, 9675910, 4}},
		{"0 0 0\n", schedstat{}},
		{"007 0 18446744073709551615\n", schedstat{7, 0, 1<<64 - 1}},
		{"9223372036854775807 9223372036854775807 1\n", schedstat{1<<63 - 1, 1<<63 - 1, 1}},
	} {
		if got, err := parseSchedstat([]byte(tc.line)); err != nil || got != tc.want {
			t.Errorf("parseSchedstat(%q) = %+v, %v; want %+v", tc.line, got, err, tc.want)
		}
	}
}

func TestParseSchedstatRefusesMalformedLines(t *testing.T) {
	for _, line := range []string{
		"",
		"\n",
		"5499084\n",
		"5499084 9675910\n",
		"5499084 9675910 4 7\n", // a fourth figure: a format this parser does not know
		"5499084  9675910 4\n",  // two spaces
		" 5499084 9675910 4\n",
		"5499084 9675910 4 \n",
		"5499084\t9675910\t4\n",
		"5499084 9675910 4\n\n",
		"5499084 9675910 4\r\n",
		"5499084 -9675910 4\n",
		"+5499084 9675910 4\n",
		"5499084 96x75910 4\n",
		"5499084 0x10 4\n",
		"5_499_084 9675910 4\n",
		"5499084 9675910 -1\n",
		"9223372036854775808 0 1\n", // on a processor longer than a time.Duration holds
		"0 9223372036854775808 1\n", // waiting as long
		"0 0 18446744073709551616\n",
		"99999999999999999999999 0 1\n",
		"5499084 9675910 4\x00",
	} {
		if got, err := parseSchedstat([]byte(line)); err == nil {
			t.Errorf("parseSchedstat(%q) = %+v, nil; want an error", line, got)
		} else if !strings.Contains(err.Error(), fmt.Sprintf("%q", line)) {
			t.Errorf("parseSchedstat(%q): error %q does not quote the line", line, err)
		}
	}
}

// Whatever the bytes, parseSchedstat returns without panicking; what it
// accepts is three decimal counts, and the counts it returns, printed as
// the kernel prints them, parse back to the same.
func FuzzParseSchedstat(f *testing.F) {
	for _, seed := range []string{"5499084 9675910 4\n", "0 0 0", "1 2 3 4\n", "1  2 3", "-1 2 3\n", "9223372036854775808 0 1\n", ""} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		s, err := parseSchedstat(line)
		if err != nil {
			if s != (schedstat{}) {
				t.Fatalf("parseSchedstat(%q) = %+v with error %v; want the zero schedstat", line, s, err)
			}
			return
		}
		body := bytes.TrimSuffix(line, []byte("\n"))
		if bytes.Count(body, []byte(" ")) != 2 || len(bytes.Trim(body, "0123456789 ")) > 0 {
			t.Fatalf("parseSchedstat accepted %q", line)
		}
		if s.onCPU < 0 || s.waited < 0 {
			t.Fatalf("parseSchedstat(%q) = %+v: a negative time", line, s)
		}
		canonical := fmt.Appendf(nil, "%d %d %d\n", int64(s.onCPU), int64(s.waited), s.slices)
		if again, err := parseSchedstat(canonical); err != nil || again != s {
			t.Fatalf("parseSchedstat(%q) = %+v, but its canonical form %q parses to %+v, %v", line, s, canonical, again, err)
		}
	})
}
