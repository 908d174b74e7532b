package records

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/privacy"
)

// MaxAhead is how far after the clock of the peer a paid_at or occurred_at
// may lie: a payment or an account event is recorded after it happened, and
// a day covers every time zone and clock skew. A later time is a typing
// mistake (2099 for 2029) that would stand on the chain for ever.
const MaxAhead = 24 * time.Hour

// keyChars says which characters order, event, account and receipt IDs
// take.
const keyChars = "letters, digits and the punctuation of printable ASCII (! to ~), no spaces"

// Check tests every field the user wrote, with messages that name the
// field, the value and the rule; Entry runs it first, and chain
// validation after it as the last guard. Subject IDs are checked by Entry
// only (their check digits). A paid_at or occurred_at more than MaxAhead
// after now is refused; a zero now skips that rule. Subject IDs and order
// IDs are never quoted: one is personal data, the other the capability
// that opens a payment.
func (r *Record) Check(now time.Time) error {
	switch r.Type {
	case TypePayment:
		if err := checkKey("order_id", r.OrderID, privacy.MinOrderIDLen, privacy.MaxOrderIDLen, false); err != nil {
			return err
		}
		if r.Category == "" {
			return invalid("category", "required: one of %s", categories)
		}
		if err := checkMoney(r.AmountMinor, r.Currency); err != nil {
			return err
		}
		if r.Period == "" {
			return invalid("period", "required: the month paid for, YYYY-MM (e.g. 2026-10)")
		}
		if t, err := time.Parse("2006-01", r.Period); err != nil || len(r.Period) != 7 || t.Year() < 1970 || t.Year() > 2199 {
			return invalid("period", "%q is not a month YYYY-MM between 1970-01 and 2199-12 (e.g. 2026-10)", r.Period)
		}
		if err := checkPast("paid_at", r.PaidAt, now); err != nil {
			return err
		}
		for _, f := range []struct {
			name, v string
			max     int
		}{{"channel", r.Channel, chain.MaxLabelLen}, {"region", r.Region, chain.MaxLabelLen}, {"item", r.Item, chain.MaxItemLen}} {
			if err := checkLabel(f.name, f.v, f.max); err != nil {
				return err
			}
		}
		return checkKey("receipt_no", r.ReceiptNo, 0, chain.MaxIDLen, true)
	case TypeCreditEvent:
		if err := checkKey("event_id", r.EventID, 1, chain.MaxIDLen, false); err != nil {
			return err
		}
		if err := checkKey("account_id", r.AccountID, 1, chain.MaxIDLen, false); err != nil {
			return err
		}
		if r.Kind == "" {
			return invalid("kind", "required: one of opened, repaid, overdue, defaulted, closed")
		}
		if err := checkMoney(r.AmountMinor, r.Currency); err != nil {
			return err
		}
		if r.OutstandingMinor > chain.MaxAmountMinor {
			return invalid("outstanding_minor", "%d is over the limit of %d", r.OutstandingMinor, uint64(chain.MaxAmountMinor))
		}
		if err := checkPast("occurred_at", r.OccurredAt, now); err != nil {
			return err
		}
		return r.checkNegative()
	}
	return nil
}

// checkNegative applies the rules of overdue and defaulted events: days
// overdue and an expiry at most five years after the event; other kinds
// carry neither.
func (r *Record) checkNegative() error {
	negative := r.Kind == "overdue" || r.Kind == "defaulted"
	if !negative {
		if r.DaysOverdue != 0 {
			return invalid("days_overdue", "%d on an %s event; only overdue and defaulted events carry days overdue", r.DaysOverdue, r.Kind)
		}
		if r.ExpiresAt != "" {
			return invalid("expires_at", "set on an %s event, which does not expire; only overdue and defaulted events do", r.Kind)
		}
		return nil
	}
	if r.DaysOverdue == 0 {
		return invalid("days_overdue", "required on an %s event: a whole number of days, 1 or more", r.Kind)
	}
	if r.DaysOverdue > 100*366 {
		return invalid("days_overdue", "%d days is not plausible", r.DaysOverdue)
	}
	if r.ExpiresAt == "" {
		return invalid("expires_at", "required on an %s event: when the record is dropped, at most five years after it occurred (e.g. 2031-10-01T00:00:00+08:00)", r.Kind)
	}
	exp, err := parseUserTime("expires_at", r.ExpiresAt)
	if err != nil {
		return err
	}
	at, _ := time.Parse(time.RFC3339, r.OccurredAt) // checkPast read it
	switch {
	case !exp.After(at):
		return invalid("expires_at", "%s is not after occurred_at %s", r.ExpiresAt, r.OccurredAt)
	case exp.Sub(at) > chain.NegativeRetention:
		return invalid("expires_at", "%s is more than five years after occurred_at %s", r.ExpiresAt, r.OccurredAt)
	}
	return nil
}

