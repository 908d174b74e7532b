package simnet

import (
	"fmt"

	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/queryproto"
)

// reportRequest is report n of member peer about subject: a loan
// application with a made-up consent reference.
func reportRequest(peer, n int, subject privacy.Ref) queryproto.ReportRequest {
	return queryproto.ReportRequest{
		QueryID:    fmt.Sprintf("sim-%d-%d", peer, n),
		Subject:    subject,
		Purpose:    chainpb.QueryPurpose_QUERY_PURPOSE_LOAN_APPLICATION,
		ConsentRef: consentRef(peer, n),
	}
}

func consentRef(peer, n int) string { return fmt.Sprintf("consent-%d-%d", peer, n) }
