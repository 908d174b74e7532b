package records

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/privacy"
)

// Record types.
const (
	TypePayment     = "payment"
	TypeCreditEvent = "credit_event"
)

// Subject names a person or organization by a raw ID of a kind.
type Subject struct {
	Kind string `json:"kind"` // cn-rid, cn-uscc, passport
	ID   string `json:"id"`
}

// Record is one submitted record. Which fields apply depends on Type.
type Record struct {
	Type string `json:"type"`

	// Payments.
	OrderID   string   `json:"order_id,omitempty"`
	Payer     *Subject `json:"payer,omitempty"`
	Category  string   `json:"category,omitempty"` // pension, medical, unemployment, work_injury, maternity, tax, housing_fund
	Period    string   `json:"period,omitempty"`   // YYYY-MM
	PaidAt    string   `json:"paid_at,omitempty"`  // RFC 3339
	Channel   string   `json:"channel,omitempty"`
	Region    string   `json:"region,omitempty"`
	Item      string   `json:"item,omitempty"`
	ReceiptNo string   `json:"receipt_no,omitempty"`

	// Credit events.
	EventID          string   `json:"event_id,omitempty"`
	Subject          *Subject `json:"subject,omitempty"`
	AccountID        string   `json:"account_id,omitempty"`
	Kind             string   `json:"kind,omitempty"` // opened, repaid, overdue, defaulted, closed
	OutstandingMinor uint64   `json:"outstanding_minor,omitempty"`
	OccurredAt       string   `json:"occurred_at,omitempty"` // RFC 3339
	DaysOverdue      uint32   `json:"days_overdue,omitempty"`
	ExpiresAt        string   `json:"expires_at,omitempty"` // RFC 3339; negative events

	// Both.
	AmountMinor uint64 `json:"amount_minor"` // minor units (fen for CNY)
	Currency    string `json:"currency"`     // ISO 4217
}

// Context is what converting a record needs from the submitting peer.
type Context struct {
	NetworkID string
	Issuer    chain.IssuerID
	Secret    []byte // the members' subject secret
	// Now is the clock that paid_at and occurred_at may lie at most
	// MaxAhead after; zero skips that rule (a caller re-deriving the entry
	// of a record already judged).
	Now time.Time
}

// ErrInvalid is wrapped by every conversion error; the message names the
// field and never quotes a subject's ID.
var ErrInvalid = errors.New("invalid record")

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, args...))
}

// Entry converts the record into the chain entry it becomes.
func (r *Record) Entry(c Context) (*chainpb.Entry, error) {
	if err := r.Check(c.Now); err != nil {
		return nil, err
	}
	switch r.Type {
	case TypePayment:
		return r.payment(c)
	case TypeCreditEvent:
		return r.creditEvent(c)
	case "":
		return nil, invalid("type", "required (payment or credit_event)")
	default:
		return nil, invalid("type", "%q is not a record type; allowed: payment, credit_event", r.Type)
	}
}

func (r *Record) payment(c Context) (*chainpb.Entry, error) {
	ref, err := subjectRef("payer", r.Payer, c.Secret)
	if err != nil {
		return nil, err
	}
	cat, ok := chainpb.PaymentCategory_value["PAYMENT_CATEGORY_"+strings.ToUpper(r.Category)]
	if !ok || cat == 0 {
		return nil, invalid("category", "%q is not one of pension, medical, unemployment, work_injury, maternity, tax, housing_fund", r.Category)
	}
	paid, offset, err := parseTimeOffset("paid_at", r.PaidAt)
	if err != nil {
		return nil, err
	}
	rec := &chainpb.PaymentRecord{
		OrderId: r.OrderID, PayerRef: ref, Category: chainpb.PaymentCategory(cat),
		AmountMinor: r.AmountMinor, Currency: r.Currency, Period: r.Period, PaidAtMs: paid, PaidAtOffsetMin: offset,
		Channel: r.Channel, Region: r.Region, Item: r.Item, ReceiptNo: r.ReceiptNo,
	}
	e, err := chain.SealPayment(c.NetworkID, c.Issuer, rec)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return e, nil
}

func (r *Record) creditEvent(c Context) (*chainpb.Entry, error) {
	ref, err := subjectRef("subject", r.Subject, c.Secret)
	if err != nil {
		return nil, err
	}
	kind, ok := chainpb.CreditEventKind_value["CREDIT_EVENT_KIND_"+strings.ToUpper(r.Kind)]
	if !ok || kind == 0 {
		return nil, invalid("kind", "%q is not one of opened, repaid, overdue, defaulted, closed", r.Kind)
	}
	at, err := parseTime("occurred_at", r.OccurredAt)
	if err != nil {
		return nil, err
	}
	var exp int64
	if r.ExpiresAt != "" {
		if exp, err = parseTime("expires_at", r.ExpiresAt); err != nil {
			return nil, err
		}
	}
	ev := &chainpb.CreditEvent{
		EventId: r.EventID, SubjectRef: ref, AccountId: r.AccountID, Kind: chainpb.CreditEventKind(kind),
		AmountMinor: r.AmountMinor, OutstandingMinor: r.OutstandingMinor, Currency: r.Currency,
		OccurredAtMs: at, DaysOverdue: r.DaysOverdue, ExpiresAtMs: exp,
	}
	if err := chain.ValidateCreditEvent(ev); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return &chainpb.Entry{Body: &chainpb.Entry_CreditEvent{CreditEvent: ev}}, nil
}

// SubjectRef normalizes a subject's ID and derives its reference.
func SubjectRef(s Subject, secret []byte) ([]byte, error) {
	return subjectRef("subject", &s, secret)
}

func subjectRef(field string, s *Subject, secret []byte) ([]byte, error) {
	if s == nil || s.ID == "" {
		return nil, invalid(field, "required: {kind, id}")
	}
	kind := privacy.Kind(s.Kind)
	if kind == "" {
		kind = privacy.KindResidentID
	}
	id, err := privacy.ParseID(kind, s.ID)
	if err != nil {
		return nil, invalid(field, "%v", err)
	}
	ref, err := id.Ref(secret)
	if err != nil {
		return nil, invalid(field, "%v", err)
	}
	return ref[:], nil
}

func parseTime(field, s string) (int64, error) {
	ms, _, err := parseTimeOffset(field, s)
	return ms, err
}

// parseTimeOffset is parseTime that also returns the offset s was written
// in, in minutes east of UTC, which a payment record keeps so that it is
// shown as it was submitted.
func parseTimeOffset(field, s string) (int64, int32, error) {
	if s == "" {
		return 0, 0, invalid(field, "required (RFC 3339, e.g. 2026-11-02T09:30:00+08:00)")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, 0, invalid(field, "%q is not an RFC 3339 time", s)
	}
	_, off := t.Zone()
	if off%60 != 0 || off/60 < -chain.MaxOffsetMin || off/60 > chain.MaxOffsetMin {
		return 0, 0, invalid(field, "%q has a UTC offset outside ±18:00", s)
	}
	return t.UnixMilli(), int32(off / 60), nil
}
