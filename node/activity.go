package node

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/credmesh/credmesh/chain"
)

// activity turns what the peer does — blocks sealed and stored, members
// connecting and leaving — into info-level log lines, at most a few per
// window whatever the rate: the first event after a quiet window is logged
// at once, later ones are counted and summed up in one line when the
// window's tick comes (flush). It keeps no goroutine and reads no clock:
// the caller passes the time and logs the lines it returns (watchActivity).
// Not safe for concurrent use; watchActivity's loop owns it.
type activity struct {
	every time.Duration // the window

	sealed, stored struct {
		last    time.Time                   // when a line was last logged
		n       int                         // blocks counted since
		viaSync int                         // of which stored through sync
		ents    int                         // their entries (sealed)
		spans   map[chain.IssuerID]*heights // per chain
	}
	peers map[string]*peerLine // by peer ID
}

type heights struct{ from, to uint64 }

type peerLine struct {
	last       time.Time
	connected  bool // the state now
	suppressed int  // changes not logged since last
}

// logLine is one line for the log.
type logLine struct {
	level slog.Level
	msg   string
	attrs []any
}

func newActivity(every time.Duration) *activity {
	a := &activity{every: every, peers: make(map[string]*peerLine)}
	a.sealed.spans = make(map[chain.IssuerID]*heights)
	a.stored.spans = make(map[chain.IssuerID]*heights)
	return a
}

// blockSealed counts a block of our own chain, sealed and persisted.
func (a *activity) blockSealed(now time.Time, iss chain.IssuerID, height uint64, entries int) []logLine {
	if a.sealed.n == 0 && now.Sub(a.sealed.last) >= a.every {
		a.sealed.last = now
		return []logLine{{slog.LevelInfo, "sealed block", []any{"height", height, "entries", entries}}}
	}
	a.sealed.n++
	a.sealed.ents += entries
	span(a.sealed.spans, iss, height)
	return nil
}

// blockStored counts a block of another member, stored.
func (a *activity) blockStored(now time.Time, iss chain.IssuerID, name string, height uint64, viaSync bool) []logLine {
	if a.stored.n == 0 && now.Sub(a.stored.last) >= a.every {
		a.stored.last = now
		return []logLine{{slog.LevelInfo, "stored block", []any{"chain", name, "height", height, "via_sync", viaSync}}}
	}
	a.stored.n++
	if viaSync {
		a.stored.viaSync++
	}
	span(a.stored.spans, iss, height)
	return nil
}

func span(m map[chain.IssuerID]*heights, iss chain.IssuerID, h uint64) {
	s := m[iss]
	if s == nil {
		m[iss] = &heights{h, h}
		return
	}
	s.from, s.to = min(s.from, h), max(s.to, h)
}

// memberChanged records a member connecting (or, with connected false,
// leaving); the first change of a member in a window is logged at once.
func (a *activity) memberChanged(now time.Time, id, name string, connected bool) []logLine {
	p := a.peers[id]
	if p == nil {
		p = &peerLine{}
		a.peers[id] = p
	}
	if p.connected == connected && p.suppressed == 0 && !p.last.IsZero() {
		return nil // no change
	}
	p.connected = connected
	if p.suppressed == 0 && now.Sub(p.last) >= a.every {
		p.last = now
		return []logLine{memberLine(id, name, connected, 0)}
	}
	p.suppressed++
	return nil
}

func memberLine(id, name string, connected bool, changes int) logLine {
	msg := "member disconnected"
	if connected {
		msg = "member connected"
	}
	attrs := []any{"name", name, "peer", id}
	if changes > 0 {
		attrs = append(attrs, "changes_in_window", changes)
	}
	return logLine{slog.LevelInfo, msg, attrs}
}

// flush sums up what was counted and not logged; names maps issuers to
// member names and peer IDs to names.
func (a *activity) flush(now time.Time, chainName func(chain.IssuerID) string, peerName func(string) string) []logLine {
	var out []logLine
	if a.sealed.n > 0 {
		s := a.sealed.spans
		var hs string
		for _, v := range s {
			hs = spanString(v)
		}
		out = append(out, logLine{slog.LevelInfo, "sealed blocks", []any{"count", a.sealed.n, "heights", hs, "entries", a.sealed.ents, "window", a.every}})
		a.sealed.n, a.sealed.ents, a.sealed.last = 0, 0, now
		clear(a.sealed.spans)
	}
	if a.stored.n > 0 {
		var chains []string
		for iss, v := range a.stored.spans {
			chains = append(chains, chainName(iss)+" "+spanString(v))
		}
		slices.Sort(chains)
		out = append(out, logLine{slog.LevelInfo, "stored blocks", []any{"count", a.stored.n, "via_sync", a.stored.viaSync, "chains", strings.Join(chains, ", "), "window", a.every}})
		a.stored.n, a.stored.viaSync, a.stored.last = 0, 0, now
		clear(a.stored.spans)
	}
	var ids []string
	for id, p := range a.peers {
		if p.suppressed > 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		p := a.peers[id]
		out = append(out, memberLine(id, peerName(id), p.connected, p.suppressed))
		p.suppressed, p.last = 0, now
	}
	return out
}

func spanString(h *heights) string {
	if h.from == h.to {
		return fmt.Sprint(h.from)
	}
	return fmt.Sprintf("%d-%d", h.from, h.to)
}

// loneliness warns when no member has been connected for a while: such a
// peer replicates nothing and its blocks reach nobody.
type loneliness struct {
	after  time.Duration // warn once alone this long
	repeat time.Duration // and again this often
	since  time.Time     // alone since (zero: not alone)
	warned time.Time     // last warning (zero: none since alone)
}

// check is called with the number of members connected now.
func (l *loneliness) check(now time.Time, connected, others int) []logLine {
	if others == 0 {
		return nil // nobody to connect to
	}
	if connected > 0 {
		var out []logLine
		if !l.warned.IsZero() {
			out = append(out, logLine{slog.LevelInfo, "no longer alone: a member is connected", []any{"members_connected", connected, "alone_for", now.Sub(l.since).Round(time.Second)}})
		}
		l.since, l.warned = time.Time{}, time.Time{}
		return out
	}
	if l.since.IsZero() {
		l.since = now
	}
	alone := now.Sub(l.since)
	if alone < l.after || (!l.warned.IsZero() && now.Sub(l.warned) < l.repeat) {
		return nil
	}
	l.warned = now
	return []logLine{{slog.LevelWarn, "alone: no member connected; this peer receives no blocks and its own reach nobody. " +
		"Check that the other members run and that their addresses in genesis.json (or p2p.bootstrap) are reachable from here",
		[]any{"alone_for", alone.Round(time.Second), "members", others}}}
}
