//go:build !linux

package echo

import "errors"

// unread and unacked need Linux's sock_diag; elsewhere the tests that look
// at a socket's queues fail with this error.
func unread(sockID) (int, error) { return 0, errNoSockDiag }

func unacked(sockID) (int, error) { return 0, errNoSockDiag }

var errNoSockDiag = errors.New("seeing a socket's queues needs Linux (sock_diag)")
