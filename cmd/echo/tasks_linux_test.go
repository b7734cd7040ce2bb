package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// With -debug-tasks /debug/tasks lists the connections' tasks, one line
// each, and the lints; a connection that waits for its next line is an
// idle task whose waker its registration holds, and no lint reports it.
// Without the flag there is no such page.
func TestDebugTasksListsTheConnections(t *testing.T) {
	p := startProgram(t, "-mode", "reactor", "-debug-addr", "127.0.0.1:0", "-debug-tasks")
	c1, c2 := dialEcho(t, p.addr), dialEcho(t, p.addr)
	echoLines(t, c1, "one\n")
	echoLines(t, c2, "two\nthree\n")
	// A connection's task may still be in the poll that echoed its line:
	// look again until both wait for their next line.
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := p.get(t, "/debug/tasks")
		if code != http.StatusOK {
			t.Fatalf("/debug/tasks: status %d: %s", code, body)
		}
		lines := strings.Split(strings.TrimSpace(body), "\n")
		if len(lines) < 3 || !strings.HasPrefix(strings.Join(strings.Fields(lines[0]), " "), "id state polls wakes self wakers") {
			t.Fatalf("/debug/tasks:\n%s", body)
		}
		idle := 0
		for _, l := range lines[1:] {
			if f := strings.Fields(l); len(f) > 5 && f[1] == "idle" && f[5] != "0" {
				idle++
			}
		}
		if idle == 2 && lines[len(lines)-1] == "lints: none of 2 tasks" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/debug/tasks shows %d idle tasks whose waker is held, want the 2 connections, and no lint:\n%s", idle, body)
		}
		time.Sleep(10 * time.Millisecond)
	}

	g := startProgram(t, "-mode", "reactor", "-debug-addr", "127.0.0.1:0")
	if code, _ := g.get(t, "/debug/tasks"); code != http.StatusNotFound {
		t.Errorf("without -debug-tasks: /debug/tasks status %d, want 404", code)
	}
}
