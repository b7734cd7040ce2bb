package csp

// Linearizability checks of every primitive in the package, with porcupine.
//
// Each test records histories from random concurrent runs: a few clients
// call the primitive's public methods, blocking calls with contexts that end
// at random (already done, racing with the call, or a little later), and
// every call is recorded with its call and return time, cancelled calls as
// what they returned. porcupine then searches for an order of the calls,
// each placed at an instant between its call and its return, that the
// model in linmodels_test.go accepts.
//
// By default each primitive is checked on a few dozen short histories, a
// few seconds in all under -race. For a longer run, set
// CSP_LINEARIZABILITY_HISTORIES to the number of histories per primitive:
//
//	CSP_LINEARIZABILITY_HISTORIES=2000 go test -race -run Linearizable ./csp
//
// A history porcupine rejects is written, as porcupine's HTML
// visualization, to a file the failure message names.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/sourcegraph/conc"
)

const (
	defaultHistories = 30
	checkTimeout     = time.Minute // per history; the default ones take milliseconds
)

func historiesPerCheck(t *testing.T) int {
	s := os.Getenv("CSP_LINEARIZABILITY_HISTORIES")
	if s == "" {
		return defaultHistories
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("CSP_LINEARIZABILITY_HISTORIES=%q: want a positive number", s)
	}
	return n
}

// A recorder collects one history. The clock is a counter that every call
// and return advances, so that timestamps order events as they happened:
// if one call returned before another began, its return stamp is smaller.
type recorder struct {
	clock atomic.Int64
	ops   [maxClients][]porcupine.Operation // per client, so no lock is needed
}

// call records a call that does not block; f makes it and returns its output.
func (h *recorder) call(in op, f func() any) any {
	start := h.clock.Add(1)
	out := f()
	h.ops[in.client] = append(h.ops[in.client], porcupine.Operation{
		ClientId: in.client, Input: in, Call: start, Output: out, Return: h.clock.Add(1),
	})
	return out
}

// blocking records a call that may block as its request and its completion
// (named in.name+"-done"), both spanning the call and both carrying its
// outcome (see linmodels_test.go).
func (h *recorder) blocking(in op, f func() any) any {
	start := h.clock.Add(1)
	out := f()
	end := h.clock.Add(1)
	done := in
	done.name += "-done"
	h.ops[in.client] = append(h.ops[in.client],
		porcupine.Operation{ClientId: in.client, Input: in, Call: start, Output: out, Return: end},
		porcupine.Operation{ClientId: in.client, Input: done, Call: start, Output: out, Return: end},
	)
	return out
}

// event records something that happened at one instant, such as an init
// starting to run inside a GetOrInit.
func (h *recorder) event(in op) {
	t := h.clock.Add(1)
	h.ops[in.client] = append(h.ops[in.client], porcupine.Operation{ClientId: in.client, Input: in, Call: t, Return: t})
}

// units records a call that hands over k items one at a time, such as
// ReleaseN(k), as k operations of one item each, all spanning the call.
func (h *recorder) units(in op, k int, f func()) {
	start := h.clock.Add(1)
	f()
	end := h.clock.Add(1)
	in.arg = 1
	for range k {
		h.ops[in.client] = append(h.ops[in.client], porcupine.Operation{ClientId: in.client, Input: in, Call: start, Return: end})
	}
}

// gated records a call that holds the head of a line, such as
// TryAcquireN, as three steps spanning the call: in.name (it joins the line),
// in.name+"-done" (it decides, with the call's output) and in.name+"-leave".
func (h *recorder) gated(in op, f func() any) any {
	out := h.blocking(in, f)
	last := h.ops[in.client][len(h.ops[in.client])-1]
	leave := in
	leave.name += "-leave"
	h.ops[in.client] = append(h.ops[in.client], porcupine.Operation{ClientId: in.client, Input: leave, Call: last.Call, Return: last.Return})
	return out
}

func (h *recorder) history() []porcupine.Operation {
	var all []porcupine.Operation
	for _, ops := range h.ops {
		all = append(all, ops...)
	}
	return all
}

