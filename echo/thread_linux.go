package echo

import "syscall"

func gettid() int { return syscall.Gettid() }
