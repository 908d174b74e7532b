package version

import (
	"runtime/debug"
	"testing"
)

func TestRead(t *testing.T) {
	stamped := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "7bf3c78"}, {Key: "vcs.modified", Value: "true"}, {Key: "vcs.time", Value: "2026-11-02T10:00:00Z"},
		}}, true
	}
	installed := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}}, true
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	for _, tc := range []struct {
		name     string
		override string
		bi       func() (*debug.BuildInfo, bool)
		want     Info
	}{
		{"ldflags wins", "v1.5.0-2-g7bf3c78", stamped, Info{Version: "v1.5.0-2-g7bf3c78", Commit: "7bf3c78", Modified: true, BuildTime: "2026-11-02T10:00:00Z", Go: "go1.26.8"}},
		{"go build in a checkout", "", stamped, Info{Version: "devel", Commit: "7bf3c78", Modified: true, BuildTime: "2026-11-02T10:00:00Z", Go: "go1.26.8"}},
		{"go install at a version", "", installed, Info{Version: "v1.4.0", Go: "go1.26.8"}},
	} {
		if got := read(tc.override, tc.bi); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if got := read("", none); got.Version != "devel" || got.Go == "" {
		t.Errorf("no build info: %+v", got)
	}
}
