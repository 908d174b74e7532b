package chain

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Field bounds shared by the entry kinds.
const (
	MaxIDLen     = 128 // event, query, correction, account and consent IDs
	MaxLabelLen  = 32  // channel, region
	MaxItemLen   = 96  // a payment's levy item, in bytes of UTF-8
	MaxReasonLen = 512
	RefSize      = 32 // subject references, lookup hashes, issuer keys
	// MaxAmountMinor bounds an amount in minor units (10^15: ten trillion
	// yuan in fen), far above any real payment and far below overflow when
	// summed.
	MaxAmountMinor = 1_000_000_000_000_000
	// NegativeRetention is the longest a negative credit event may stay on
	// the chain before it must be dropped: five years.
	NegativeRetention = 5 * 366 * 24 * time.Hour
)

// earliestTime and latestTime bound every timestamp in an entry.
var (
	earliestTime = time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC).UnixMilli()
	latestTime   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
)

func checkID(s string, required bool) error {
	if len(s) == 0 {
		if required {
			return fmt.Errorf("required")
		}
		return nil
	}
	if len(s) > MaxIDLen {
		return fmt.Errorf("%d bytes, limit %d", len(s), MaxIDLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("character %d is not printable ASCII", i+1)
		}
	}
	return nil
}

// checkText accepts at most max bytes of UTF-8 without control
// characters: no code point of Unicode's general category Cc, which is
// U+0000 to U+001F (C0), U+007F (DEL) and U+0080 to U+009F (C1). Every
// other code point is accepted, format characters (Cf) and line or
// paragraph separators included.
func checkText(s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("%d bytes, limit %d", len(s), max)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("not valid UTF-8")
	}
	for i, r := range s {
		if isControl(r) {
			return fmt.Errorf("contains the control character U+%04X at byte %d", r, i+1)
		}
	}
	return nil
}

// isControl reports whether r is of general category Cc.
func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) }

func checkRef(b []byte) error {
	if len(b) != RefSize {
		return fmt.Errorf("%d bytes, want %d", len(b), RefSize)
	}
	return nil
}

func checkAmount(v uint64) error {
	if v > MaxAmountMinor {
		return fmt.Errorf("%d exceeds the limit %d", v, uint64(MaxAmountMinor))
	}
	return nil
}

func checkCurrency(code string) error { return CheckCurrency(code) }

func checkTime(ms int64) error {
	if ms < earliestTime || ms >= latestTime {
		return fmt.Errorf("%d is not a Unix millisecond time between 1970-01-02 and 2200", ms)
	}
	return nil
}

// MaxOffsetMin bounds a recorded UTC offset: 18 hours either way, as
// time zones stay well within it.
const MaxOffsetMin = 18 * 60

// checkOffset accepts a UTC offset in minutes within ±MaxOffsetMin.
func checkOffset(min int32) error {
	if min < -MaxOffsetMin || min > MaxOffsetMin {
		return fmt.Errorf("%d minutes is not a UTC offset (at most %d either way)", min, MaxOffsetMin)
	}
	return nil
}

// checkPeriod accepts YYYY-MM between 1970-01 and 2199-12.
func checkPeriod(p string) error {
	t, err := time.Parse("2006-01", p)
	if err != nil || len(p) != 7 {
		return fmt.Errorf("%q is not YYYY-MM", p)
	}
	if t.Year() < 1970 || t.Year() > 2199 {
		return fmt.Errorf("%q is outside 1970-01..2199-12", p)
	}
	return nil
}
