package procfs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// RunChild re-executes the running program with the environment variable
// name set to value, waits for it, and decodes the JSON it prints on its
// standard output into out. It is how the programs measure in a fresh
// process: the child sees the variable, measures, prints its figures and
// exits, so no figure reuses memory that an earlier measurement freed. A
// child that fails is reported with what it printed on its standard error.
func RunChild(name, value string, out any) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), name+"="+value)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("child %s=%s: %v: %s", name, value, err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		return fmt.Errorf("child %s=%s printed %q: %v", name, value, stdout.String(), err)
	}
	return nil
}
