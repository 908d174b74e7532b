package node

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
)

// describeEntry shows an entry without anything sealed: payments by lookup
// hash and size, others by their public fields (subjects by reference).
func describeEntry(data []byte) api.EntryView {
	if data == nil {
		return api.EntryView{Kind: "pruned"}
	}
	e, err := chain.DecodeEntry(data, len(data))
	if err != nil {
		return api.EntryView{Kind: "invalid", Bytes: len(data)}
	}
	v := api.EntryView{Key: hex.EncodeToString(chain.EntryKey(e)), Bytes: len(data)}
	switch {
	case e.GetPayment() != nil:
		v.Kind = "payment"
		v.Summary = map[string]any{"lookup": hex.EncodeToString(e.GetPayment().Lookup), "sealed_bytes": len(e.GetPayment().Ciphertext)}
	case e.GetCreditEvent() != nil:
		c := e.GetCreditEvent()
		v.Kind = "credit_event"
		v.Summary = map[string]any{
			"event_id": c.EventId, "subject_ref": hex.EncodeToString(c.SubjectRef), "account_id": c.AccountId,
			"kind": creditKindName(c.Kind), "amount_minor": c.AmountMinor, "outstanding_minor": c.OutstandingMinor,
			"currency": c.Currency, "occurred_at": time.UnixMilli(c.OccurredAtMs).UTC(), "days_overdue": c.DaysOverdue,
		}
	case e.GetQueryReceipt() != nil:
		r := e.GetQueryReceipt()
		v.Kind = "query_receipt"
		q, err := chain.ReceiptQuery(r) // the entry decoded, so its query does
		if err != nil {
			break
		}
		hash := sha256.Sum256(r.Query)
		v.Summary = map[string]any{
			"query_id": q.QueryId, "querier": peerString(chain.IssuerID(q.Querier)), "subject_ref": hex.EncodeToString(q.SubjectRef),
			"purpose": PurposeName(q.Purpose), "queried_at": time.UnixMilli(q.TimeMs).UTC(), "query_hash": hex.EncodeToString(hash[:]),
			"records_returned": r.RecordsReturned, "fee_minor": r.FeeMinor, "fee_currency": r.FeeCurrency,
		}
	case e.GetDispute() != nil || e.GetConfirmation() != nil:
		v.Kind, v.Summary = describeDispute(e)
	case e.GetCorrection() != nil:
		c := e.GetCorrection()
		v.Kind = "correction"
		v.Summary = map[string]any{"correction_id": c.CorrectionId, "target_key": hex.EncodeToString(c.TargetKey), "action": correctionActionName(c.Action), "reason": c.Reason}
	}
	return v
}
