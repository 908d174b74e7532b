package simnet

import (
	"context"
	"log/slog"
	"sync"
)

// runningMsg is what node.Run logs once its loop is about to start.
const runningMsg = "peer running"

// peerHandler passes records to an inner handler (if any) and tells when a
// node logged runningMsg: the sign that node.Run got past its start.
type peerHandler struct {
	inner   slog.Handler
	running *signal
}

// signal is a channel closed once.
type signal struct {
	once sync.Once
	ch   chan struct{}
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }

func (s *signal) fire() { s.once.Do(func() { close(s.ch) }) }

func (h *peerHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || (h.inner != nil && h.inner.Enabled(ctx, l))
}

func (h *peerHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == runningMsg {
		h.running.fire()
	}
	if h.inner != nil && h.inner.Enabled(ctx, r.Level) {
		return h.inner.Handle(ctx, r)
	}
	return nil
}

func (h *peerHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	if h.inner != nil {
		c.inner = h.inner.WithAttrs(as)
	}
	return &c
}

func (h *peerHandler) WithGroup(name string) slog.Handler {
	c := *h
	if h.inner != nil {
		c.inner = h.inner.WithGroup(name)
	}
	return &c
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
