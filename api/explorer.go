package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/credmesh/credmesh/explorer"
)

// MaxBlocksPage bounds a page of GET /v1/chains/{issuer}/blocks.
const MaxBlocksPage = 100

// routeExplorer registers the explorer page and the read-only endpoints
// it uses.
func (s *Server) routeExplorer(mux *http.ServeMux) {
	page := explorer.Handler(s.token != "")
	mux.Handle("GET /{$}", page)
	mux.Handle("GET /explorer/{file...}", page)
	mux.HandleFunc("GET /v1/network", s.network)
	mux.HandleFunc("GET /v1/genesis", s.genesis)
	mux.HandleFunc("GET /v1/chains/{issuer}/blocks", s.blocks)
	mux.HandleFunc("GET /v1/blocks/{hash}", s.blockByHash)
	mux.HandleFunc("GET /v1/entries/{key}", s.entries)
	mux.HandleFunc("GET /v1/proofs/{lookup}", s.proofs)
	mux.HandleFunc("POST /v1/subjects/queries", s.subjectQueries)
}

// isPage says whether a request is for the explorer page's own files,
// which hold no data and are served without the token: a browser cannot
// send one when it opens a page. The page sends it on every API call.
func isPage(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && explorer.IsPagePath(r.URL.Path)
}

func (s *Server) explorer(w http.ResponseWriter) (Explorer, bool) {
	e, ok := s.backend.(Explorer)
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "this peer does not serve the explorer's data")
	}
	return e, ok
}

func (s *Server) network(w http.ResponseWriter, _ *http.Request) {
	if e, ok := s.explorer(w); ok {
		v := e.NetworkView()
		v.Members, v.Forks = nonNil(v.Members), nonNil(v.Forks)
		writeJSON(w, http.StatusOK, v)
	}
}

func (s *Server) genesis(w http.ResponseWriter, _ *http.Request) {
	if e, ok := s.explorer(w); ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(e.Genesis()) // the exact bytes: their SHA-256 is the genesis hash
	}
}

func (s *Server) blocks(w http.ResponseWriter, r *http.Request) {
	e, ok := s.explorer(w)
	if !ok {
		return
	}
	q := r.URL.Query()
	var before uint64
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			writeError(w, http.StatusBadRequest, "bad_request", "before must be a whole number from 1")
			return
		}
		before = n
	}
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxBlocksPage {
			writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("limit must be a whole number from 1 to %d", MaxBlocksPage))
			return
		}
		limit = n
	}
	v, err := e.Blocks(r.PathValue("issuer"), before, limit)
	if err != nil {
		writeBackendError(w, err)
		return
	}
	v.Blocks = nonNil(v.Blocks)
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) blockByHash(w http.ResponseWriter, r *http.Request) {
	if e, ok := s.explorer(w); ok {
		v, err := e.BlockByHash(r.PathValue("hash"))
		if err != nil {
			writeBackendError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

func (s *Server) entries(w http.ResponseWriter, r *http.Request) {
	if e, ok := s.explorer(w); ok {
		v, err := e.EntriesByKey(r.PathValue("key"))
		if err != nil {
			writeBackendError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

func (s *Server) proofs(w http.ResponseWriter, r *http.Request) {
	if e, ok := s.explorer(w); ok {
		v, err := e.Proofs(r.PathValue("lookup"))
		if err != nil {
			writeBackendError(w, err)
			return
		}
		v.Proofs, v.Evidence = nonNil(v.Proofs), nonNil(v.Evidence)
		writeJSON(w, http.StatusOK, v)
	}
}

func (s *Server) subjectQueries(w http.ResponseWriter, r *http.Request) {
	var req SubjectRequest
	if !decodeBody(w, r, &req, `{"subject": {"kind", "id"}}`) {
		return
	}
	if e, ok := s.explorer(w); ok {
		v, err := e.SubjectQueries(req.Subject)
		if err != nil {
			writeBackendError(w, err)
			return
		}
		v.Queries = nonNil(v.Queries)
		writeJSON(w, http.StatusOK, v)
	}
}
