package echo

import "time"

// What the server logs of a connection: its admission, its end or its
// refusal (ends.go says when).

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
