package procfs

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"testing"
)

// A testChild is the test binary started again with one more variable in
// its environment, which TestMain's hooks (becomeBurner, becomeSpinner)
// read to become the child the test wants. It runs until its standard
// input closes.
type testChild struct {
	pid   int
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

// startChild starts a child with env ("NAME=value") and stops it when the
// test ends, if the test has not.
func startChild(t *testing.T, env string) *testChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &testChild{pid: cmd.Process.Pid, cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	t.Cleanup(func() {
		if err := c.stop(); err != nil {
			t.Errorf("child %s: %v", env, err)
		}
	})
	return c
}

// stop closes the child's standard input, which ends it, and waits for
// it; once it has been waited for, stop does nothing.
func (c *testChild) stop() error {
	if c.cmd.ProcessState != nil {
		return nil
	}
	c.stdin.Close()
	return c.cmd.Wait()
}

// expect reads the child's next line, which must be want.
func (c *testChild) expect(t *testing.T, want string) {
	t.Helper()
	if line, err := c.out.ReadString('\n'); line != want+"\n" {
		t.Fatalf("the child printed %q (%v); want %q", line, err, want)
	}
}
