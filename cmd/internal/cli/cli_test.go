package cli_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/chansync/chansync/cmd/internal/cli"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newCommand is a program with the kinds of flags the programs have.
func newCommand() *cli.Command {
	c := cli.New("prog", "prog does one thing well.", "usage: prog [-quick | -tasks N] [-plot DIR [-plot-format png|svg]]")
	c.Flags.Bool("quick", false, "a fast, rough run")
	c.Flags.Int("tasks", 1000, "tasks per run")
	c.Flags.String("plot", "", "draw in this directory")
	c.Flags.String("plot-format", "png", "png or svg")
	return c
}

func TestHelpGoesToStdoutAndExitsZero(t *testing.T) {
	for _, h := range []string{"-h", "-help", "--help"} {
		var out, errb bytes.Buffer
		code, ok := newCommand().Parse([]string{h}, &out, &errb)
		if ok || code != 0 || errb.Len() != 0 {
			t.Errorf("%s: code %d, ok %v, stderr %q; want 0, false, nothing", h, code, ok, errb.String())
		}
		want := "prog does one thing well.\n\nusage: prog [-quick | -tasks N] [-plot DIR [-plot-format png|svg]]\n\nFlags:\n  -plot string\n"
		if !strings.HasPrefix(out.String(), want) || !strings.Contains(out.String(), "tasks per run (default 1000)") {
			t.Errorf("%s printed:\n%s\nwant it to begin:\n%s", h, out.String(), want)
		}
	}
}

func TestBadFlagIsOneLine(t *testing.T) {
	for args, want := range map[string]string{
		"-bogus":      "prog: flag provided but not defined: -bogus (see prog -h)\n",
		"-tasks=many": `prog: invalid value "many" for flag -tasks: parse error (see prog -h)` + "\n",
	} {
		var out, errb bytes.Buffer
		code, ok := newCommand().Parse([]string{args}, &out, &errb)
		if ok || code != cli.ExitUsage || out.Len() != 0 || errb.String() != want {
			t.Errorf("%s: code %d, ok %v, stdout %q, stderr %q; want 2, false, nothing, %q", args, code, ok, out.String(), errb.String(), want)
		}
	}
}

func TestGivenCountsFlagsSetToTheirDefault(t *testing.T) {
	c := newCommand()
	if _, ok := c.Parse([]string{"-tasks", "1000"}, nil, nil); !ok {
		t.Fatal("parse failed")
	}
	if !c.Given("tasks") || c.Given("quick") {
		t.Errorf("Given(tasks) = %v, Given(quick) = %v; want true, false", c.Given("tasks"), c.Given("quick"))
	}
	defer func() {
		if recover() == nil {
			t.Error("Given of an undefined flag did not panic")
		}
	}()
	c.Given("nonesuch")
}

func TestConflictsAndNeeds(t *testing.T) {
	conflicts := []cli.Conflict{{Flag: "quick", With: []string{"tasks", "plot"}, Why: "-quick sets its own tasks"}}
	needs := []cli.Need{{Flag: "plot-format", Needs: "plot", Why: "it sets the format of -plot's figures"}}
	for _, tc := range []struct {
		args []string
		want string // "" for no problem
	}{
		{[]string{"-quick"}, ""},
		{[]string{"-tasks", "5"}, ""},
		{[]string{"-plot", "d", "-plot-format", "svg"}, ""},
		{[]string{"-quick", "-tasks", "1000"}, "prog: -quick and -tasks do not go together: -quick sets its own tasks (see prog -h)\n"},
		{[]string{"-plot", "d", "-quick"}, "prog: -quick and -plot do not go together: -quick sets its own tasks (see prog -h)\n"},
		{[]string{"-plot-format", "svg"}, "prog: -plot-format needs -plot: it sets the format of -plot's figures (see prog -h)\n"},
	} {
		c := newCommand()
		if _, ok := c.Parse(tc.args, nil, nil); !ok {
			t.Fatalf("%q: parse failed", tc.args)
		}
		var errb bytes.Buffer
		code, ok := c.Check(&errb, conflicts...)
		if ok {
			code, ok = c.CheckNeeds(&errb, needs...)
		}
		if tc.want == "" {
			if !ok || code != 0 || errb.Len() != 0 {
				t.Errorf("%q: code %d, ok %v, stderr %q; want no problem", tc.args, code, ok, errb.String())
			}
			continue
		}
		if ok || code != cli.ExitUsage || errb.String() != tc.want {
			t.Errorf("%q: code %d, ok %v, stderr %q; want 2, false, %q", tc.args, code, ok, errb.String(), tc.want)
		}
	}
}

func TestNoArgs(t *testing.T) {
	c := newCommand()
	if _, ok := c.Parse([]string{"-quick", "stray"}, nil, nil); !ok {
		t.Fatal("parse failed")
	}
	var errb bytes.Buffer
	if code, ok := c.NoArgs(&errb); ok || code != 2 || errb.String() != "prog: unexpected argument \"stray\" (see prog -h)\n" {
		t.Errorf("NoArgs: code %d, ok %v, stderr %q", code, ok, errb.String())
	}
}

func TestIsTerminal(t *testing.T) {
	if cli.IsTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "file")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if cli.IsTerminal(f) {
		t.Error("a regular file is a terminal")
	}
}
