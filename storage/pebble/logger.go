package pebble

import (
	"context"
	"fmt"
	"log/slog"
)

// logger routes Pebble's printf-style logging to slog. Pebble's Infof lines
// (flushes, compactions, WAL recycling) are routine, so they go to Debug.
type logger struct{ l *slog.Logger }

func (p logger) Infof(format string, args ...any) {
	if p.l.Enabled(context.Background(), slog.LevelDebug) {
		p.l.Debug(fmt.Sprintf(format, args...))
	}
}

func (p logger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...))
}

// Fatalf must not return: Pebble calls it when continuing would corrupt the
// database (a failed commit, detected corruption), as log.Fatalf would.
func (p logger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error(msg, "fatal", true)
	panic("pebble: " + msg)
}
