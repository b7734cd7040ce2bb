package h2o_test

import (
	"context"
	"fmt"

	"github.com/chansync/chansync/csp"
	"github.com/chansync/chansync/csp/async"
	"github.com/chansync/chansync/h2o"
)

// Two molecules from six atoms, bonded through a Log and checked.
func ExampleWater() {
	factory := h2o.NewWater()
	log := h2o.NewLog()
	g := csp.NewGroup()
	for i := 1; i <= 4; i++ {
		a := h2o.Atom{Element: h2o.H, ID: i}
		g.Go(func() error { return factory.Hydrogen(context.Background(), log.Record(a, nil)) })
	}
	for i := 1; i <= 2; i++ {
		a := h2o.Atom{Element: h2o.O, ID: i}
		g.Go(func() error { return factory.Oxygen(context.Background(), log.Record(a, nil)) })
	}
	if err := g.Wait(); err != nil {
		fmt.Println(err)
	}
	fmt.Println(len(log.Bonds()), "bonds, check:", h2o.Check(log.Bonds()))
	// Output: 6 bonds, check: <nil>
}

// The same molecules from atoms spawned as tasks, joined as the tutorial's
// join_all does.
func ExampleTaskWater() {
	e := async.NewExecutor(async.Config{})
	defer e.Close()
	factory := h2o.NewTaskWater(e)
	log := h2o.NewLog()
	var atoms []async.JoinHandle[struct{}]
	for _, a := range []h2o.Atom{{h2o.H, 1}, {h2o.H, 2}, {h2o.O, 1}, {h2o.O, 2}, {h2o.H, 3}, {h2o.H, 4}} {
		atoms = append(atoms, factory.Spawn(a.Element, log.Record(a, nil)))
	}
	async.BlockOn[struct{}](context.Background(), &async.JoinAll[struct{}]{Handles: atoms})
	fmt.Println(len(log.Bonds()), "bonds, check:", h2o.Check(log.Bonds()))
	// Output: 6 bonds, check: <nil>
}

// Check works on any log of bonds, such as one taken from a factory of your
// own with nanosecond timestamps.
func ExampleCheck() {
	h := func(id int) h2o.Atom { return h2o.Atom{Element: h2o.H, ID: id} }
	o := func(id int) h2o.Atom { return h2o.Atom{Element: h2o.O, ID: id} }
	log := []h2o.Bond{
		{Atom: h(1), Start: 10, End: 20}, {Atom: o(1), Start: 11, End: 21}, {Atom: h(2), Start: 12, End: 22},
		{Atom: h(3), Start: 30, End: 40}, {Atom: h(4), Start: 31, End: 41}, {Atom: h(5), Start: 32, End: 42},
	}
	fmt.Println(h2o.Check(log))
	// Output: h2o: molecule 2 (h3 h4 h5) is H-H-H: want two hydrogens and one oxygen
}
