package api

import (
	"context"
	"net/http"
	"net/url"
)

// routeRights adds the endpoints of the subject's rights.
func (s *Server) routeRights(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/corrections", s.correct)
	mux.HandleFunc("POST /v1/disputes", s.dispute)
	mux.HandleFunc("POST /v1/disputes/confirm", s.confirm)
	mux.HandleFunc("GET /v1/disputes", s.disputes)
}

func (s *Server) disputesBackend(w http.ResponseWriter) (DisputesBackend, bool) {
	db, ok := s.backend.(DisputesBackend)
	if !ok {
		writeError(w, http.StatusNotImplemented, "not_implemented", "this peer does not take disputes")
	}
	return db, ok
}

func (s *Server) dispute(w http.ResponseWriter, r *http.Request) {
	db, ok := s.disputesBackend(w)
	if !ok {
		return
	}
	var req DisputeRequest
	if !decodeBody(w, r, &req, `{"subject": {"kind", "id"}, "target": {"issuer", "type", "order_id" or "event_id"}, "statement"}`) {
		return
	}
	v, err := db.Dispute(r.Context(), req)
	if err != nil {
		writeBackendError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	db, ok := s.disputesBackend(w)
	if !ok {
		return
	}
	var req ConfirmRequest
	if !decodeBody(w, r, &req, `{"disputer", "dispute_id", "reason"}`) {
		return
	}
	v, err := db.Confirm(r.Context(), req)
	if err != nil {
		writeBackendError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) disputes(w http.ResponseWriter, r *http.Request) {
	db, ok := s.disputesBackend(w)
	if !ok {
		return
	}
	v, err := db.Disputes(r.URL.Query().Get("issuer"))
	if err != nil {
		writeBackendError(w, err)
		return
	}
	if v.Disputes == nil {
		v.Disputes = []DisputeView{}
	}
	writeJSON(w, http.StatusOK, v)
}

// Dispute enters a subject's dispute.
func (c *Client) Dispute(ctx context.Context, req DisputeRequest) (*DisputeView, error) {
	var out DisputeView
	return &out, c.do(ctx, http.MethodPost, "/v1/disputes", req, &out)
}

// Confirm answers a dispute: the entry is right.
func (c *Client) Confirm(ctx context.Context, req ConfirmRequest) (*DisputeView, error) {
	var out DisputeView
	return &out, c.do(ctx, http.MethodPost, "/v1/disputes/confirm", req, &out)
}

// Disputes lists the disputes of issuer's entries (empty: the peer's own).
func (c *Client) Disputes(ctx context.Context, issuer string) (*DisputeList, error) {
	var out DisputeList
	path := "/v1/disputes"
	if issuer != "" {
		path += "?issuer=" + url.QueryEscape(issuer)
	}
	return &out, c.do(ctx, http.MethodGet, path, nil, &out)
}

func (s *Server) rights(w http.ResponseWriter) (RightsBackend, bool) {
	rb, ok := s.backend.(RightsBackend)
	if !ok {
		writeError(w, http.StatusNotImplemented, "not_implemented", "this peer does not publish corrections")
	}
	return rb, ok
}

func (s *Server) correct(w http.ResponseWriter, r *http.Request) {
	rb, ok := s.rights(w)
	if !ok {
		return
	}
	var req CorrectionRequest
	if !decodeBody(w, r, &req, `{"target": {"type", "order_id" or "event_id"}, "action", "reason", "replacement"}`) {
		return
	}
	v, err := rb.Correct(r.Context(), req)
	if err != nil {
		writeBackendError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// Correct publishes a correction of one of the peer's own entries.
func (c *Client) Correct(ctx context.Context, req CorrectionRequest) (*CorrectionResult, error) {
	var out CorrectionResult
	return &out, c.do(ctx, http.MethodPost, "/v1/corrections", req, &out)
}