// outcome names what a blocking call returned.
func outcome(err error) string {
	switch {
	case err == nil:
		return outOK
	case errors.Is(err, ErrClosed):
		return outClosed
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return outCancelled
	}
	panic("unexpected error: " + err.Error())
}

// boundedContext returns a context for one blocking call that always ends:
// already done, ending while the call starts, or within a millisecond.
// Whether it is done already is asked as the call's op is built, before the
// call begins (see op.ctxDone).
func boundedContext(r *rand.Rand) (context.Context, context.CancelFunc) {
	return randomContext(r, 900*time.Microsecond)
}

// pause sometimes yields or sleeps briefly between a client's calls, so that
// holders hold and waiters queue.
func pause(r *rand.Rand) {
	switch r.IntN(6) {
	case 0:
		runtime.Gosched()
	case 1:
		time.Sleep(time.Duration(r.IntN(100)) * time.Microsecond)
	}
}

// A client runs one client's calls on a fresh primitive, recording them.
type client func(h *recorder, c int, r *rand.Rand)

// checkLinearizable records histories, each from clients running newRun's
// client function concurrently on a primitive newRun makes, and checks each
// against model. It returns the histories' outcomes counted by operation,
// so that a test can check that the runs exercised what they should.
func checkLinearizable(t *testing.T, model porcupine.Model, clients int, newRun func() client) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for i := range historiesPerCheck(t) {
		h := &recorder{}
		run := newRun()
		var wg conc.WaitGroup
		for c := range clients {
			wg.Go(func() { run(h, c, rand.New(rand.NewPCG(uint64(i), uint64(c)))) })
		}
		wg.Wait()
		history := h.history()
		for _, o := range history {
			if o.Output != nil {
				in := o.Input.(op)
				key := in.name + " " + describeOutput(o.Output)
				if in.ctxDone {
					key += " [ctx done]"
				}
				counts[key]++
			}
		}
		if err := verify(model, history); err != nil {
			t.Fatalf("history %d: %v", i, err)
		}
	}
	t.Logf("outcomes: %v", counts)
	return counts
}

func describeOutput(out any) string {
	switch o := out.(type) {
	case string:
		return o
	case bool:
		return strconv.FormatBool(o)
	case onceResult:
		return map[bool]string{true: "value", false: "empty"}[o.ok]
	case recvResult:
		switch {
		case o.err != "":
			return o.err
		case o.missed > 0:
			return "lagged"
		}
		return "value"
	}
	return "returned"
}

// verify checks one history. If porcupine rejects it, the error names two
// files: porcupine's visualization, and a text listing of the history, of
// the longest linearization found with the model's state after each step,
// and of the calls that could come next, none of which the model accepts.
func verify(model porcupine.Model, history []porcupine.Operation) error {
	res, info := porcupine.CheckOperationsVerbose(model, history, checkTimeout)
	switch res {
	case porcupine.Ok:
		return nil
	case porcupine.Unknown:
		return errors.New("porcupine did not finish within " + checkTimeout.String())
	}
	msg := fmt.Sprintf("not linearizable (%d operations)", len(history))
	if f, err := os.CreateTemp("", "csp-linearizability-*.html"); err == nil {
		if porcupine.Visualize(model, info, f) == nil {
			msg += "; visualization in " + f.Name()
		}
		f.Close()
	}
	if f, err := os.CreateTemp("", "csp-linearizability-*.txt"); err == nil {
		explain(f, model, history, info)
		msg += "; listing in " + f.Name()
		f.Close()
	}
	return errors.New(msg)
}

