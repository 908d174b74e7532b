package queryproto

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"google.golang.org/protobuf/proto"
)

// Client makes query requests from a libp2p host: one stream per request.
// It decodes answers and checks their shapes; it trusts nothing, and
// verifies nothing either — LightClient and Reporter do.
type Client struct {
	host  host.Host
	proto protocol.ID
}

// NewClient returns a client of networkID's query protocol on h.
func NewClient(h host.Host, networkID string) *Client {
	return &Client{host: h, proto: p2p.QueryProtocol(networkID)}
}

// Heads asks p for the newest signed header of every chain it holds. The
// headers are decoded, not verified: check each with VerifySignature and
// the genesis members before trusting it.
func (c *Client) Heads(ctx context.Context, p peer.ID) ([]*chain.SignedHeader, error) {
	resp, err := c.roundTrip(ctx, p, &querypb.Request{Op: &querypb.Request_Heads{Heads: &querypb.HeadsRequest{}}})
	if err != nil {
		return nil, err
	}
	h, err := decodeHeads(resp)
	return h, fromPeer(p, err)
}

// PaymentAnswer is a peer's answer to a payment request, decoded and not
// verified.
type PaymentAnswer struct {
	// Proofs are the proofs of the payments under the lookup hash, one per
	// issuer, in the order served.
	Proofs []*chain.Proof
	// Evidence is the equivocation evidence the peer holds against issuers
	// of the proofs: at most one piece per issuer (docs/PROTOCOL.md 11.4).
	// Verify each with chain.Evidence.Verify before trusting it.
	Evidence []*chain.Evidence
	// Witnessed are the witnesses' cosignatures of heads covering the
	// proofs' blocks, as served; the light client checks them
	// (witnessed.go).
	Witnessed []*querypb.Witnessed
	// Corrections are the proofs of the issuers' corrections of the
	// payments, as served; the light client verifies them
	// (light_corrections.go).
	Corrections []*chain.Proof
	// Decisions are membership decision entries with their proofs
	// (decisions.go), as served.
	Decisions []*chain.Proof
}

// Payment asks p for the proofs of the payments indexed under lookup
// (privacy.Lookup of the network and order ID), and the evidence p holds
// against their issuers. A peer that holds none answers NOT_FOUND: the
// error matches ErrNotFound. The answer is decoded, not verified
// (LightClient.Lookup verifies).
func (c *Client) Payment(ctx context.Context, p peer.ID, lookup [privacy.LookupSize]byte) (*PaymentAnswer, error) {
	resp, err := c.roundTrip(ctx, p, &querypb.Request{Op: &querypb.Request_Payment{Payment: &querypb.PaymentRequest{Lookup: lookup[:]}}})
	if err != nil {
		return nil, err
	}
	a, err := decodePayment(resp)
	return a, fromPeer(p, err)
}

// CreditQuery sends a signed credit query to p and returns its signed
// answer, decoded but not verified: call SignedAnswer.Verify.
func (c *Client) CreditQuery(ctx context.Context, p peer.ID, q *SignedQuery) (*SignedAnswer, error) {
	resp, err := c.roundTrip(ctx, p, &querypb.Request{Op: &querypb.Request_CreditQuery{CreditQuery: q.Proto()}})
	if err != nil {
		return nil, err
	}
	a, err := decodeAnswer(resp)
	return a, fromPeer(p, err)
}

// roundTrip writes req on a new stream to p, closes the write side and
// reads the response, under ctx's deadline (DefaultClientTimeout if it has
// none). A response with a status other than OK is a *StatusError.
func (c *Client) roundTrip(ctx context.Context, p peer.ID, req *querypb.Request) (*querypb.Response, error) {
	frame, err := marshalFrame(req, MaxRequestBytes)
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultClientTimeout)
		defer cancel()
	}
	st, err := c.host.NewStream(ctx, p, c.proto)
	if err != nil {
		return nil, streamError(ctx, p, "opening a stream", err)
	}
	// The stream dies with ctx, whatever it is blocked on.
	stop := context.AfterFunc(ctx, func() { st.Reset() })
	defer stop()
	deadline, _ := ctx.Deadline()
	if err := st.SetDeadline(deadline); err != nil {
		st.Reset()
		return nil, streamError(ctx, p, "setting the deadline", err)
	}
	if _, err := st.Write(frame); err != nil {
		st.Reset()
		return nil, streamError(ctx, p, "writing the request", err)
	}
	if err := st.CloseWrite(); err != nil {
		st.Reset()
		return nil, streamError(ctx, p, "closing the request", err)
	}
	data, release, err := readStreamFrame(st, st.Scope(), MaxResponseBytes)
	if err != nil {
		st.Reset()
		if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrMalformed) {
			return nil, fromPeer(p, err)
		}
		return nil, streamError(ctx, p, "reading the response", err)
	}
	defer release()
	st.Close()
	resp, err := decodeResponse(data)
	if err != nil {
		return nil, fmt.Errorf("peer %s: %w", p, err)
	}
	if resp.Status != querypb.Status_STATUS_OK {
		return nil, &StatusError{Status: resp.Status, Message: resp.Error}
	}
	return resp, nil
}

