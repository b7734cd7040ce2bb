package csp

import "fmt"

// PanicError is a panic recovered from a piece of work that another
// goroutine waits for, carried to the waiter as a value: Group.Wait panics
// with one when a task of the group panicked, and package async's
// JoinHandle.Join returns one when a task's Poll panicked (tokio's
// JoinError::Panic). Stack is the stack of the goroutine that panicked, at
// the panic, which the waiter's own stack would not show.
type PanicError struct {
	Value any    // the value the work panicked with
	Stack []byte // the panicking goroutine's stack at the panic
}

func (p *PanicError) Error() string {
	return fmt.Sprintf("csp: task panicked: %v\n\ntask stack:\n%s", p.Value, p.Stack)
}

// Unwrap returns the panic value if it is an error, so errors.Is and
// errors.As see through a PanicError.
func (p *PanicError) Unwrap() error {
	if err, ok := p.Value.(error); ok {
		return err
	}
	return nil
}
