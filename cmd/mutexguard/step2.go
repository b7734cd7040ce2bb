package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chansync/chansync/csp"
)

// cspAccount guards its balance with a csp.Mutex, the counterpart of
// tokio::sync::Mutex.
type cspAccount struct {
	mu      *csp.Mutex
	balance int
}

// verdict is the auditor's answer: an approval, or why it could not decide.
type verdict struct {
	ok  bool
	err error
}

type cspApproval struct {
	amount int
	reply  chan verdict
}

// cspAuditor waits for the account's lock only until its deadline; then it
// answers with the error instead of hanging.
func cspAuditor(acct *cspAccount, requests <-chan cspApproval, deadline time.Duration) {
	for req := range requests {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		err := acct.mu.Lock(ctx)
		cancel()
		if err != nil {
			req.reply <- verdict{err: fmt.Errorf("auditor: could not lock the account: %w", err)}
			continue
		}
		ok := acct.balance >= req.amount
		acct.mu.Unlock()
		req.reply <- verdict{ok: ok}
	}
}

// cspTransfer has the same shape as step 1: it holds the lock across the
// wait for the auditor. The lock is now one that can be given up.
func cspTransfer(ctx context.Context, acct *cspAccount, auditor chan<- cspApproval, amount int) error {
	if err := acct.mu.Lock(ctx); err != nil {
		return err
	}
	defer acct.mu.Unlock()
	reply := make(chan verdict, 1)
	auditor <- cspApproval{amount: amount, reply: reply}
	v := <-reply
	if v.err != nil {
		return fmt.Errorf("transfer of %d not approved: %w", amount, v.err)
	}
	if !v.ok {
		return fmt.Errorf("transfer of %d refused: balance too low", amount)
	}
	acct.balance -= amount
	return nil
}

func stepContextMutex(timeout time.Duration) result {
	r := result{
		step: 2,
		rust: `
let acct = account.lock().await;
// tokio::sync::Mutex: Send, compiles
let ok = auditor.approve(100).await;
// auditor side, bounded:
timeout(d, account.lock()).await
// Err(Elapsed) instead of a hang`,
		goShape: `
acct.mu.Lock(ctx) // csp.Mutex
defer acct.mu.Unlock()
auditor <- cspApproval{100, reply}
v := <-reply
// auditor side, bounded:
err := acct.mu.Lock(ctxWithDeadline)
// DeadlineExceeded instead of a hang`,
	}
	err := runContextMutex(timeout)
	r.expected = errors.Is(err, context.DeadlineExceeded)
	if r.expected {
		r.outcome = fmt.Sprintf("no hang: the auditor gave up on the lock after %v and said why; "+
			"the transfer failed cleanly with %q and released the lock. "+
			"The circular wait is still in the design, but it now ends in an error.", timeout, err)
	} else {
		r.outcome = fmt.Sprintf("expected the transfer to fail with a deadline error, got %v", err)
	}
	return r
}

// runContextMutex plays step 2 and returns the transfer's error once every
// goroutine it started has ended.
func runContextMutex(timeout time.Duration) error {
	acct := &cspAccount{mu: csp.NewMutex(), balance: 500}
	requests := make(chan cspApproval)
	auditorDone := make(chan struct{})
	go func() {
		cspAuditor(acct, requests, timeout)
		close(auditorDone)
	}()
	err := cspTransfer(context.Background(), acct, requests, 100)
	close(requests)
	<-auditorDone
	// The lock is free again: the program has recovered.
	if !acct.mu.TryLock() {
		return errors.New("the account stayed locked after the transfer failed")
	}
	acct.mu.Unlock()
	return err
}
