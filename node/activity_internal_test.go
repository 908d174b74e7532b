package node

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
)

func lines(ls []logLine) string {
	var b strings.Builder
	for _, l := range ls {
		fmt.Fprintf(&b, "%s %s %v\n", l.level, l.msg, l.attrs)
	}
	return b.String()
}

// A burst of blocks is one line at once and one summary at the tick, not
// a line per block.
func TestActivityAggregatesBlocks(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	a := newActivity(10 * time.Second)
	var tax, bank chain.IssuerID
	tax[0], bank[0] = 1, 2
	names := func(iss chain.IssuerID) string { return map[chain.IssuerID]string{tax: "Tax", bank: "Bank"}[iss] }
	var got []logLine
	for h := uint64(1); h <= 100; h++ {
		got = append(got, a.blockStored(t0.Add(time.Duration(h)*10*time.Millisecond), tax, "Tax", h, false)...)
		got = append(got, a.blockSealed(t0.Add(time.Duration(h)*10*time.Millisecond), bank, h, 5)...)
	}
	got = append(got, a.blockStored(t0.Add(2*time.Second), bank, "Bank", 7, true)...)
	if len(got) != 2 || got[0].msg != "stored block" || got[1].msg != "sealed block" {
		t.Fatalf("a burst logged\n%s", lines(got))
	}
	sum := a.flush(t0.Add(10*time.Second), names, func(string) string { return "" })
	text := lines(sum)
	if len(sum) != 2 || !strings.Contains(text, "sealed blocks [count 99 heights 2-100 entries 495") ||
		!strings.Contains(text, "stored blocks [count 100 via_sync 1 chains Bank 7, Tax 2-100") {
		t.Fatalf("summary:\n%s", text)
	}
	if again := a.flush(t0.Add(20*time.Second), names, nil); len(again) != 0 {
		t.Fatalf("an empty window logged\n%s", lines(again))
	}
	// After a quiet window, the next block is logged at once again.
	if l := a.blockSealed(t0.Add(31*time.Second), bank, 101, 1); len(l) != 1 {
		t.Fatalf("after a quiet window: %s", lines(l))
	}
}

// A flapping member is a line at its first change and one at the tick
// with its state and the changes counted.
func TestActivityMemberFlaps(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	a := newActivity(10 * time.Second)
	got := a.memberChanged(t0, "12D3KooWX", "Bank", true)
	if len(got) != 1 || got[0].msg != "member connected" {
		t.Fatalf("first connection: %s", lines(got))
	}
	if l := a.memberChanged(t0.Add(time.Second), "12D3KooWX", "Bank", true); len(l) != 0 {
		t.Fatalf("no change logged: %s", lines(l))
	}
	for i := range 9 {
		if l := a.memberChanged(t0.Add(time.Duration(i+2)*time.Second), "12D3KooWX", "Bank", i%2 == 1); len(l) != 0 {
			t.Fatalf("flap %d logged: %s", i, lines(l))
		}
	}
	sum := a.flush(t0.Add(11*time.Second), nil, func(string) string { return "Bank" })
	if len(sum) != 1 || sum[0].msg != "member disconnected" || !strings.Contains(lines(sum), "changes_in_window 9") {
		t.Fatalf("summary: %s", lines(sum))
	}
}

func TestLonelinessWarnsAndRepeats(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	l := &loneliness{after: time.Minute, repeat: 10 * time.Minute}
	var warns []time.Duration
	for s := 0; s <= 25*60; s += 5 {
		for _, line := range l.check(t0.Add(time.Duration(s)*time.Second), 0, 3) {
			if line.level != slog.LevelWarn {
				t.Fatalf("%s", lines([]logLine{line}))
			}
			warns = append(warns, time.Duration(s)*time.Second)
		}
	}
	if fmt.Sprint(warns) != "[1m0s 11m0s 21m0s]" {
		t.Fatalf("warnings at %v", warns)
	}
	back := l.check(t0.Add(26*time.Minute), 1, 3)
	if len(back) != 1 || !strings.Contains(back[0].msg, "no longer alone") {
		t.Fatalf("reconnected: %s", lines(back))
	}
	if w := l.check(t0.Add(26*time.Minute+30*time.Second), 0, 3); len(w) != 0 {
		t.Fatalf("warned at once after leaving again: %s", lines(w))
	}
	if w := (&loneliness{after: time.Minute}).check(t0.Add(time.Hour), 0, 0); len(w) != 0 {
		t.Fatalf("a network of one warned: %s", lines(w))
	}
}