func explain(w io.Writer, model porcupine.Model, history []porcupine.Operation, info porcupine.LinearizationInfo) {
	describe := func(o porcupine.Operation) string {
		return fmt.Sprintf("[%4d,%4d] %s", o.Call, o.Return, model.DescribeOperation(o.Input, o.Output))
	}
	partitions := [][]porcupine.Operation{history}
	if model.Partition != nil {
		partitions = model.Partition(history)
	}
	for p, found := range info.PartialLinearizationsOperations() {
		var longest []porcupine.Operation
		for _, l := range found {
			if len(l) > len(longest) {
				longest = l
			}
		}
		if len(longest) == len(partitions[p]) {
			continue // this part is linearizable
		}
		fmt.Fprintf(w, "longest linearization found (%d of %d operations):\n", len(longest), len(partitions[p]))
		state := model.Init()
		placed := map[string]int{}
		for _, o := range longest {
			_, state = model.Step(state, o.Input, o.Output)
			fmt.Fprintf(w, "%s   => %s\n", describe(o), model.DescribeState(state))
			placed[describe(o)]++
		}
		// Of the calls not placed, those that began before the first of
		// them returned are the ones that could come next.
		var left []porcupine.Operation
		next := int64(math.MaxInt64)
		for _, o := range partitions[p] {
			if placed[describe(o)] > 0 {
				placed[describe(o)]--
				continue
			}
			left = append(left, o)
			next = min(next, o.Return)
		}
		fmt.Fprintln(w, "\nwhat could come next, and whether the model accepts it there:")
		for _, o := range left {
			if o.Call <= next {
				ok, _ := model.Step(state, o.Input, o.Output)
				fmt.Fprintf(w, "%s   accepted: %v\n", describe(o), ok)
			}
		}
		fmt.Fprintln(w, "\nthe whole history, by call time:")
		sorted := slices.Clone(partitions[p])
		slices.SortStableFunc(sorted, func(a, b porcupine.Operation) int { return cmp.Compare(a.Call, b.Call) })
		for _, o := range sorted {
			fmt.Fprintln(w, describe(o))
		}
	}
}

// wants fails the test unless each named outcome occurred.
func wants(t *testing.T, counts map[string]int, outcomes ...string) {
	t.Helper()
	for _, o := range outcomes {
		if counts[o] == 0 {
			t.Errorf("no %q in any history: the runs did not exercise it", o)
		}
	}
}

func TestLinearizableNotify(t *testing.T) {
	counts := checkLinearizable(t, notifyModel, 4, func() client {
		n := NewNotify()
		return func(h *recorder, c int, r *rand.Rand) {
			for range 40 {
				switch x := r.IntN(10); {
				case x < 5:
					ctx, cancel := boundedContext(r)
					h.blocking(op{name: "wait", client: c, ctxDone: ctx.Err() != nil}, func() any { return outcome(n.Wait(ctx)) })
					cancel()
				case x < 9:
					h.call(op{name: "notify-one", client: c}, func() any { n.NotifyOne(); return nil })
				default:
					h.call(op{name: "notify-waiters", client: c}, func() any { n.NotifyWaiters(); return nil })
				}
				pause(r)
			}
		}
	})
	wants(t, counts, "wait-done ok", "wait-done cancelled", "wait-done cancelled [ctx done]")
}

func TestLinearizableMutex(t *testing.T) {
	counts := checkLinearizable(t, mutexModel, 4, func() client {
		m := NewMutex()
		return func(h *recorder, c int, r *rand.Rand) {
			for range 30 {
				var locked bool
				if r.IntN(4) == 0 {
					locked = h.call(op{name: "trylock", client: c}, func() any { return m.TryLock() }).(bool)
				} else {
					ctx, cancel := boundedContext(r)
					locked = h.blocking(op{name: "lock", client: c, ctxDone: ctx.Err() != nil}, func() any { return outcome(m.Lock(ctx)) }) == outOK
					cancel()
				}
				if locked {
					pause(r)
					h.call(op{name: "unlock", client: c}, func() any { m.Unlock(); return nil })
				}
				pause(r)
			}
		}
	})
	wants(t, counts, "lock-done ok", "lock-done cancelled", "lock-done cancelled [ctx done]", "trylock true", "trylock false")
}

