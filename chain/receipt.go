package chain

import "github.com/credmesh/credmesh/chain/chainpb"

// ValidateQueryReceipt checks every field of a query receipt.
func ValidateQueryReceipt(r *chainpb.QueryReceipt) error {
	const m = "QueryReceipt"
	if err := checkID(r.QueryId, true); err != nil {
		return fieldError(m, "query_id", "%v", err)
	}
	if err := checkRef(r.Querier); err != nil {
		return fieldError(m, "querier", "%v", err)
	}
	if err := checkRef(r.SubjectRef); err != nil {
		return fieldError(m, "subject_ref", "%v", err)
	}
	if _, ok := chainpb.QueryPurpose_name[int32(r.Purpose)]; !ok || r.Purpose == chainpb.QueryPurpose_QUERY_PURPOSE_UNSPECIFIED {
		return fieldError(m, "purpose", "%d is not a known purpose", r.Purpose)
	}
	if err := checkID(r.ConsentRef, true); err != nil {
		return fieldError(m, "consent_ref", "%v", err)
	}
	if err := checkTime(r.QueriedAtMs); err != nil {
		return fieldError(m, "queried_at_ms", "%v", err)
	}
	if err := checkAmount(r.FeeMinor); err != nil {
		return fieldError(m, "fee_minor", "%v", err)
	}
	if err := checkCurrency(r.FeeCurrency); err != nil {
		return fieldError(m, "fee_currency", "%v", err)
	}
	return nil
}
