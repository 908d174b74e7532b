package api

import (
	"context"
	"net/http"
)

// routeRights adds the endpoints of the subject's rights.
func (s *Server) routeRights(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/corrections", s.correct)
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