func TestLinearizableRWMutex(t *testing.T) {
	counts := checkLinearizable(t, rwMutexModel, 5, func() client {
		m := NewRWMutex()
		return func(h *recorder, c int, r *rand.Rand) {
			for range 30 {
				write := r.IntN(3) == 0
				lock, unlock, name := m.RLock, m.RUnlock, "r"
				try := m.TryRLock
				if write {
					lock, unlock, name, try = m.Lock, m.Unlock, "", m.TryLock
				}
				var locked bool
				if r.IntN(3) == 0 {
					locked = h.call(op{name: "try" + name + "lock", client: c}, func() any { return try() }).(bool)
				} else {
					ctx, cancel := boundedContext(r)
					locked = h.blocking(op{name: name + "lock", client: c, ctxDone: ctx.Err() != nil}, func() any { return outcome(lock(ctx)) }) == outOK
					cancel()
				}
				if locked {
					pause(r)
					h.call(op{name: name + "unlock", client: c}, func() any { unlock(); return nil })
				}
				pause(r)
			}
		}
	})
	wants(t, counts, "rlock-done ok", "rlock-done cancelled", "lock-done ok", "lock-done cancelled",
		"rlock-done cancelled [ctx done]", "lock-done cancelled [ctx done]", "tryrlock true", "tryrlock false", "trylock true", "trylock false")
}

// TestLinearizableSemaphore checks AcquireN, TryAcquireN, ReleaseN,
// Available and Close.
func TestLinearizableSemaphore(t *testing.T) {
	const capacity = 3
	counts := checkLinearizable(t, semaphoreModel(capacity), 4, func() client {
		s := NewSemaphore(capacity)
		return func(h *recorder, c int, r *rand.Rand) {
			closeAt := -1
			if c == 0 && r.IntN(3) == 0 { // one run in three closes the semaphore midway
				closeAt = r.IntN(30)
			}
			for i := range 30 {
				if i == closeAt {
					h.call(op{name: "close", client: c}, func() any { s.Close(); return nil })
				}
				k := 1 + r.IntN(capacity)
				var got bool
				switch x := r.IntN(8); {
				case x == 0:
					h.call(op{name: "available", client: c}, func() any { return s.Available() })
				case x < 3:
					got = h.gated(op{name: "try", client: c, arg: k}, func() any { return s.TryAcquireN(k) }).(bool)
				default:
					ctx, cancel := boundedContext(r)
					got = h.blocking(op{name: "acquire", client: c, arg: k, ctxDone: ctx.Err() != nil}, func() any { return outcome(s.AcquireN(ctx, k)) }) == outOK
					cancel()
				}
				if got {
					pause(r)
					h.units(op{name: "release", client: c}, k, func() { s.ReleaseN(k) })
				}
				pause(r)
			}
		}
	})
	wants(t, counts, "acquire-done ok", "acquire-done cancelled", "acquire-done cancelled [ctx done]", "try-done true", "try-done false")
}

func TestLinearizableBarrier(t *testing.T) {
	const parties = 3
	counts := checkLinearizable(t, barrierModel(parties), 5, func() client {
		b := NewBarrier(parties)
		return func(h *recorder, c int, r *rand.Rand) {
			for range 20 {
				ctx, cancel := boundedContext(r)
				h.blocking(op{name: "wait", client: c, ctxDone: ctx.Err() != nil}, func() any {
					leader, err := b.Wait(ctx)
					switch {
					case err != nil:
						return outcome(err)
					case leader:
						return "leader"
					}
					return "passed"
				})
				cancel()
				pause(r)
			}
		}
	})
	wants(t, counts, "wait-done leader", "wait-done passed", "wait-done cancelled", "wait-done cancelled [ctx done]")
}

func TestLinearizableOnceCell(t *testing.T) {
	counts := checkLinearizable(t, onceCellModel, 4, func() client {
		cell := NewOnceCell[int]()
		return func(h *recorder, c int, r *rand.Rand) {
			for i := range 8 {
				mine := 100*(c+1) + i // the value this client's init or Set would put
				switch x := r.IntN(6); {
				case x == 0:
					h.call(op{name: "get", client: c}, func() any {
						v, ok := cell.Get()
						return onceResult{v, ok}
					})
				case x == 1:
					h.call(op{name: "set", client: c, arg: mine}, func() any {
						if errors.Is(cell.Set(mine), ErrAlreadySet) {
							return "already set"
						}
						return outOK
					})
				default:
					ctx, cancel := boundedContext(r)
					behaviour := r.IntN(4)
					ctxDone := ctx.Err() != nil
					h.call(op{name: "get-or-init", client: c, arg: mine, ctxDone: ctxDone}, func() (out any) {
						defer func() {
							if recover() != nil {
								out = onceResult{}
							}
						}()
						v, err := cell.GetOrInit(ctx, func(ctx context.Context) (int, error) {
							h.event(op{name: "init-start", client: c, ctxDone: ctxDone})
							defer h.event(op{name: "init-end", client: c})
							switch behaviour {
							case 0:
								return 0, errInit
							case 1:
								panic("init panicked")
							case 2:
								<-ctx.Done()
								return 0, ctx.Err()
							}
							pause(r)
							return mine, nil
						})
						return onceResult{v, err == nil}
					})
					cancel()
				}
				pause(r)
			}
		}
	})
	wants(t, counts, "get-or-init value", "get-or-init empty", "get-or-init empty [ctx done]", "get value", "set ok")
}

