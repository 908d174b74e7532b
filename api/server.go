package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/credmesh/credmesh/internal/gate"
	"github.com/credmesh/credmesh/internal/version"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Limits of a submission.
const (
	MaxSubmitBytes   = 16 << 20
	MaxSubmitRecords = 20_000
)

// Server serves the API of one peer.
type Server struct {
	backend Backend
	token   string
	log     *slog.Logger
	srv     *http.Server
	ln      net.Listener
	gate    gate.Gate // admits requests; Shutdown closes it
}

// Options configure a Server.
type Options struct {
	Listen   string // host:port
	Token    string // required bearer token, if set
	Gatherer prometheus.Gatherer
	Logger   *slog.Logger
}

// Listen binds the API's address; Serve then answers on it.
func Listen(b Backend, o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return nil, fmt.Errorf("api: listening on %s: %w", o.Listen, err)
	}
	s := &Server{backend: b, token: o.Token, log: o.Logger, ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/records", s.submit)
	mux.HandleFunc("GET /v1/status", s.status)
	mux.HandleFunc("GET /v1/chains", s.chains)
	mux.HandleFunc("GET /v1/chains/{issuer}/blocks/{height}", s.block)
	mux.HandleFunc("POST /v1/report", s.report)
	mux.HandleFunc("GET /v1/billing", s.billing)
	mux.HandleFunc("POST /v1/credit/import", s.importCredit)
	mux.HandleFunc("GET /v1/payments/{order}", s.payment)
	mux.HandleFunc("GET /v1/payments/{order}/certificate", s.certificate)
	mux.HandleFunc("POST /v1/forks/{issuer}/ack", s.ackFork)
	s.routeExplorer(mux)
	s.routeRights(mux)
	s.routeMembership(mux) // membership.go
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if o.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	s.srv = &http.Server{
		Handler:           s.gated(s.forBrowsers(s.auth(mux))),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	return s, nil
}

// Addr returns the bound address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve answers requests until Shutdown.
func (s *Server) Serve() error {
	err := s.srv.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests and waits for those under way. If ctx
// ends first, their connections are closed, which ends their contexts, and
// Shutdown still waits for their handlers to return: when it returns, no
// handler uses the backend any more.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.srv.Close()
	}
	s.gate.Close()
	return err
}

// gated answers 503 once Shutdown has begun, and lets Shutdown wait for
// the requests it admitted.
func (s *Server) gated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.gate.Enter() {
			if healthPaths[r.URL.Path] {
				writeJSON(w, http.StatusServiceUnavailable, Health{Status: "shutting_down", Version: version.String()})
				return
			}
			writeError(w, http.StatusServiceUnavailable, "shutting_down", "the peer is shutting down")
			return
		}
		defer s.gate.Leave()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) auth(next http.Handler) http.Handler {
	if s.token == "" {
		return next
	}
	want := []byte("Bearer " + s.token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if healthPaths[r.URL.Path] && r.Method == http.MethodGet {
			next.ServeHTTP(w, r) // probes carry no token; they learn only readiness
			return
		}
		if !isPage(r) && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			writeError(w, http.StatusUnauthorized, "unauthorized", "send Authorization: Bearer <api.token>")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// decodeBody reads a JSON body of at most MaxSubmitBytes, refusing unknown
// fields; on failure it has written the error: 413 for a body over the
// limit, 400 for any other.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, shape string) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxSubmitBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is over %d bytes: send smaller batches", MaxSubmitBytes))
			return false
		}
		writeError(w, http.StatusBadRequest, "bad_request", "body is not "+shape+": "+err.Error())
		return false
	}
	return true
}

// checkCount answers 400 for a submission without records and 413 for one
// over MaxSubmitRecords.
func checkCount(w http.ResponseWriter, n int) bool {
	switch {
	case n == 0:
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("send 1 to %d records, got none", MaxSubmitRecords))
		return false
	case n > MaxSubmitRecords:
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("send 1 to %d records per request, got %d: send smaller batches", MaxSubmitRecords, n))
		return false
	}
	return true
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	var req SubmitRequest
	if !decodeBody(w, r, &req, `{"records": [...]}`) || !checkCount(w, len(req.Records)) {
		return
	}
	errs, err := s.backend.Submit(r.Context(), req.Records)
	writeResults(w, errs, err)
}

