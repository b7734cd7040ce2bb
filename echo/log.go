package echo

import "time"

// endRecord is what the server records of a connection that is over.
type endRecord struct {
	id           uint64
	remote       string
	lines, bytes int64
	start        int64 // on the server's clock
	thread       int   // the OS thread's id in ModeThread, else 0
	why          endReason
	err          error // what failed, for the error reasons
}

// connEnded accounts for a connection that is over and closed, in every
// mode: it gives back the connection's permit (a refused one, which ends
// with endBusy, never had one), logs its end and reports it to the serve
// loop.
func (s *Server) connEnded(r endRecord) {
	if r.why == endBusy {
		s.logRefused(r.id, r.remote)
	} else {
		s.limit.Release()
		s.logEnded(r)
	}
	s.ends.add(ended{r.id, r.why})
}

// logAccepted writes the record of a connection admitted under the limit.
func (s *Server) logAccepted(id uint64, remote string) {
	s.cfg.Logger.Info("Accepted connection", "conn", id, "remote", remote)
}

// logEnded writes a connection's "Connection ended" record.
func (s *Server) logEnded(r endRecord) {
	duration := time.Duration(s.policy.now() - r.start).Round(time.Microsecond)
	attrs := []any{"conn", r.id, "remote", r.remote, "lines", r.lines, "bytes", r.bytes,
		"duration", duration, "reason", r.why.text(r.err)}
	if r.thread != 0 {
		attrs = append(attrs, "thread", r.thread)
	}
	s.cfg.Logger.Info("Connection ended", attrs...)
}

// logRefused writes the record of a client refused over the limit.
func (s *Server) logRefused(id uint64, remote string) {
	s.cfg.Logger.Warn("Connection refused", "conn", id, "remote", remote, "reason", endBusy.String())
}
