package main

import (
	"fmt"
	"time"
)

// In step 3 the balance belongs to one goroutine, the owner. Everybody else
// sends it requests. Nothing is locked, so nothing is held across a wait.
type ownedAccount struct {
	balance  chan chan int   // ask for the balance
	withdraw chan withdrawal // take money out, if there is enough
	done     chan struct{}   // closed to stop the owner
	stopped  chan struct{}   // closed when the owner has stopped
}

type withdrawal struct {
	amount int
	reply  chan bool
}

func newOwnedAccount(balance int) *ownedAccount {
	a := &ownedAccount{
		balance:  make(chan chan int),
		withdraw: make(chan withdrawal),
		done:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	go a.own(balance)
	return a
}

// own is the only code that touches the balance.
func (a *ownedAccount) own(balance int) {
	defer close(a.stopped)
	for {
		select {
		case reply := <-a.balance:
			reply <- balance
		case w := <-a.withdraw:
			ok := balance >= w.amount
			if ok {
				balance -= w.amount
			}
			w.reply <- ok
		case <-a.done:
			return
		}
	}
}

func (a *ownedAccount) Balance() int {
	reply := make(chan int, 1)
	a.balance <- reply
	return <-reply
}

func (a *ownedAccount) Withdraw(amount int) bool {
	reply := make(chan bool, 1)
	a.withdraw <- withdrawal{amount, reply}
	return <-reply
}

func (a *ownedAccount) Close() {
	close(a.done)
	<-a.stopped
}

// ownedAuditor approves a transfer by asking the owner for the balance.
func ownedAuditor(acct *ownedAccount, requests <-chan approval) {
	for req := range requests {
		req.reply <- acct.Balance() >= req.amount
	}
}

// ownedTransfer asks for approval, then asks the owner to withdraw. The
// owner re-checks, so a balance that changed in between is still safe.
func ownedTransfer(acct *ownedAccount, auditor chan<- approval, amount int) (bool, error) {
	reply := make(chan bool, 1)
	auditor <- approval{amount: amount, reply: reply}
	if !<-reply {
		return false, nil
	}
	if !acct.Withdraw(amount) {
		return false, fmt.Errorf("balance changed after approval")
	}
	return true, nil
}

func stepOwnerGoroutine(time.Duration) result {
	r := result{
		step: 3,
		rust: `
// one task owns the balance
while let Some(msg) = rx.recv().await {
    match msg { Balance(tx) => ...,
                Withdraw(n, tx) => ... }
}
// others: tx.send(Withdraw(100, reply))`,
		goShape: `
// one goroutine owns the balance
for { select {
  case reply := <-a.balance: ...
  case w := <-a.withdraw: ... } }
// others: a.withdraw <- withdrawal{100, reply}
// no lock: nothing held across a wait`,
	}
	approved, balance, err := runOwnerGoroutine()
	r.expected = err == nil && approved && balance == 400
	if r.expected {
		r.outcome = fmt.Sprintf("the transfer was approved and done; balance 500 -> %d. No lock, no deadlock possible.", balance)
	} else {
		r.outcome = fmt.Sprintf("expected an approved transfer and balance 400, got approved=%v balance=%d err=%v", approved, balance, err)
	}
	return r
}

// runOwnerGoroutine plays step 3 and returns after every goroutine it
// started has ended.
func runOwnerGoroutine() (approved bool, balance int, err error) {
	acct := newOwnedAccount(500)
	defer acct.Close()
	requests := make(chan approval)
	auditorDone := make(chan struct{})
	go func() {
		ownedAuditor(acct, requests)
		close(auditorDone)
	}()
	approved, err = ownedTransfer(acct, requests, 100)
	close(requests)
	<-auditorDone
	return approved, acct.Balance(), err
}
