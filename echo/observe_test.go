package echo

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/sourcegraph/conc"
)

// tally is what a recorder has been told.
type tally struct {
	accepted, refused int
	echoes            int // Echoed calls
	lines, bytes      int
	ends              map[string]int // by reason
	open, mostOpen    int            // accepted and not yet ended
	problems          []string       // calls that broke the Observer's contract
}

// recorder is an Observer that keeps a tally, in a one-slot channel, and
// leaves a token in changed after each call.
type recorder struct {
	state    chan tally
	changed  chan struct{}
	maxConns int
}

func newRecorder(maxConns int) *recorder {
	r := &recorder{state: make(chan tally, 1), changed: make(chan struct{}, 1), maxConns: maxConns}
	r.state <- tally{ends: map[string]int{}}
	return r
}

func (r *recorder) update(f func(*tally)) {
	t := <-r.state
	f(&t)
	r.state <- t
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *recorder) Accepted() {
	r.update(func(t *tally) {
		t.accepted++
		t.open++
		t.mostOpen = max(t.mostOpen, t.open)
		if t.open > r.maxConns {
			t.problems = append(t.problems, fmt.Sprintf("%d open, over the limit of %d", t.open, r.maxConns))
		}
	})
}

func (r *recorder) Refused() { r.update(func(t *tally) { t.refused++ }) }

func (r *recorder) Echoed(lines, bytes int, took time.Duration) {
	r.update(func(t *tally) {
		t.echoes++
		t.lines += lines
		t.bytes += bytes
		if lines <= 0 || bytes < lines || took < 0 {
			t.problems = append(t.problems, fmt.Sprintf("Echoed(%d, %d, %v)", lines, bytes, took))
		}
	})
}

func (r *recorder) Ended(why EndReason) {
	r.update(func(t *tally) {
		t.ends[why.String()]++
		t.open--
		if t.open < 0 {
			t.problems = append(t.problems, "Ended without Accepted")
		}
		if why == notEnded || why == endBusy {
			t.problems = append(t.problems, "Ended("+why.String()+")")
		}
	})
}

func (r *recorder) tally() tally {
	t := <-r.state
	r.state <- t
	t.ends = maps.Clone(t.ends)
	return t
}

// waitFor waits until the tally satisfies ok, and fails the test if that
// takes longer than a generous bound.
func (r *recorder) waitFor(t *testing.T, what string, ok func(tally) bool) tally {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		if got := r.tally(); ok(got) {
			return got
		}
		select {
		case <-r.changed:
		case <-timeout:
			t.Fatalf("timed out waiting for %s; tally %+v", what, r.tally())
		}
	}
}

// The observer is told what a scripted client did, in every mode, while
// it does it: two clients send lines of known sizes, a third is refused
// over the limit of two (except in sequential mode, which takes nobody
// while it serves a client), one client closes and the other is ended by
// the idle timeout. The counts of lines and bytes move with each echo,
// before any connection ends.
func TestObserverCountsWhatClientsDid(t *testing.T) {
	forEachMode(t, Config{MaxConns: 2, IdleTimeout: time.Second}, func(t *testing.T, cfg Config) {
		rec := newRecorder(cfg.MaxConns)
		cfg.Observer = rec
		_, addr, _ := tcpServer(t, cfg)
		sequential := cfg.Mode == ModeSequential
		echo := func(c net.Conn, lines string) {
			t.Helper()
			if _, err := io.WriteString(c, lines); err != nil {
				t.Fatal(err)
			}
			if got := string(readN(t, c, len(lines))); got != lines {
				t.Fatalf("echo %q, want %q", got, lines)
			}
		}
		moved := func(what string, accepted, lines, bytes int) {
			t.Helper()
			got := rec.waitFor(t, what, func(g tally) bool { return g.lines == lines })
			if got.accepted != accepted || got.bytes != bytes || len(got.ends) != 0 {
				t.Fatalf("after %s: %+v, want %d accepted, %d lines, %d bytes and no end", what, got, accepted, lines, bytes)
			}
		}

		first := dial(t, addr)
		echo(first, "a\nbb\n")
		moved("the first client's lines", 1, 2, 5)
		var second *net.TCPConn
		if !sequential {
			second = dial(t, addr)
			echo(second, "ccc\n")
			moved("the second client's line", 2, 3, 9)
			third := dial(t, addr)
			if got := string(readAll(t, third)); got != "ERR server busy\n" {
				t.Fatalf("third client got %q, want ERR server busy", got)
			}
			third.Close()
			if got := rec.tally(); got.refused != 1 || got.open != 2 {
				t.Fatalf("after the refusal: %+v, want 1 refused and 2 open", got)
			}
		}
		echo(first, "dddd\n")
		first.Close()
		rec.waitFor(t, "the first client's end", func(g tally) bool { return g.ends["client closed"] == 1 })
		if sequential {
			second = dial(t, addr)
			echo(second, "ccc\n")
		}
		// The second client says nothing more: the idle timeout ends it.
		got := rec.waitFor(t, "the idle timeout", func(g tally) bool { return g.open == 0 })
		want := tally{accepted: 2, refused: 1, lines: 4, bytes: 14, mostOpen: 2,
			ends: map[string]int{"client closed": 1, "idle timeout": 1}}
		if sequential {
			want.refused, want.mostOpen = 0, 1
		}
		got.echoes = 0 // how reads split the lines is up to the kernel
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("observed %+v\nwant     %+v", got, want)
		}
	})
}

