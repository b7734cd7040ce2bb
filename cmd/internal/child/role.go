package child

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// A Role is one kind of child a program starts from its own binary.
type Role struct {
	// Env is the environment variable that makes a process this child; its
	// value is the spec, what exactly the child is to do.
	Env string
	// Prog is the program's name, which begins the line a failing child
	// prints on its standard error.
	Prog string
	// Main is the child's whole life. It writes what it has to tell its
	// parent on stdout, and returns once done, or soon after ctx ends: ctx
	// ends when the parent closes the child's standard input or dies. An
	// error ends the child with status 1, printed on its standard error.
	Main func(ctx context.Context, spec string, stdout io.Writer) error
}

// Become makes this process the child if its parent started it as one,
// that is if r.Env is set and not empty: it runs r.Main with the spec and
// exits, with status 0 if Main returned nil. In any other process it
// returns at once. Call it first in main and in TestMain.
func (r Role) Become() {
	spec := os.Getenv(r.Env)
	if spec == "" {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		io.Copy(io.Discard, os.Stdin) // until the parent closes it or dies
		cancel()
	}()
	if err := r.Main(ctx, spec, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", r.Prog, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// Measure makes the Main of a child that measures once and tells its
// parent the result: it prints what measure returns as JSON, for the
// parent's Run to decode. It does not watch ctx: a measurement cut short
// would have nothing to tell, and a parent that gives up kills the child.
func Measure[T any](measure func(spec string) (T, error)) func(ctx context.Context, spec string, stdout io.Writer) error {
	return func(_ context.Context, spec string, stdout io.Writer) error {
		v, err := measure(spec)
		if err != nil {
			return err
		}
		return json.NewEncoder(stdout).Encode(v)
	}
}

// command is the running program started again as the child with spec.
func (r Role) command(ctx context.Context, spec string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), r.Env+"="+spec)
	return cmd, nil
}
