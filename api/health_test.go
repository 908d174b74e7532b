package api_test

import (
	"testing"

	"github.com/credmesh/credmesh/api"
)

func TestReadiness(t *testing.T) {
	ready := api.Status{Recovery: &api.RecoveryStatus{State: "sealing"}, Store: api.StoreHealth{Healthy: true}, Disk: &api.DiskStatus{FreeBytes: 1 << 30}}
	for _, tc := range []struct {
		name   string
		change func(*api.Status)
		failed string // the one check that fails, "" for none
	}{
		{"ready", func(*api.Status) {}, ""},
		{"no disk watched", func(s *api.Status) { s.Disk = nil }, ""},
		{"recovering", func(s *api.Status) {
			s.Recovery = &api.RecoveryStatus{State: "recovering", Needed: 2, Message: "recovering own chain from the network"}
		}, "own_chain"},
		{"halted", func(s *api.Status) { s.Recovery = &api.RecoveryStatus{State: "halted"} }, "own_chain"},
		{"syncing", func(s *api.Status) { s.Syncing = []api.SyncTarget{{Issuer: "x", Target: 9}} }, "sync"},
		{"disk low", func(s *api.Status) { s.Disk = &api.DiskStatus{Low: true} }, "disk"},
		{"disk read-only", func(s *api.Status) { s.Disk = &api.DiskStatus{ReadOnly: true, Low: true} }, "disk"},
		{"disk unreadable", func(s *api.Status) { s.Disk = &api.DiskStatus{Error: "EIO"} }, "disk"},
		{"corrupt", func(s *api.Status) { s.Store = api.StoreHealth{Error: "checksum"} }, "store"},
	} {
		st := ready
		tc.change(&st)
		h := api.Readiness(st)
		if len(h.Checks) != 4 || h.Version == "" {
			t.Fatalf("%s: %+v", tc.name, h)
		}
		for _, c := range h.Checks {
			if c.OK == (c.Name == tc.failed) || (c.OK != (c.Message == "")) {
				t.Errorf("%s: check %+v", tc.name, c)
			}
		}
		if want := map[bool]string{true: "ok", false: "not_ready"}[tc.failed == ""]; h.Status != want {
			t.Errorf("%s: status %s, want %s", tc.name, h.Status, want)
		}
	}
}
