package exectrace

import (
	"context"
	"os"
	"path/filepath"
	"runtime/trace"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestStartWritesATraceThatCheckReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.trace")
	stop, err := Start(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, task := trace.NewTask(context.Background(), "a-task-name")
	trace.Log(ctx, "wake", "hello")
	task.End()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := Check(path, "a-task-name", "hello"); err != nil {
		t.Fatal(err)
	}
	parsed, err := Parsed(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(parsed, `TaskBegin`) || !strings.Contains(parsed, `Type="a-task-name"`) {
		t.Fatalf("go tool trace does not show the task:\n%s", parsed)
	}
	if err := Check(path, "never-said"); err == nil || !strings.Contains(err.Error(), `no "never-said"`) {
		t.Fatalf("Check of a name the trace lacks = %v", err)
	}
	notTrace := filepath.Join(t.TempDir(), "not.trace")
	os.WriteFile(notTrace, []byte("hello, world\n"), 0o644)
	if err := Check(notTrace); err == nil || !strings.Contains(err.Error(), "header") {
		t.Fatalf("Check of a text file = %v", err)
	}
}

func TestStartFailsOnABadPath(t *testing.T) {
	if _, err := Start(filepath.Join(t.TempDir(), "no", "such", "dir", "x.trace")); err == nil {
		t.Fatal("Start into a missing directory succeeded")
	}
}
