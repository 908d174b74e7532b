package chain

import (
	"time"

	"github.com/credmesh/credmesh/chain/chainpb"
)

// IsNegative reports whether the event kind is negative credit information,
// which carries an expiry and is pruned after it.
func IsNegative(k chainpb.CreditEventKind) bool {
	return k == chainpb.CreditEventKind_CREDIT_EVENT_KIND_OVERDUE ||
		k == chainpb.CreditEventKind_CREDIT_EVENT_KIND_DEFAULTED
}

// ValidateCreditEvent checks every field of a credit event. Negative events
// (overdue, defaulted) need days overdue and an expiry after the event and
// at most NegativeRetention after it; the others carry neither.
func ValidateCreditEvent(c *chainpb.CreditEvent) error {
	const m = "CreditEvent"
	if err := checkID(c.EventId, true); err != nil {
		return fieldError(m, "event_id", "%v", err)
	}
	if err := checkRef(c.SubjectRef); err != nil {
		return fieldError(m, "subject_ref", "%v", err)
	}
	if err := checkID(c.AccountId, true); err != nil {
		return fieldError(m, "account_id", "%v", err)
	}
	if _, ok := chainpb.CreditEventKind_name[int32(c.Kind)]; !ok || c.Kind == chainpb.CreditEventKind_CREDIT_EVENT_KIND_UNSPECIFIED {
		return fieldError(m, "kind", "%d is not a known kind", c.Kind)
	}
	if err := checkAmount(c.AmountMinor); err != nil {
		return fieldError(m, "amount_minor", "%v", err)
	}
	if err := checkAmount(c.OutstandingMinor); err != nil {
		return fieldError(m, "outstanding_minor", "%v", err)
	}
	if err := checkCurrency(c.Currency); err != nil {
		return fieldError(m, "currency", "%v", err)
	}
	if err := checkTime(c.OccurredAtMs); err != nil {
		return fieldError(m, "occurred_at_ms", "%v", err)
	}
	if !IsNegative(c.Kind) {
		if c.DaysOverdue != 0 {
			return fieldError(m, "days_overdue", "set on a %s event", c.Kind)
		}
		if c.ExpiresAtMs != 0 {
			return fieldError(m, "expires_at_ms", "set on a %s event, which does not expire", c.Kind)
		}
		return nil
	}
	if c.DaysOverdue == 0 {
		return fieldError(m, "days_overdue", "required on a %s event", c.Kind)
	}
	if c.DaysOverdue > 100*366 {
		return fieldError(m, "days_overdue", "%d is not plausible", c.DaysOverdue)
	}
	if c.ExpiresAtMs <= c.OccurredAtMs {
		return fieldError(m, "expires_at_ms", "a %s event needs an expiry after it occurred", c.Kind)
	}
	if c.ExpiresAtMs-c.OccurredAtMs > NegativeRetention.Milliseconds() {
		return fieldError(m, "expires_at_ms", "more than five years after the event")
	}
	return nil
}

// ExpiresAt returns when an entry holding a negative credit event (itself,
// or a correction that replaces with one) must be dropped, and whether it
// expires at all.
func ExpiresAt(e *chainpb.Entry) (time.Time, bool) {
	c := e.GetCreditEvent()
	if r := e.GetCorrection().GetReplacement(); r != nil {
		c = r.GetCreditEvent()
	}
	if c == nil || !IsNegative(c.Kind) {
		return time.Time{}, false
	}
	return time.UnixMilli(c.ExpiresAtMs), true
}
