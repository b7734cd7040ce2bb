package child

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Run starts the child with spec, waits for it to exit, and decodes the
// JSON it printed on its standard output (see Measure) into out. A child
// that fails is reported with what it printed on its standard error. If
// ctx ends first, Run kills the child and returns an error that wraps
// ctx.Err().
func (r Role) Run(ctx context.Context, spec string, out any) error {
	cmd, err := r.command(ctx, spec)
	if err != nil {
		return err
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A pipe that nobody writes, held open until the child exits (Wait
	// closes it), so that the child's context lives as long as its parent
	// waits for it.
	if _, err := cmd.StdinPipe(); err != nil {
		return err
	}
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("child %s=%s: %w", r.Env, spec, ctx.Err())
		}
		return fmt.Errorf("child %s=%s: %v: %s", r.Env, spec, err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		return fmt.Errorf("child %s=%s printed %q: %v", r.Env, spec, stdout.String(), err)
	}
	return nil
}
