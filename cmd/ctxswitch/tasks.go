package main

import (
	"fmt"
	"os"
	"runtime"
	"time"
)

// spawnAll starts n tasks that each block until released, and returns the
// time from the first go statement until all n have started, and how many
// OS threads the process had with all of them alive. A thread task
// locks itself to its OS thread and never unlocks, so the runtime must give
// every such task a thread of its own and ends that thread with the task.
// The spawner is locked too on the thread side, so that no task can run on
// its thread.
func spawnAll(n int, thread bool) (time.Duration, int, error) {
	if thread {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	before, err := countThreads()
	if err != nil {
		return 0, 0, err
	}
	started := make(chan struct{}, n)
	release := make(chan struct{})
	exited := make(chan struct{}, n)
	start := time.Now()
	for range n {
		go func() {
			if thread {
				runtime.LockOSThread()
			}
			started <- struct{}{}
			<-release
			exited <- struct{}{}
		}()
	}
	for range n {
		<-started
	}
	elapsed := time.Since(start)
	during, err := countThreads()
	close(release)
	for range n {
		<-exited
	}
	if thread {
		settleThreads(before)
	}
	return elapsed, during, err
}

// spawnLatency starts n tasks one after another, each after the previous
// one has started, and returns the mean time from a go statement to the
// task's first instruction.
func spawnLatency(n int, thread bool) (time.Duration, error) {
	if thread {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	before, err := countThreads()
	if err != nil {
		return 0, err
	}
	latency := make(chan time.Duration)
	release := make(chan struct{})
	exited := make(chan struct{}, n)
	var total time.Duration
	for range n {
		spawned := time.Now()
		go func() {
			d := time.Since(spawned) // the task's first instruction
			if thread {
				runtime.LockOSThread()
			}
			latency <- d
			<-release
			exited <- struct{}{}
		}()
		total += <-latency
	}
	close(release)
	for range n {
		<-exited
	}
	if thread {
		settleThreads(before)
	}
	return total / time.Duration(n), nil
}

// brigadeChannels passes a token down a chain of n tasks linked by
// unbuffered channels until it has made about totalHops hops, and returns
// the time per hop.
func brigadeChannels(n int, thread bool, totalHops int) (time.Duration, error) {
	if thread {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	links := make([]chan byte, n+1)
	for i := range links {
		links[i] = make(chan byte)
	}
	for i := range n {
		go func() {
			if thread {
				runtime.LockOSThread()
			}
			in, out := links[i], links[i+1]
			for tok := range in {
				out <- tok
			}
			close(out)
		}()
	}
	trips := max(1, totalHops/(n+1))
	start := time.Now()
	for range trips {
		links[0] <- 1
		<-links[n]
	}
	elapsed := time.Since(start)
	close(links[0])
	<-links[n] // the close has gone down the whole chain
	return elapsed / time.Duration(trips*(n+1)), nil
}

// linkEnd is one end of a brigade link.
type linkEnd interface {
	Read([]byte) (int, error)
	Write([]byte) (int, error)
	Close() error
}

// brigadeSockets is brigadeChannels over a socketpair per link. Thread
// tasks use blocking read and write system calls, so each hop is the kernel
// waking a sleeping thread; goroutines use the sockets through the runtime's
// netpoller, as any Go network code does.
func brigadeSockets(n int, thread bool, totalHops int) (time.Duration, error) {
	if thread {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	ins := make([]linkEnd, n+1)  // ins[i] is where link i is read
	outs := make([]linkEnd, n+1) // outs[i] is where link i is written
	closeAll := func() {
		for i := range ins {
			if ins[i] != nil {
				ins[i].Close()
			}
			if outs[i] != nil {
				outs[i].Close()
			}
		}
	}
	for i := range ins {
		out, in, err := socketLink(thread)
		if err != nil {
			closeAll()
			return 0, fmt.Errorf("socketpair for link %d: %w", i, err)
		}
		outs[i], ins[i] = out, in
	}
	done := make(chan struct{}, n)
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			if thread {
				runtime.LockOSThread()
			}
			tok := make([]byte, 1)
			for {
				if _, err := ins[i].Read(tok); err != nil {
					outs[i+1].Close() // pass the end of the chain along
					return
				}
				if _, err := outs[i+1].Write(tok); err != nil {
					return
				}
			}
		}()
	}
	trips := max(1, totalHops/(n+1))
	tok := []byte{1}
	start := time.Now()
	for range trips {
		if _, err := outs[0].Write(tok); err != nil {
			return 0, fmt.Errorf("brigade write: %w", err) // tasks left blocked: the program exits on error
		}
		if _, err := ins[n].Read(tok); err != nil {
			return 0, fmt.Errorf("brigade read: %w", err)
		}
	}
	elapsed := time.Since(start)
	outs[0].Close() // EOF travels down the chain; task i closes outs[i+1]
	for range n {
		<-done
	}
	for _, in := range ins {
		in.Close()
	}
	return elapsed / time.Duration(trips*(n+1)), nil
}

// countThreads returns the number of OS threads of this process.
func countThreads() (int, error) {
	entries, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0, fmt.Errorf("counting threads: %w", err)
	}
	return len(entries), nil
}

// settleThreads waits (at most a second) for the threads of tasks that have
// exited to be gone, so the next measurement starts from the same count.
func settleThreads(target int) {
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if n, err := countThreads(); err != nil || n <= target {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
