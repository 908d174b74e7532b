package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"
)

// MembershipBackend is the part of a peer that serves membership
// decisions (docs/PROTOCOL.md §18). A Backend that does not implement it
// answers these endpoints 404.
type MembershipBackend interface {
	// Decisions is the membership in force now and every decision held.
	Decisions() (*MembershipView, error)
	// Propose writes a proposal on the peer's own chain. ErrForbidden: the
	// peer is not a member now; ErrBadRequest: a bad field or an
	// activation too soon; ErrConflict: the proposal ID was used.
	Propose(ctx context.Context, req ProposeRequest) (*DecisionWritten, error)
	// Approve writes an approval of a proposal held. ErrNotFound: no such
	// proposal; ErrConflict: approved already (or it is our own);
	// ErrBadRequest: its activation has passed.
	Approve(ctx context.Context, req ApproveRequest) (*DecisionWritten, error)
}

// MembershipView is GET /v1/membership.
type MembershipView struct {
	// Now is the peer's clock when it answered.
	Now time.Time `json:"now"`
	// Epoch is the number of the epoch in force now (0: the genesis).
	Epoch int `json:"epoch"`
	// Members are the members in force now, by peer ID.
	Members []MemberView `json:"members"`
	// Params are the parameters decisions change, in force now.
	Params GovernanceParams `json:"params"`
	// Proposals are every proposal held, pending ones (activating after
	// now) first, then by activation time.
	Proposals []ProposalView `json:"proposals"`
}

// MemberView is one member of an epoch.
type MemberView struct {
	PeerID string    `json:"peer_id"`
	Name   string    `json:"name"`
	Roles  string    `json:"roles"` // comma-separated: payments, credit, query
	Addrs  []string  `json:"addrs"`
	Since  time.Time `json:"since"`
	// Previous is the peer ID this key replaced, after a rotation.
	Previous string `json:"previous,omitempty"`
}

// GovernanceParams are the parameters a decision may change.
type GovernanceParams struct {
	// ApprovalsNeeded is how many approvals (the proposer's counting) a
	// proposal judged now needs.
	ApprovalsNeeded int `json:"approvals_needed"`
	// ApprovalThreshold is the genesis or decided count; 0: a majority.
	ApprovalThreshold int `json:"approval_threshold"`
	// ActivationDelay is the least time from a proposal's block to its
	// activation, as a Go duration.
	ActivationDelay string `json:"activation_delay"`
	QueryFee        string `json:"query_fee"` // "0" or "AMOUNT CUR"
}

// ProposalView is one proposal and what became of it.
type ProposalView struct {
	ID           string `json:"id"`
	Proposer     string `json:"proposer"`
	ProposerName string `json:"proposer_name,omitempty"`
	// Kind is admit, remove, rotate or param.
	Kind string `json:"kind"`
	// Target is the admitted, removed or rotated peer ID.
	Target string `json:"target,omitempty"`
	// NewPeerID is a rotation's new key.
	NewPeerID string   `json:"new_peer_id,omitempty"`
	Name      string   `json:"name,omitempty"`
	Roles     string   `json:"roles,omitempty"`
	Addrs     []string `json:"addrs,omitempty"`
	Param     string   `json:"param,omitempty"`
	Value     string   `json:"value,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	// BlockTime is the time of the block that holds it.
	BlockTime  time.Time `json:"block_time"`
	ActivateAt time.Time `json:"activate_at"`
	// State is pending (activation ahead, approvals enough or not yet),
	// active (passed, in force), failed (too few approvals by its
	// activation) or void (it cannot apply; see Why).
	State string `json:"state"`
	// Passed is whether its approvals so far reach Needed.
	Passed bool `json:"passed"`
	// Why says why a proposal is void.
	Why string `json:"why,omitempty"`
	// Approvals are the peer IDs whose approval counts, proposer first.
	Approvals []string `json:"approvals"`
	// Uncounted are approvals held that do not count (written at or after
	// the activation, by a member not in force, of other bytes).
	Uncounted []string `json:"uncounted,omitempty"`
	Needed    int      `json:"needed"`
	// Unsettled: chains this peer does not hold up to the activation
	// could still change the outcome.
	Unsettled bool `json:"unsettled,omitempty"`
	// Hash is SHA-256 of the proposal's entry (hex), which approvals name.
	Hash string `json:"hash"`
}

// ProposeRequest is POST /v1/membership/proposals.
type ProposeRequest struct {
	// Kind is admit, remove, rotate or param.
	Kind string `json:"kind"`
	// ID names the proposal on the proposer's chain; empty: one is made.
	ID string `json:"id,omitempty"`
	// ActivateAt is when it takes effect; empty: now + the activation
	// delay + a margin for sealing.
	ActivateAt *time.Time `json:"activate_at,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	// PeerID is the admitted, removed or rotated member.
	PeerID string `json:"peer_id,omitempty"`
	// Name, Roles (payments, credit, query) and Addrs: an admission.
	Name  string   `json:"name,omitempty"`
	Roles []string `json:"roles,omitempty"`
	// Addrs are multiaddrs without /p2p/ (an admission; a rotation's new
	// addresses, if they change).
	Addrs []string `json:"addrs,omitempty"`
	// NewPeerID is a rotation's new key.
	NewPeerID string `json:"new_peer_id,omitempty"`
	// Param and Value: a parameter change.
	Param string `json:"param,omitempty"`
	Value string `json:"value,omitempty"`
}