// sender runs a client that sends 25 values of its own and then, if it is
// the last sender to finish and the run is one that closes, closes.
func sender(h *recorder, c int, r *rand.Rand, sending *atomic.Int64, closes bool, send func(v int) any, closeAll func()) {
	for i := range 25 {
		v := 1000*(c+1) + i
		h.call(op{name: "send", client: c, arg: v}, func() any { return send(v) })
		pause(r)
		pause(r)
	}
	if sending.Add(-1) == 0 && closes {
		h.call(op{name: "close", client: c}, func() any { closeAll(); return nil })
	}
}

func TestLinearizableWatch(t *testing.T) {
	const senders, watchers = 2, 3
	counts := checkLinearizable(t, watchModel, senders+watchers, func() client {
		w := NewWatch(0)
		var sending atomic.Int64
		sending.Store(senders)
		closes := rand.IntN(2) == 0
		return func(h *recorder, c int, r *rand.Rand) {
			if c < senders {
				sender(h, c, r, &sending, closes, func(v int) any { w.Send(v); return nil }, w.Close)
				return
			}
			watcher := h.call(op{name: "subscribe", client: c}, func() any { return w.Subscribe() }).(*Watcher[int])
			// Follow until the Watch is closed, if it will be (up to 300
			// calls, so that a watcher that misses the close cannot hang
			// the test); else for 30 calls.
			for i := 0; i < 30 || (closes && i < 300); i++ {
				if r.IntN(3) == 0 {
					h.call(op{name: "borrow", client: c}, func() any { return watcher.Borrow() })
					continue
				}
				ctx, cancel := boundedContext(r)
				out := h.call(op{name: "changed", client: c, ctxDone: ctx.Err() != nil}, func() any { return outcome(watcher.Changed(ctx)) })
				cancel()
				if out == outClosed {
					return
				}
			}
		}
	})
	wants(t, counts, "changed ok", "changed cancelled", "changed cancelled [ctx done]", "changed closed")
}

func TestLinearizableBroadcast(t *testing.T) {
	const senders, subscribers, capacity = 2, 3, 3
	counts := checkLinearizable(t, broadcastModel(capacity), senders+subscribers, func() client {
		b := NewBroadcast[int](capacity)
		var sending atomic.Int64
		sending.Store(senders)
		closes := rand.IntN(2) == 0
		return func(h *recorder, c int, r *rand.Rand) {
			if c < senders {
				sender(h, c, r, &sending, closes, func(v int) any { return b.Send(v) }, b.Close)
				return
			}
			pause(r)
			sub := h.call(op{name: "subscribe", client: c}, func() any { return b.Subscribe() }).(*Subscription[int])
			for i := range 30 {
				if i == 25 && r.IntN(4) == 0 {
					h.call(op{name: "unsubscribe", client: c}, func() any { sub.Close(); return nil })
				}
				ctx, cancel := boundedContext(r)
				h.call(op{name: "recv", client: c, ctxDone: ctx.Err() != nil}, func() any {
					v, err := sub.Recv(ctx)
					var lag *LaggedError
					switch {
					case errors.As(err, &lag):
						return recvResult{missed: int(lag.Missed)}
					case err != nil:
						return recvResult{err: outcome(err)}
					}
					return recvResult{value: v}
				})
				cancel()
				if r.IntN(3) == 0 {
					pause(r)
				}
			}
		}
	})
	wants(t, counts, "recv value", "recv lagged", "recv cancelled", "recv cancelled [ctx done]", "recv closed")
}
