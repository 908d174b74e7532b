package chain

import (
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain/chainpb"
)

// ErrNoRole is wrapped by every error of CheckRights: the entry is outside
// the roles the genesis gives its issuer (or its querier). Like every
// content error it is provable: a block holding such an entry is rejected.
var ErrNoRole = provable("outside the member's roles")

// CheckRights checks that issuer's roles allow it to write e on its chain:
//
//   - a payment, or a correction of a payment key: RolePayments;
//   - a credit event, or a correction of a credit-event key: RoleCredit;
//   - a query receipt: the issuer has RoleCredit (credit members answer
//     credit queries) and the receipt's querier is a member with
//     RoleQuery.
//
// Receipts are never corrected (ValidateEntry refuses a correction of a
// receipt key). e must have passed ValidateEntry. Errors wrap ErrNoRole
// and say which role is missing and which roles the member has.
func CheckRights(e *chainpb.Entry, issuer IssuerID, members Members) error {
	has := members[issuer]
	need := func(r Role, what string) error {
		if members.Has(issuer, r) {
			return nil
		}
		return fmt.Errorf("%w: %s are written only by members with the %s role; this member has %s", ErrNoRole, what, r, has)
	}
	switch b := e.Body.(type) {
	case *chainpb.Entry_Payment:
		return need(RolePayments, "payments")
	case *chainpb.Entry_CreditEvent:
		return need(RoleCredit, "credit events")
	case *chainpb.Entry_QueryReceipt:
		if err := need(RoleCredit, "query receipts"); err != nil {
			return err
		}
		q, err := ReceiptQuery(b.QueryReceipt)
		if err != nil {
			return err
		}
		if querier := IssuerID(q.Querier); !members.Has(querier, RoleQuery) {
			return fmt.Errorf("%w: the receipt's querier %s is not a member with the query role; it has %s", ErrNoRole, querier.Short(), members[querier])
		}
		return nil
	case *chainpb.Entry_Correction:
		k := b.Correction.TargetKey
		switch {
		case len(k) > 0 && k[0] == KeyPayment:
			return need(RolePayments, "corrections of payments")
		case len(k) > 0 && k[0] == KeyCreditEvent:
			return need(RoleCredit, "corrections of credit events")
		}
		return fmt.Errorf("%w: Correction.target_key: %v", ErrBadEntry, errKeyKind)
	case *chainpb.Entry_Proposal, *chainpb.Entry_Approval:
		return nil // any member decides, whatever its roles
	case *chainpb.Entry_Dispute, *chainpb.Entry_Confirmation:
		return checkDisputeRights(e, issuer, members)
	}
	return fmt.Errorf("%w: unknown entry body %T", ErrBadEntry, e.Body)
}

// CheckEntry runs every check of an entry that depends on where it is
// written, beyond ValidateEntry's: CheckRights, and CheckReceipt for a
// receipt. Block validation runs it on every entry with the block's time;
// the builder on every submitted entry with its clock's time, so that it
// refuses what every replica would reject. It does no I/O.
func CheckEntry(e *chainpb.Entry, issuer IssuerID, members Members, p Params, blockTime time.Time) error {
	if err := CheckRights(e, issuer, members); err != nil {
		return err
	}
	if err := CheckDecision(e, issuer, p, blockTime); err != nil {
		return err
	}
	if r := e.GetQueryReceipt(); r != nil {
		return CheckReceipt(r, issuer, p, blockTime)
	}
	return nil
}
