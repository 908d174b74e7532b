package node

import (
	"strings"

	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/credmesh/credmesh/queryproto/querypb"
)

// The API and the CLI show enums as users write them (loan_application,
// overdue, replace), not as the protobuf names them
// (QUERY_PURPOSE_LOAN_APPLICATION): the lower-case name without its
// prefix. Inputs accept both forms (ParsePurpose).

func enumName(protoName, prefix string) string {
	return strings.ToLower(strings.TrimPrefix(protoName, prefix))
}

// PurposeName is a query purpose as the API shows it: loan_application.
func PurposeName(p chainpb.QueryPurpose) string {
	return enumName(p.String(), "QUERY_PURPOSE_")
}

// ParsePurpose reads a purpose written as users write it
// (loan_application) or as the protobuf names it
// (QUERY_PURPOSE_LOAN_APPLICATION), which earlier versions showed.
func ParsePurpose(s string) (chainpb.QueryPurpose, bool) {
	if p, ok := Purposes[s]; ok {
		return p, true
	}
	if strings.HasPrefix(s, "QUERY_PURPOSE_") {
		p, ok := Purposes[enumName(s, "QUERY_PURPOSE_")]
		return p, ok
	}
	return 0, false
}

func creditKindName(k chainpb.CreditEventKind) string {
	return enumName(k.String(), "CREDIT_EVENT_KIND_")
}

func correctionActionName(a chainpb.CorrectionAction) string {
	return enumName(a.String(), "CORRECTION_ACTION_")
}

// outcomeName is a member's outcome in a report: answered, timeout,
// unreachable, refused or invalid_answer.
func outcomeName(o queryproto.Outcome) string {
	return strings.ReplaceAll(o.String(), " ", "_")
}

// reportOutcome is a member's outcome in a report: outcomeName's, except
// that a refusal with STATUS_UNAVAILABLE (its credit source is down, slow
// or holds a bad row) is "unavailable", never read as holding nothing.
func reportOutcome(m queryproto.MemberResult) string {
	if m.Outcome == queryproto.OutcomeRefused && m.Status == querypb.Status_STATUS_UNAVAILABLE {
		return "unavailable"
	}
	return outcomeName(m.Outcome)
}
