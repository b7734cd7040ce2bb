package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// syncAccount is the direct port of the tutorial's state behind a
// std::sync::Mutex.
type syncAccount struct {
	mu      sync.Mutex
	balance int
}

// syncAuditor approves a transfer if the account can cover it. To know, it
// must read the balance under the same mutex.
func syncAuditor(acct *syncAccount, requests <-chan approval) {
	for req := range requests {
		acct.mu.Lock() // stuck here while the transfer holds the mutex
		ok := acct.balance >= req.amount
		acct.mu.Unlock()
		req.reply <- ok
	}
}

// approval is a request to the auditor. reply has room for one answer, so a
// late answer never blocks the auditor.
type approval struct {
	amount int
	reply  chan bool
}

// syncTransfer holds the mutex while it waits for the auditor: the Go shape
// that Rust rejects at compile time.
func syncTransfer(acct *syncAccount, auditor chan<- approval, reply chan bool, amount int) bool {
	acct.mu.Lock()
	defer acct.mu.Unlock()
	auditor <- approval{amount: amount, reply: reply}
	if !<-reply { // waits for the auditor, which waits for acct.mu
		return false
	}
	acct.balance -= amount
	return true
}

// syncReporter wants the balance for a report and has a deadline, but
// sync.Mutex.Lock cannot be raced against anything: it waits regardless.
func syncReporter(ctx context.Context, acct *syncAccount, gotLock chan<- error) {
	acct.mu.Lock()
	//lint:ignore SA2001 the empty critical section is the demonstration: the reporter only waits for the lock
	acct.mu.Unlock()
	gotLock <- ctx.Err() // non-nil: the deadline had long passed when the lock came
}

func stepDirectPort(timeout time.Duration) result {
	r := result{
		step: 1,
		rust: `
let acct = account.lock().unwrap();
// std::sync::MutexGuard, not Send
let ok = auditor.approve(100).await;
// guard still held across .await
tokio::spawn(transfer(...));
// error: future cannot be sent
//        between threads safely`,
		goShape: `
acct.mu.Lock() // sync.Mutex
defer acct.mu.Unlock()
auditor <- approval{100, reply}
ok := <-reply // mutex held across the wait
// compiles; go vet reports nothing
go transfer(...) // accepted
// runs, and deadlocks`,
	}

	acct := &syncAccount{balance: 500}
	requests := make(chan approval)
	reply := make(chan bool, 1)
	transferDone := make(chan bool, 1)
	auditorDone := make(chan struct{})
	reporterDone := make(chan error, 1)

	go func() {
		syncAuditor(acct, requests)
		close(auditorDone)
	}()
	go func() { transferDone <- syncTransfer(acct, requests, reply, 100) }()

	watchdog := time.NewTimer(timeout)
	defer watchdog.Stop()
	select {
	case ok := <-transferDone:
		close(requests)
		<-auditorDone
		r.outcome = fmt.Sprintf("the transfer finished (approved=%v): no deadlock, which this step does not expect", ok)
		return r
	case <-watchdog.C:
	}

	// The second face: a goroutine with a deadline that waits for the mutex.
	// Its deadline passes, and it still waits, because sync.Mutex.Lock
	// cannot be selected on.
	ctx, cancel := context.WithTimeout(context.Background(), timeout/10)
	defer cancel()
	go syncReporter(ctx, acct, reporterDone)
	<-ctx.Done()
	time.Sleep(timeout / 10) // let the reporter reach Lock, for the dump
	reporterStuck := len(reporterDone) == 0

	dump := stuckGoroutines()

	// Rescue: answer the transfer's question from outside, as only a
	// watchdog can. The transfer then unlocks, the auditor and the reporter
	// get the mutex, and every goroutine of this step ends.
	reply <- false
	approved := <-transferDone
	close(requests)
	<-auditorDone
	reporterErr := <-reporterDone

	r.details = "Stuck goroutines (trimmed dump, taken by the watchdog):\n" + dump
	r.expected = !approved && reporterStuck && reporterErr != nil && dumpShowsDeadlock(dump)
	r.outcome = fmt.Sprintf("deadlock: after %v the transfer still waits for the auditor while holding the mutex, "+
		"and the auditor waits for the mutex; a reporter whose %v deadline passed was still in sync.Mutex.Lock. "+
		"The watchdog released them by answering for the auditor.", timeout, timeout/10)
	return r
}
