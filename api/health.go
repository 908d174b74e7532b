package api

import (
	"fmt"
	"net/http"

	"github.com/credmesh/credmesh/internal/version"
)

// Health answers GET /healthz and GET /readyz.
type Health struct {
	// Status is "ok", "not_ready" (/readyz with a failed check) or
	// "shutting_down".
	Status  string `json:"status"`
	Version string `json:"version"`
	// Checks are /readyz's, each passed or not, in a fixed order.
	Checks []HealthCheck `json:"checks,omitempty"`
}

// HealthCheck is one condition of readiness.
type HealthCheck struct {
	Name    string `json:"name"` // own_chain, sync, disk, store
	OK      bool   `json:"ok"`
	Message string `json:"message,omitempty"` // why not, in the operator's words
}

// healthPaths are answered without the token and, while the server shuts
// down, with a Health body rather than an Error (docs/openapi.yaml).
var healthPaths = map[string]bool{"/healthz": true, "/readyz": true}

// healthz says the process serves HTTP: it asks the backend nothing, so a
// busy peer is still alive.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, Health{Status: "ok", Version: version.String()})
}

// readyz is 200 when the peer is fit to take records and answer queries
// with what the network holds, 503 with the failed checks otherwise.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	h := Readiness(s.backend.Status())
	code := http.StatusOK
	if h.Status != "ok" {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, h)
}

// Readiness judges a status: the own chain is recovered and sealing, no
// chain is being caught up, the disk is above store.min_free_mb and
// readable, and no read has met corruption.
func Readiness(st Status) Health {
	h := Health{Status: "ok", Version: version.String()}
	add := func(name string, ok bool, msg string) {
		if ok {
			msg = ""
		} else {
			h.Status = "not_ready"
		}
		h.Checks = append(h.Checks, HealthCheck{Name: name, OK: ok, Message: msg})
	}
	own := st.Recovery == nil || st.Recovery.State == "sealing"
	ownMsg := ""
	if r := st.Recovery; r != nil {
		ownMsg = r.State
		if r.Message != "" {
			ownMsg = r.Message
		}
		if r.State == "recovering" {
			ownMsg += fmt.Sprintf(" (%d of %d members answered)", r.Answered, r.Needed)
		}
	}
	add("own_chain", own, ownMsg)
	add("sync", len(st.Syncing) == 0, fmt.Sprintf("catching up %d chains", len(st.Syncing)))
	disk, diskMsg := true, ""
	if d := st.Disk; d != nil {
		switch {
		case d.Error != "":
			disk, diskMsg = false, "free space unreadable: "+d.Error
		case d.ReadOnly:
			disk, diskMsg = false, "the database is read-only: the peer started on a full disk"
		case d.Low:
			disk, diskMsg = false, fmt.Sprintf("%d MiB free, below store.min_free_mb (%d MiB): submissions are refused", d.FreeBytes>>20, d.ReserveBytes>>20)
		}
	}
	add("disk", disk, diskMsg)
	add("store", st.Store.Healthy, "reads met corruption: "+st.Store.Error)
	return h
}