// says is invalid for a message that reads on from the field's name:
// "order_id contains a space at position 3".
func says(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s %s", ErrInvalid, field, fmt.Sprintf(format, args...))
}

const categories = "pension, medical, unemployment, work_injury, maternity, tax, housing_fund"

// checkKey checks an ID of printable ASCII without spaces; the value is
// not quoted (optional: empty is allowed).
func checkKey(field, s string, minLen, maxLen int, optional bool) error {
	if s == "" {
		if optional {
			return nil
		}
		return invalid(field, "required (%s)", keyChars)
	}
	pos := 0
	for _, c := range s {
		pos++
		switch {
		case c == ' ':
			return says(field, "contains a space at position %d; allowed: %s", pos, keyChars)
		case c == utf8.RuneError:
			return says(field, "is not valid UTF-8 at position %d; allowed: %s", pos, keyChars)
		case c < 0x20 || c == 0x7f:
			return says(field, "contains the control character U+%04X at position %d; allowed: %s", c, pos, keyChars)
		case c > 0x7e:
			return says(field, "contains %q at position %d; allowed: %s", c, pos, keyChars)
		}
	}
	if len(s) < minLen || len(s) > maxLen {
		return says(field, "is %d characters long; allowed: %d to %d", len(s), minLen, maxLen)
	}
	return nil
}

func checkMoney(amount uint64, currency string) error {
	if amount > chain.MaxAmountMinor {
		return invalid("amount_minor", "%d is over the limit of %d minor units", amount, uint64(chain.MaxAmountMinor))
	}
	if currency == "" {
		return invalid("currency", "required: an ISO 4217 code such as CNY")
	}
	if err := chain.CheckCurrency(currency); err != nil {
		return invalid("currency", "%v (e.g. CNY)", err)
	}
	return nil
}

func checkLabel(field, s string, max int) error {
	if len(s) > max {
		return says(field, "is %d bytes long; allowed: at most %d bytes of UTF-8", len(s), max)
	}
	if !utf8.ValidString(s) {
		return says(field, "is not valid UTF-8")
	}
	pos := 0
	for _, c := range s {
		pos++
		if c < 0x20 || (c >= 0x7f && c <= 0x9f) {
			return says(field, "contains the control character U+%04X at position %d; a label is one line of text", c, pos)
		}
	}
	return nil
}

// checkPast reads an RFC 3339 time that must not lie more than MaxAhead
// after now.
func checkPast(field, s string, now time.Time) error {
	t, err := parseUserTime(field, s)
	if err != nil {
		return err
	}
	if !now.IsZero() && t.After(now.Add(MaxAhead)) {
		return invalid(field, "%s is in the future (more than a day after the clock, %s); a record is submitted after the fact", s, now.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return nil
}

func parseUserTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, invalid(field, "required: an RFC 3339 time such as 2026-11-02T09:30:00+08:00")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		hint := ""
		if !strings.ContainsAny(s, "T") {
			hint = " (date and time are joined by T)"
		} else if len(s) > 10 && !strings.ContainsAny(s[10:], "Z+-") {
			hint = " (the offset is missing: add Z for UTC or +08:00)"
		}
		return time.Time{}, invalid(field, "%q is not an RFC 3339 time such as 2026-11-02T09:30:00+08:00%s", s, hint)
	}
	if t.Year() < 1970 || t.Year() >= 2200 {
		return time.Time{}, invalid(field, "%s is outside 1970 to 2199", s)
	}
	return t, nil
}
