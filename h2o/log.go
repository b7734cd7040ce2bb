package h2o

// A Log records bonds with a logical clock, for Check. It is safe for use by
// any number of goroutines: its clock and its records live in a one-slot
// channel that serves as its lock, so the clock's order agrees with the
// order in which bonds really began and ended.
type Log struct {
	state chan logState
}

type logState struct {
	clock int64
	bonds []Bond
}

// NewLog returns an empty log.
func NewLog() *Log {
	l := &Log{state: make(chan logState, 1)}
	l.state <- logState{}
	return l
}

// Record returns a bond function for atom that calls bond (if not nil) and
// logs when it began and ended.
func (l *Log) Record(atom Atom, bond func()) func() {
	return func() {
		start := l.tick()
		if bond != nil {
			bond()
		}
		s := <-l.state
		s.clock++
		s.bonds = append(s.bonds, Bond{Atom: atom, Start: start, End: s.clock})
		l.state <- s
	}
}

func (l *Log) tick() int64 {
	s := <-l.state
	s.clock++
	t := s.clock
	l.state <- s
	return t
}

// Bonds returns a copy of the bonds recorded so far, in the order they
// ended.
func (l *Log) Bonds() []Bond {
	s := <-l.state
	out := append([]Bond(nil), s.bonds...)
	l.state <- s
	return out
}
