package main

import (
	"net/http"
	"time"

	"github.com/chansync/chansync/csp/async"
)

// taskPage is /debug/tasks, in reactor mode: the connections' tasks as
// their executor records them (async.Executor.Tasks), one line each, then
// what the lints find in them (async.Executor.Lints), as text. The
// executor keeps its records only when this page is served
// (echo.Config.Executor).
type taskPage struct {
	exec chan *async.Executor // always holds one value: the executor, nil until reactor mode made it
}

func newTaskPage() *taskPage {
	p := &taskPage{exec: make(chan *async.Executor, 1)}
	p.exec <- nil
	return p
}

// set is the server's echo.Config.Executor: it keeps the executor of the
// connections for the page.
func (p *taskPage) set(e *async.Executor) {
	<-p.exec
	p.exec <- e
}

func (p *taskPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e := <-p.exec
	p.exec <- e
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if e == nil {
		http.Error(w, "the server runs no executor yet", http.StatusServiceUnavailable)
		return
	}
	async.WriteTasks(w, e.Tasks(), e.Lints(async.LintConfig{}), time.Now())
}
