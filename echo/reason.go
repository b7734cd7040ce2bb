package echo

// An EndReason is why a connection ended, as its "Connection ended" record
// says it (the "reason" attribute; "Connection refused" records say
// endBusy) and as an Observer is told it. Both modes end connections for
// the same reasons, so that their logs read alike; tests and cmd/echo's
// users parse the text, which String returns. EndReasons lists them all.
type EndReason uint8

// endReason is the name the package's own code uses.
type endReason = EndReason

const (
	// notEnded: the connection goes on. The zero value.
	notEnded endReason = iota
	// endClientClosed: the client sent the end of its stream.
	endClientClosed
	// endIdleTimeout: no line began within Config.IdleTimeout.
	endIdleTimeout
	// endLineTimeout: a line did not finish within Config.LineTimeout.
	endLineTimeout
	// endWriteTimeout: a write did not finish within Config.WriteTimeout.
	endWriteTimeout
	// endTooLong: the client sent a line longer than Config.MaxLineBytes.
	endTooLong
	// endBusy: the client was over Config.MaxConns and was refused.
	endBusy
	// endShutdown: shutting down, with nothing begun and nothing arrived.
	endShutdown
	// endCut: Shutdown's deadline cut a line that had not finished
	// arriving.
	endCut
	// endClosedByServer: the server closed the connection under it
	// (Serve's context ended, Close, or accepting failed for good).
	endClosedByServer
	// endReadError, endWriteError, endRegisterError: a system call
	// failed; the record adds the error.
	endReadError
	endWriteError
	endRegisterError
	// endPanicked: a reactor-mode connection's Poll panicked.
	endPanicked
)

var endReasonText = [...]string{
	notEnded:          "not ended",
	endClientClosed:   "client closed",
	endIdleTimeout:    "idle timeout",
	endLineTimeout:    "line timeout",
	endWriteTimeout:   "write timeout",
	endTooLong:        "line too long",
	endBusy:           "server busy",
	endShutdown:       "shutdown",
	endCut:            "shutdown: line unfinished at the drain deadline",
	endClosedByServer: "closed by server",
	endReadError:      "read error",
	endWriteError:     "write error",
	endRegisterError:  "register error",
	endPanicked:       "internal error: the connection's task panicked",
}

// String is the reason as the log says it, without the error that caused
// it: "client closed", "idle timeout", ...
func (r EndReason) String() string { return endReasonText[r] }

// EndReasons returns every reason an admitted connection can end for, as
// Observer.Ended is told it, in a fixed order: for instance to set up a
// counter per reason before any ends. A client refused over the limit
// ends with "server busy", which is not among them: an Observer hears of
// it only as Observer.Refused.
func EndReasons() []EndReason {
	var out []EndReason
	for r := notEnded + 1; int(r) < len(endReasonText); r++ {
		if r != endBusy {
			out = append(out, r)
		}
	}
	return out
}

// text is the reason as the record says it: with the error that caused it,
// if any.
func (r endReason) text(err error) string {
	if err == nil {
		return r.String()
	}
	return r.String() + ": " + err.Error()
}

// onPurpose reports whether the server ends a connection for r by its own
// choice. It then makes sure that what it wrote reaches the client: it
// says why, if there is a line to say (lastLine), sends the end of the
// stream and lingers (see Server.linger). Any other end is a plain close:
// the client has gone, or a timeout has decided and closing is the point.
func (r endReason) onPurpose() bool {
	return r == endShutdown || r == endTooLong || r == endBusy
}

// The last lines the server says; they are never written to.
var (
	lineTooLong = []byte("ERR line too long\n")
	serverBusy  = []byte("ERR server busy\n")
)

// lastLine is what the server says before it ends a connection for r, or
// nil if it says nothing.
func (r endReason) lastLine() []byte {
	switch r {
	case endTooLong:
		return lineTooLong
	case endBusy:
		return serverBusy
	}
	return nil
}