// ApproveRequest is POST /v1/membership/proposals/{id}/approve.
type ApproveRequest struct {
	ID string `json:"-"`
	// Proposer is the proposer's peer ID; needed only when two
	// proposers used the ID.
	Proposer string `json:"proposer,omitempty"`
}

// DecisionWritten answers a proposal or approval: accepted into the
// pending pool, sealed into the next block.
type DecisionWritten struct {
	ID         string    `json:"id"`
	Proposer   string    `json:"proposer"`
	ActivateAt time.Time `json:"activate_at"`
	// Hash is SHA-256 of the proposal's entry (hex).
	Hash string `json:"hash"`
}

func (s *Server) routeMembership(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/membership", s.membership)
	mux.HandleFunc("POST /v1/membership/proposals", s.propose)
	mux.HandleFunc("POST /v1/membership/proposals/{id}/approve", s.approve)
}

func (s *Server) membershipBackend(w http.ResponseWriter) (MembershipBackend, bool) {
	mb, ok := s.backend.(MembershipBackend)
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "this peer serves no membership decisions")
	}
	return mb, ok
}

func (s *Server) membership(w http.ResponseWriter, _ *http.Request) {
	mb, ok := s.membershipBackend(w)
	if !ok {
		return
	}
	v, err := mb.Decisions()
	if err != nil {
		writeDecisionError(w, err)
		return
	}
	v.Members, v.Proposals = nonNil(v.Members), nonNil(v.Proposals)
	for i := range v.Proposals {
		v.Proposals[i].Approvals = nonNil(v.Proposals[i].Approvals)
	}
	for i := range v.Members {
		v.Members[i].Addrs = nonNil(v.Members[i].Addrs)
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) propose(w http.ResponseWriter, r *http.Request) {
	mb, ok := s.membershipBackend(w)
	if !ok {
		return
	}
	var req ProposeRequest
	if !decodeBody(w, r, &req, `{"kind": "admit|remove|rotate|param", ...}`) {
		return
	}
	v, err := mb.Propose(r.Context(), req)
	if err != nil {
		writeDecisionError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	mb, ok := s.membershipBackend(w)
	if !ok {
		return
	}
	var req ApproveRequest
	if !decodeBody(w, r, &req, `{"proposer": "PEERID"}`) {
		return
	}
	req.ID = r.PathValue("id")
	v, err := mb.Approve(r.Context(), req)
	if err != nil {
		writeDecisionError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func writeDecisionError(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrConflict) {
		writeError(w, http.StatusConflict, "conflict", err.Error())
		return
	}
	writeBackendError(w, err)
}

// Membership gets the membership in force and every decision held.
func (c *Client) Membership(ctx context.Context) (*MembershipView, error) {
	var out MembershipView
	return &out, c.do(ctx, http.MethodGet, "/v1/membership", nil, &out)
}

// Propose writes a proposal on the peer's chain.
func (c *Client) Propose(ctx context.Context, req ProposeRequest) (*DecisionWritten, error) {
	var out DecisionWritten
	return &out, c.do(ctx, http.MethodPost, "/v1/membership/proposals", req, &out)
}

// Approve writes an approval of proposal req.ID on the peer's chain.
func (c *Client) Approve(ctx context.Context, req ApproveRequest) (*DecisionWritten, error) {
	var out DecisionWritten
	return &out, c.do(ctx, http.MethodPost, "/v1/membership/proposals/"+url.PathEscape(req.ID)+"/approve", req, &out)
}
