package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

// goleak checks every test, step 1 included: its stuck goroutines are
// rescued by the watchdog before the step returns, so none is ignored.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Step 1 cannot run in a synctest bubble: a goroutine blocked in
// sync.Mutex.Lock is not durably blocked, so the bubble's clock would never
// advance past the watchdog. It runs on real time with a short watchdog.
func TestStep1Deadlocks(t *testing.T) {
	r := stepDirectPort(200 * time.Millisecond)
	if !r.expected {
		t.Fatalf("step 1 did not behave as described:\n%s\n%s", r.outcome, r.details)
	}
	for _, want := range []string{
		"[sync.Mutex.Lock", "syncAuditor", "step1.go:",
		"[chan receive", "syncTransfer",
	} {
		if !strings.Contains(r.details, want) {
			t.Errorf("the trimmed dump does not name %q:\n%s", want, r.details)
		}
	}
	if strings.Contains(r.details, "runtime.gopark") {
		t.Errorf("the dump was not trimmed to the relevant frames:\n%s", r.details)
	}
}

func TestDumpShowsDeadlockNeedsBothSides(t *testing.T) {
	onlyTransfer := "  goroutine 7 [chan receive]:\n      syncTransfer  step1.go:41\n"
	if dumpShowsDeadlock(onlyTransfer) {
		t.Fatal("a dump with only the transfer counted as a deadlock")
	}
	both := onlyTransfer + "  goroutine 8 [sync.Mutex.Lock]:\n      syncAuditor  step1.go:21\n"
	if !dumpShowsDeadlock(both) {
		t.Fatal("a dump with both sides was not recognised")
	}
}

func TestStep2GivesUpAtTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		err := runContextMutex(3 * time.Second)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("transfer returned %v, want a deadline error", err)
		}
		if waited := time.Since(start); waited != 3*time.Second {
			t.Fatalf("the auditor gave up after %v, want exactly its 3s deadline", waited)
		}
	})
}

func TestStep3Completes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		approved, balance, err := runOwnerGoroutine()
		if err != nil || !approved || balance != 400 {
			t.Fatalf("got approved=%v balance=%d err=%v, want true 400 nil", approved, balance, err)
		}
	})
}

func TestStep3RefusesOverdraft(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		acct := newOwnedAccount(50)
		defer acct.Close()
		requests := make(chan approval)
		go ownedAuditor(acct, requests)
		defer close(requests)
		approved, err := ownedTransfer(acct, requests, 100)
		if approved || err != nil {
			t.Fatalf("overdraft: approved=%v err=%v, want refused", approved, err)
		}
		if b := acct.Balance(); b != 50 {
			t.Fatalf("balance %d after a refused transfer, want 50", b)
		}
	})
}

func TestRunFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"-step", "4"}, 2, "-step must be 1, 2, 3 or all"},
		{[]string{"-timeout", "0s"}, 2, "-timeout must be positive"},
		{[]string{"extra"}, 2, "unexpected argument"},
		{[]string{"-bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"-step", "3", "-timeout", "1s"}, 2, "-step 3 and -timeout do not go together"},
		{[]string{"-step", "3"}, 0, ""},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.err) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.err)
		}
		if code == 2 && (out.Len() != 0 || strings.Count(errb.String(), "\n") != 1 || !strings.HasPrefix(errb.String(), "mutexguard: ")) {
			t.Errorf("run(%q): stdout %q, stderr %q; want nothing and one line", tc.args, out.String(), errb.String())
		}
	}
}

func TestHelp(t *testing.T) {
	for _, h := range []string{"-h", "-help"} {
		var out, errb bytes.Buffer
		code := run([]string{h}, &out, &errb)
		first, _, _ := strings.Cut(out.String(), "\n")
		if code != 0 || errb.Len() != 0 || !strings.HasPrefix(first, "mutexguard shows the tutorial's pitfall") {
			t.Errorf("%s: exit %d, stderr %q, first line %q", h, code, errb.String(), first)
		}
		for _, want := range []string{"\n  -step string\n", "\n  -timeout duration\n"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s lacks %q:\n%s", h, want, out.String())
			}
		}
	}
}
