package h2o

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Element is the kind of an atom.
type Element byte

const (
	H Element = 'H'
	O Element = 'O'
)

// An Atom is one hydrogen or oxygen, numbered within its element.
type Atom struct {
	Element Element
	ID      int
}

// String returns "h3" or "o1", the tutorial's way of naming atoms.
func (a Atom) String() string {
	return fmt.Sprintf("%c%d", a.Element+('a'-'A'), a.ID)
}

// A Bond is one atom's call of bond, from when it began to when it ended,
// on any clock that orders events (a Log's counter, or nanoseconds).
type Bond struct {
	Atom       Atom
	Start, End int64
}

// A Violation is the first thing in a log of bonds that a water factory
// must never do.
type Violation struct {
	Molecule int    // 1-based number of the molecule at fault
	Bonds    []Bond // that molecule's bonds, in the order they began
	Reason   string
}

func (v *Violation) Error() string {
	names := make([]string, len(v.Bonds))
	for i, b := range v.Bonds {
		names[i] = b.Atom.String()
	}
	return fmt.Sprintf("h2o: molecule %d (%s) %s", v.Molecule, strings.Join(names, " "), v.Reason)
}

// Check reports the first violation in a log of bonds, or nil if every
// molecule is water and no molecule overlaps the one before it.
//
// Molecules are the bonds taken three at a time in the order they began.
// Molecule k is at fault, and Check returns a *Violation, if
//   - it is not exactly two hydrogens and one oxygen;
//   - one of its bonds began before every bond of molecule k-1 had ended;
//   - it has fewer than three bonds (the log ends mid-molecule).
//
// A log that is malformed in itself (a bond that ends before it begins, an
// atom that bonds twice) is reported as an error too. Check does not modify
// log.
func Check(log []Bond) error {
	seen := make(map[Atom]bool, len(log))
	for _, b := range log {
		if b.End < b.Start {
			return fmt.Errorf("h2o: bond of %s ends (%d) before it begins (%d)", b.Atom, b.End, b.Start)
		}
		if b.Atom.Element != H && b.Atom.Element != O {
			return fmt.Errorf("h2o: bond of an atom of unknown element %q", rune(b.Atom.Element))
		}
		if seen[b.Atom] {
			return fmt.Errorf("h2o: atom %s bonds twice", b.Atom)
		}
		seen[b.Atom] = true
	}
	bonds := slices.Clone(log)
	slices.SortStableFunc(bonds, func(a, b Bond) int {
		if a.Start != b.Start {
			return cmp.Compare(a.Start, b.Start)
		}
		return cmp.Compare(a.End, b.End)
	})
	var prev []Bond
	for i := 0; i < len(bonds); i += 3 {
		mol := bonds[i:min(i+3, len(bonds))]
		v := &Violation{Molecule: i/3 + 1, Bonds: mol}
		if len(mol) < 3 {
			v.Reason = fmt.Sprintf("has only %d bond(s): the log ends mid-molecule", len(mol))
			return v
		}
		if formula, ok := water(mol); !ok {
			v.Reason = fmt.Sprintf("is %s: want two hydrogens and one oxygen", formula)
			return v
		}
		if prev != nil {
			last := slices.MaxFunc(prev, func(a, b Bond) int { return cmp.Compare(a.End, b.End) })
			if first := mol[0]; first.Start < last.End {
				v.Reason = fmt.Sprintf("overlaps molecule %d: bond %s began at %d, before bond %s ended at %d",
					v.Molecule-1, first.Atom, first.Start, last.Atom, last.End)
				return v
			}
		}
		prev = mol
	}
	return nil
}

// water returns the molecule's formula in bond order ("H-O-H") and whether
// it is two hydrogens and one oxygen.
func water(mol []Bond) (string, bool) {
	elems := make([]string, len(mol))
	hydrogens := 0
	for i, b := range mol {
		elems[i] = string(rune(b.Atom.Element))
		if b.Atom.Element == H {
			hydrogens++
		}
	}
	return strings.Join(elems, "-"), hydrogens == 2 && len(mol) == 3
}
