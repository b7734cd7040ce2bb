package h2o

import (
	"errors"
	"strings"
	"testing"
)

func h(id int) Atom { return Atom{H, id} }
func o(id int) Atom { return Atom{O, id} }

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		log  []Bond
		want string // substring of the error; "" for a clean log
	}{
		{"empty", nil, ""},
		{"two molecules", []Bond{
			{h(1), 1, 4}, {o(1), 2, 5}, {h(2), 3, 6},
			{h(3), 7, 9}, {h(4), 8, 11}, {o(2), 10, 12},
		}, ""},
		{"given out of order", []Bond{
			{h(4), 8, 11}, {h(1), 1, 4}, {o(2), 10, 12}, {o(1), 2, 5}, {h(3), 7, 9}, {h(2), 3, 6},
		}, ""},
		{"three hydrogens", []Bond{
			{h(1), 1, 4}, {h(2), 2, 5}, {h(3), 3, 6},
		}, "molecule 1 (h1 h2 h3) is H-H-H: want two hydrogens and one oxygen"},
		{"two oxygens in the second", []Bond{
			{h(1), 1, 2}, {h(2), 3, 4}, {o(1), 5, 6},
			{o(2), 7, 8}, {h(3), 9, 10}, {o(3), 11, 12},
		}, "molecule 2 (o2 h3 o3) is O-H-O"},
		{"overlap", []Bond{
			{h(1), 1, 4}, {o(1), 2, 9}, {h(2), 3, 6},
			{h(3), 7, 10}, {h(4), 8, 11}, {o(2), 12, 13},
		}, "molecule 2 (h3 h4 o2) overlaps molecule 1: bond h3 began at 7, before bond o1 ended at 9"},
		{"touching is not overlapping", []Bond{
			{h(1), 1, 4}, {o(1), 2, 5}, {h(2), 3, 6},
			{h(3), 6, 7}, {h(4), 6, 8}, {o(2), 6, 9},
		}, ""},
		{"incomplete", []Bond{
			{h(1), 1, 2}, {h(2), 3, 4}, {o(1), 5, 6}, {h(3), 7, 8},
		}, "molecule 2 (h3) has only 1 bond(s)"},
		{"composition is reported before overlap", []Bond{
			{h(1), 1, 10}, {o(1), 2, 5}, {h(2), 3, 6},
			{h(3), 7, 11}, {h(4), 8, 12}, {h(5), 9, 13},
		}, "molecule 2 (h3 h4 h5) is H-H-H"},
		{"ends before it begins", []Bond{{h(1), 5, 4}}, "bond of h1 ends (4) before it begins (5)"},
		{"bonds twice", []Bond{{h(1), 1, 2}, {h(1), 3, 4}}, "atom h1 bonds twice"},
		{"unknown element", []Bond{{Atom{'N', 1}, 1, 2}}, "unknown element 'N'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.log)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Check = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Check = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestCheckViolationFields(t *testing.T) {
	err := Check([]Bond{{h(1), 1, 2}, {h(2), 3, 4}, {o(1), 5, 6}, {h(3), 7, 8}, {h(4), 9, 10}, {h(5), 11, 12}})
	var v *Violation
	if !errors.As(err, &v) {
		t.Fatalf("Check = %v, want a *Violation", err)
	}
	if v.Molecule != 2 || len(v.Bonds) != 3 || v.Bonds[0].Atom != h(3) {
		t.Fatalf("violation %+v, want molecule 2 starting with h3", v)
	}
}

func TestCheckDoesNotModifyLog(t *testing.T) {
	log := []Bond{{o(1), 2, 5}, {h(1), 1, 4}, {h(2), 3, 6}}
	Check(log)
	if log[0].Atom != o(1) {
		t.Fatal("Check reordered its input")
	}
}

func TestAtomString(t *testing.T) {
	if got := h(3).String() + " " + o(12).String(); got != "h3 o12" {
		t.Fatalf("got %q, want \"h3 o12\"", got)
	}
}
