package chain

import (
	"bytes"

	"github.com/credmesh/credmesh/chain/chainpb"
)

func validateCorrection(c *chainpb.Correction) error {
	const m = "Correction"
	if err := checkID(c.CorrectionId, true); err != nil {
		return fieldError(m, "correction_id", "%v", err)
	}
	if err := checkEntryKey(c.TargetKey); err != nil {
		return fieldError(m, "target_key", "%v", err)
	}
	if err := checkText(c.Reason, MaxReasonLen); err != nil || c.Reason == "" {
		if err == nil {
			return fieldError(m, "reason", "required")
		}
		return fieldError(m, "reason", "%v", err)
	}
	switch c.Action {
	case chainpb.CorrectionAction_CORRECTION_ACTION_WITHDRAW:
		if c.Replacement != nil {
			return fieldError(m, "replacement", "set on a withdrawal")
		}
	case chainpb.CorrectionAction_CORRECTION_ACTION_REPLACE:
		if c.Replacement == nil {
			return fieldError(m, "replacement", "required to replace")
		}
		if _, nested := c.Replacement.Body.(*chainpb.Entry_Correction); nested {
			return fieldError(m, "replacement", "a correction cannot replace with a correction")
		}
		if err := ValidateEntry(c.Replacement); err != nil {
			return err
		}
		if !bytes.Equal(EntryKey(c.Replacement), c.TargetKey) {
			return fieldError(m, "replacement", "its key differs from target_key")
		}
	default:
		return fieldError(m, "action", "%d is not a known action", c.Action)
	}
	return nil
}

// checkEntryKey checks the shape of a key that a correction may target:
// payments and credit events. Corrections are final, and so are receipts:
// a receipt is the querier's signed query and the fact that it was
// answered, which there is nothing to correct about and nobody may hide.
func checkEntryKey(k []byte) error {
	if len(k) < 2 {
		return errShortKey
	}
	switch k[0] {
	case KeyPayment:
		if len(k) != 1+RefSize {
			return errShortKey
		}
	case KeyCreditEvent:
		return checkID(string(k[1:]), true)
	case KeyReceipt:
		return errReceiptKey
	default:
		return errKeyKind
	}
	return nil
}

type keyError string

func (e keyError) Error() string { return string(e) }

const (
	errShortKey = keyError("key has the wrong length for its kind")
	errKeyKind  = keyError("key kind is not payment or credit event")
	// errReceiptKey: receipts are never corrected.
	errReceiptKey = keyError("a receipt cannot be corrected: receipts are facts about queries")
)