func (s *Server) importCredit(w http.ResponseWriter, r *http.Request) {
	var req ImportRequest
	if !decodeBody(w, r, &req, `{"records": [...], "publish": false}`) || !checkCount(w, len(req.Records)) {
		return
	}
	errs, err := s.backend.ImportCredit(r.Context(), req.Records, req.Publish)
	writeResults(w, errs, err)
}

func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	var req ReportRequest
	if !decodeBody(w, r, &req, `{"subject": {"kind", "id"}, "purpose", "consent_ref"}`) {
		return
	}
	v, err := s.backend.Report(r.Context(), req)
	if err != nil {
		writeBackendError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) billing(w http.ResponseWriter, r *http.Request) {
	v, err := s.backend.Billing(r.URL.Query().Get("period"))
	if err != nil {
		writeBackendError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// payment answers every record under the order ID: 200 with one record,
// 409 with all of them when two or more issuers hold it.
func (s *Server) payment(w http.ResponseWriter, r *http.Request) {
	v, err := s.backend.Payment(r.PathValue("order"))
	if err != nil {
		writeBackendError(w, err)
		return
	}
	v.Forks = nonNil(v.Forks)
	if !v.Conflict {
		writeJSON(w, http.StatusOK, v)
		return
	}
	issuers := make([]string, len(v.Records))
	for i, rec := range v.Records {
		issuers[i] = rec.Issuer
		if rec.IssuerName != "" {
			issuers[i] = rec.IssuerName + " (" + rec.Issuer + ")"
		}
	}
	v.Error = &ErrorDetail{Code: "conflict", Message: fmt.Sprintf("%d issuers hold records under this order ID: %s; every record is listed, none is to be preferred", len(v.Records), strings.Join(issuers, ", "))}
	writeJSON(w, http.StatusConflict, v)
}

func (s *Server) ackFork(w http.ResponseWriter, r *http.Request) {
	var req AckRequest
	if !decodeBody(w, r, &req, `{"note": "..."}`) {
		return
	}
	v, err := s.backend.AckFork(r.PathValue("issuer"), req.Note)
	if err != nil {
		writeBackendError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// writeResults answers a submission with every record's outcome.
func writeResults(w http.ResponseWriter, errs []error, err error) {
	if err != nil {
		writeBackendError(w, err)
		return
	}
	resp := SubmitResponse{Results: make([]SubmitResult, len(errs))}
	for i, e := range errs {
		switch {
		case e == nil:
			resp.Results[i] = SubmitResult{Index: i, Status: StatusAccepted}
			resp.Accepted++
		case errors.Is(e, ErrDuplicate):
			resp.Results[i] = SubmitResult{Index: i, Status: StatusDuplicate, Error: e.Error()}
			resp.Duplicates++
		default:
			resp.Results[i] = SubmitResult{Index: i, Status: StatusRefused, Error: e.Error()}
			resp.Refused++
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	st := s.backend.Status()
	// Lists are [] when empty, never null (docs/openapi.yaml).
	st.ListenAddrs = nonNil(st.ListenAddrs)
	st.Chains = nonNil(st.Chains)
	st.Syncing = nonNil(st.Syncing)
	st.Forks = nonNil(st.Forks)
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) chains(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"chains": nonNil(s.backend.Status().Chains)})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) block(w http.ResponseWriter, r *http.Request) {
	height, err := strconv.ParseUint(r.PathValue("height"), 10, 64)
	if err != nil || height == 0 {
		writeError(w, http.StatusBadRequest, "bad_request", "height must be a whole number from 1")
		return
	}
	b, err := s.backend.Block(r.PathValue("issuer"), height)
	if err != nil {
		writeBackendError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func writeBackendError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, ErrBadRequest):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
	case errors.Is(err, ErrForbidden):
		writeError(w, http.StatusForbidden, "forbidden", err.Error())
	case errors.Is(err, ErrBusy):
		writeError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
	case errors.Is(err, ErrInsufficientStorage):
		writeError(w, http.StatusInsufficientStorage, "insufficient_storage", err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
	default:
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
	}
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var body ErrorBody
	body.Error.Code, body.Error.Message = code, msg
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