// Many clients at once, more than the limit, each echoing a random number
// of lines of random sizes one at a time: the observer is told exactly
// what the clients saw. As many Accepted as clients that got an echo, a
// Refused for each of the others, their lines and bytes to the byte, an
// Ended("client closed") for each accepted one, never more open than the
// limit, and none open at the end. Two rounds: in the first, clients close
// as soon as they are done, so that ends race accepts; in the second,
// clients hold their connection until every client knows whether it got
// in, so that the limit is certainly reached and the clients beyond it
// refused. Run it under -race: the calls come from every connection's
// goroutine (or, in reactor mode, the executor's) at once.
func TestObserverCountsManyClientsAtOnce(t *testing.T) {
	const limit = 50
	forModes(t, modesExcept(ModeSequential), Config{MaxConns: limit, IdleTimeout: time.Minute}, func(t *testing.T, cfg Config) {
		rec := newRecorder(limit)
		cfg.Observer = rec
		_, addr, _ := tcpServer(t, cfg)
		want := tally{ends: map[string]int{}}
		var got tally
		for round, clients := range []int{200, limit + 20} {
			hold := round == 1
			accepted, refused := observerClients(t, addr, clients, hold, &want)
			if hold && (accepted != limit || refused != clients-limit) {
				t.Fatalf("%d clients holding their connections: %d got in and %d were refused, want %d and %d",
					clients, accepted, refused, limit, clients-limit)
			}
			// Every permit back before the next round.
			got = rec.waitFor(t, "every accepted client's end", func(g tally) bool {
				return g.accepted == want.accepted && g.refused == want.refused && g.open == 0
			})
		}
		want.mostOpen = limit // the second round reaches it; problems says if anything went over
		got.echoes = 0        // how reads split the lines is up to the kernel
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("observed %+v\nwant     %+v", got, want)
		}
	})
}

// observerClients runs clients at once against addr, each echoing a random
// number of lines of random sizes one at a time and then closing; with
// hold, each keeps its connection until every client knows whether it got
// in. It adds what they saw to want, and returns how many got in and how
// many were refused.
func observerClients(t *testing.T, addr string, clients int, hold bool, want *tally) (accepted, refused int) {
	t.Helper()
	results := make(chan clientSaw, clients)
	start := make(chan struct{})
	resolved := make(chan struct{}, clients) // a token per client that knows
	allResolved := make(chan struct{})
	var wg conc.WaitGroup
	for i := range clients {
		rng := rand.New(rand.NewPCG(uint64(clients), uint64(i)))
		wg.Go(func() {
			<-start
			var got clientSaw
			defer func() { results <- got }()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				resolved <- struct{}{}
				t.Errorf("dial: %v", err)
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			got = echoRandomLines(t, c, rng)
			resolved <- struct{}{}
			if hold && got.accepted {
				<-allResolved
			}
		})
	}
	close(start)
	for range clients {
		<-resolved
	}
	close(allResolved)
	wg.Wait()
	close(results)
	for r := range results {
		if !r.accepted {
			want.refused++
			refused++
			continue
		}
		accepted++
		want.accepted++
		want.lines += r.lines
		want.bytes += r.bytes
		want.ends["client closed"]++
	}
	return accepted, refused
}

// clientSaw is what a client saw: whether it got in, and the lines and
// bytes echoed to it.
type clientSaw struct {
	accepted     bool
	lines, bytes int
}

// echoRandomLines sends 1 to 20 lines of up to 100 bytes on c, one at a
// time, each after the echo of the one before, until one is not echoed:
// the client was refused (told "ERR server busy", or reset before it read
// that), or it failed the test.
func echoRandomLines(t *testing.T, c net.Conn, rng *rand.Rand) (got clientSaw) {
	const busy = "ERR server busy\n"
	for n := 1 + rng.IntN(20); n > 0; n-- {
		line := append(bytes.Repeat([]byte{'x'}, rng.IntN(100)), '\n')
		if _, err := c.Write(line); err != nil {
			if got.accepted {
				t.Errorf("write: %v", err)
			}
			return got // refused, and the server closed first
		}
		echo := make([]byte, len(line))
		k, err := io.ReadFull(c, echo)
		if err == nil && bytes.Equal(echo, line) {
			got.accepted = true
			got.lines++
			got.bytes += len(line)
			continue
		}
		if got.accepted || !bytes.HasPrefix([]byte(busy), echo[:k]) {
			t.Errorf("echo %q, %v; want %q or %q", echo[:k], err, line, busy)
		}
		return got
	}
	return got
}

// EndReasons lists every reason but the refusal's, each once, with its
// text.
func TestEndReasons(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range EndReasons() {
		s := r.String()
		if r == notEnded || r == endBusy || s == "" || seen[s] {
			t.Errorf("EndReasons has %d (%q)", r, s)
		}
		seen[s] = true
	}
	if len(seen) != len(endReasonText)-2 {
		t.Errorf("EndReasons has %d reasons, want %d", len(seen), len(endReasonText)-2)
	}
}