// fromPeer names the peer a decoding error came from.
func fromPeer(p peer.ID, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("peer %s: %w", p, err)
}

// streamError classifies a stream failure: ErrTimeout once ctx's deadline
// has passed (the stream's deadline, the same instant, may fire before
// ctx's timer), ctx's error if it was cancelled, ErrUnreachable otherwise.
func streamError(ctx context.Context, p peer.ID, what string, err error) error {
	dl, ok := ctx.Deadline()
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded), ok && !time.Now().Before(dl) && ctx.Err() == nil:
		return fmt.Errorf("%w: peer %s: %s: %w", ErrTimeout, p, what, err)
	case ctx.Err() != nil:
		return fmt.Errorf("queryproto: peer %s: %s: %w", p, what, ctx.Err())
	}
	return fmt.Errorf("%w: peer %s: %s: %w", ErrUnreachable, p, what, err)
}

// decodeResponse decodes an encoded querypb.Response. A response must carry
// a known status, and a result exactly when the status is OK.
func decodeResponse(data []byte) (*querypb.Response, error) {
	if len(data) > MaxResponseBytes {
		return nil, fmt.Errorf("%w: response of %d bytes", ErrTooLarge, len(data))
	}
	resp := new(querypb.Response)
	if err := proto.Unmarshal(data, resp); err != nil {
		return nil, fmt.Errorf("%w: response: %v", ErrMalformed, err)
	}
	if _, ok := querypb.Status_name[int32(resp.Status)]; !ok || resp.Status == querypb.Status_STATUS_UNSPECIFIED {
		return nil, fmt.Errorf("%w: response status %d", ErrMalformed, resp.Status)
	}
	if ok := resp.Status == querypb.Status_STATUS_OK; ok != (resp.Result != nil) {
		return nil, fmt.Errorf("%w: a %s response must carry a result exactly when OK", ErrMalformed, statusName(resp.Status))
	}
	return resp, nil
}

func decodeHeads(resp *querypb.Response) ([]*chain.SignedHeader, error) {
	h := resp.GetHeads()
	if h == nil {
		return nil, fmt.Errorf("%w: expected heads", ErrMalformed)
	}
	out := make([]*chain.SignedHeader, len(h.Heads))
	for i, pb := range h.Heads {
		sh, err := chain.DecodeSignedHeader(pb.GetHeader(), pb.GetSignature())
		if err != nil {
			return nil, fmt.Errorf("%w: head %d: %w", ErrMalformed, i, err)
		}
		out[i] = sh
	}
	return out, nil
}

// decodePayment decodes a payment answer: 1 to maxPaymentProofs proofs,
// and at most one piece of evidence per proof (one per issuer of them).
func decodePayment(resp *querypb.Response) (*PaymentAnswer, error) {
	pr := resp.GetPayment()
	if pr == nil {
		return nil, fmt.Errorf("%w: expected a payment answer", ErrMalformed)
	}
	if len(pr.Proofs) == 0 || len(pr.Proofs) > maxPaymentProofs {
		return nil, fmt.Errorf("%w: payment answer with %d proofs", ErrMalformed, len(pr.Proofs))
	}
	if len(pr.Evidence) > len(pr.Proofs) {
		return nil, fmt.Errorf("%w: payment answer with %d pieces of evidence for %d proofs, at most one per issuer", ErrMalformed, len(pr.Evidence), len(pr.Proofs))
	}
	if len(pr.Witnessed) > maxWitnessedHeads*len(pr.Proofs) {
		return nil, fmt.Errorf("%w: payment answer with %d witnessed heads for %d proofs", ErrMalformed, len(pr.Witnessed), len(pr.Proofs))
	}
	out := &PaymentAnswer{Proofs: make([]*chain.Proof, len(pr.Proofs)), Witnessed: pr.Witnessed}
	for i, p := range pr.Proofs {
		cp, err := proofFromPB(p)
		if err != nil {
			return nil, fmt.Errorf("proof %d: %w", i, err)
		}
		out.Proofs[i] = cp
	}
	if len(pr.Corrections) > maxCorrections*len(pr.Proofs) {
		return nil, fmt.Errorf("%w: payment answer with %d corrections for %d proofs", ErrMalformed, len(pr.Corrections), len(pr.Proofs))
	}
	for i, p := range pr.Corrections {
		cp, err := proofFromPB(p)
		if err != nil {
			return nil, fmt.Errorf("correction %d: %w", i, err)
		}
		out.Corrections = append(out.Corrections, cp)
	}
	decisions, err := decodeDecisions(pr.Decisions)
	if err != nil {
		return nil, err
	}
	out.Decisions = decisions
	for i, pe := range pr.Evidence {
		ev, err := evidenceFromPB(pe)
		if err != nil {
			return nil, fmt.Errorf("evidence %d: %w", i, err)
		}
		out.Evidence = append(out.Evidence, ev)
	}
	return out, nil
}

func decodeAnswer(resp *querypb.Response) (*SignedAnswer, error) {
	a := resp.GetCreditAnswer()
	if a == nil {
		return nil, fmt.Errorf("%w: expected a credit answer", ErrMalformed)
	}
	return DecodeSignedAnswer(a.Answer, a.Signature)
}
