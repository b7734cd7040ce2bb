// Package cli gives chansync's programs one command-line behaviour.
//
//   - -h and -help print what the program does (one line), how to call it,
//     and its flags with their defaults, on standard output, and the
//     program exits 0: help that was asked for is output, ready for a pager.
//   - A bad flag, value, argument or combination prints one line naming the
//     problem on standard error, and the program exits 2. The flag
//     package's own habit of following an error with the whole usage is
//     turned off, so the line that matters is not scrolled away.
//   - A flag that does nothing in the company of another is an error, not
//     silently ignored: a Conflict names the pair and says why.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// ExitUsage is the exit status of a command-line error, as the flag
// package and most Unix tools use it.
const ExitUsage = 2

// A Command is a program's command line: its flags and what -h prints.
type Command struct {
	// Name is the program's name, the prefix of its error lines.
	Name string
	// Summary is one line saying what the program does, the first line of
	// its -h output.
	Summary string
	// Synopsis is how to call it, and any notes, printed after the summary
	// and before the flags.
	Synopsis string
	// Flags are the program's flags; define them before calling Parse.
	Flags *flag.FlagSet
}

// New returns a Command with an empty set of flags.
func New(name, summary, synopsis string) *Command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// Parse prints errors and usage itself, each where it belongs.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &Command{Name: name, Summary: summary, Synopsis: synopsis, Flags: fs}
}

// PrintUsage writes the summary, the synopsis and the flags with their
// defaults to w.
func (c *Command) PrintUsage(w io.Writer) {
	fmt.Fprintln(w, c.Summary)
	if s := strings.Trim(c.Synopsis, "\n"); s != "" {
		fmt.Fprintf(w, "\n%s\n", s)
	}
	fmt.Fprintln(w, "\nFlags:")
	c.Flags.SetOutput(w)
	c.Flags.PrintDefaults()
	c.Flags.SetOutput(io.Discard)
}

// Parse parses args. When it returns ok false the program must exit with
// code: 0 after -h or -help, whose usage it printed on stdout, or
// ExitUsage after a bad flag, which it named in one line on stderr.
func (c *Command) Parse(args []string, stdout, stderr io.Writer) (code int, ok bool) {
	err := c.Flags.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		c.PrintUsage(stdout)
		return 0, false
	}
	return c.Fail(stderr, "%v", err), false
}

// Fail writes one line, "NAME: message (see NAME -h)", on stderr and
// returns ExitUsage, for a program to return from its run function.
func (c *Command) Fail(stderr io.Writer, format string, args ...any) int {
	msg := strings.TrimSpace(fmt.Sprintf(format, args...))
	fmt.Fprintf(stderr, "%s: %s (see %s -h)\n", c.Name, msg, c.Name)
	return ExitUsage
}

// Given reports whether the flag name (without its dash) was set on the
// command line, even to its default value.
func (c *Command) Given(name string) bool {
	if c.Flags.Lookup(name) == nil {
		panic("cli: Given of undefined flag -" + name)
	}
	given := false
	c.Flags.Visit(func(f *flag.Flag) {
		if f.Name == name {
			given = true
		}
	})
	return given
}

// A Conflict forbids flags that would do nothing: when Flag is given, none
// of With may be. Why says what Flag does that leaves them nothing to do,
// as the end of the sentence "-Flag and -With do not go together: ...".
// Flag and With are flag names without their dash.
type Conflict struct {
	Flag string
	With []string
	Why  string
}

// Check finds the first conflict among the flags given, in the order of
// conflicts and then of each one's With. If there is one, it writes it in
// one line on stderr and returns ok false and ExitUsage.
func (c *Command) Check(stderr io.Writer, conflicts ...Conflict) (code int, ok bool) {
	for _, cf := range conflicts {
		if !c.Given(cf.Flag) {
			continue
		}
		for _, other := range cf.With {
			if c.Given(other) {
				return c.Fail(stderr, "-%s and -%s do not go together: %s", cf.Flag, other, cf.Why), false
			}
		}
	}
	return 0, true
}

// A Need makes a flag depend on another: Flag is of use only when Needs
// is given too. Why says what Flag does, as the end of the sentence "-Flag
// needs -Needs: ...".
type Need struct {
	Flag  string
	Needs string
	Why   string
}

// CheckNeeds finds the first flag given without the flag it needs. If
// there is one, it writes it in one line on stderr and returns ok false
// and ExitUsage.
func (c *Command) CheckNeeds(stderr io.Writer, needs ...Need) (code int, ok bool) {
	for _, n := range needs {
		if c.Given(n.Flag) && !c.Given(n.Needs) {
			return c.Fail(stderr, "-%s needs -%s: %s", n.Flag, n.Needs, n.Why), false
		}
	}
	return 0, true
}

// NoArgs fails with ExitUsage unless the command line has no arguments
// after its flags.
func (c *Command) NoArgs(stderr io.Writer) (code int, ok bool) {
	if c.Flags.NArg() > 0 {
		return c.Fail(stderr, "unexpected argument %q", c.Flags.Arg(0)), false
	}
	return 0, true
}

// IsTerminal reports whether w is a terminal, the only place a progress
// bar, which redraws its line with carriage returns, belongs.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
