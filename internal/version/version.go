package version

import (
	"runtime"
	"runtime/debug"
	"sync"
)

// Version is the release of this build, set with -ldflags -X (see the
// package doc); empty means "read it from the build information".
var Version string

// Info is what a build knows of itself.
type Info struct {
	Version   string `json:"version"`              // v1.2.0, v1.2.0-3-gabc1234, or devel
	Commit    string `json:"commit,omitempty"`     // VCS revision, when Go stamped one
	Modified  bool   `json:"modified,omitempty"`   // built from a checkout with local changes
	BuildTime string `json:"build_time,omitempty"` // VCS commit time, RFC 3339
	Go        string `json:"go"`                   // toolchain, e.g. go1.26.8
}

var (
	once sync.Once
	info Info
)

// Get returns the build's information, read once.
func Get() Info {
	once.Do(func() { info = read(Version, debug.ReadBuildInfo) })
	return info
}

// String is the version alone, as status and the agent string show it.
func String() string { return Get().Version }

// read is Get with its inputs passed in, for tests.
func read(override string, buildInfo func() (*debug.BuildInfo, bool)) Info {
	in := Info{Version: override, Go: runtime.Version()}
	bi, ok := buildInfo()
	if ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				in.Commit = s.Value
			case "vcs.modified":
				in.Modified = s.Value == "true"
			case "vcs.time":
				in.BuildTime = s.Value
			}
		}
		if bi.GoVersion != "" {
			in.Go = bi.GoVersion
		}
	}
	if in.Version == "" && ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		in.Version = bi.Main.Version
	}
	if in.Version == "" {
		in.Version = "devel"
	}
	return in
}
