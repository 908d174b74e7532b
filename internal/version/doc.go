// Package version says which build of credmesh is running: the version
// `credmesh version` prints, GET /v1/status and the build_info metric
// carry, and the libp2p agent string ("credmesh/<version>") announces.
//
// Version is set at link time by the Makefile
// (-ldflags "-X github.com/credmesh/credmesh/internal/version.Version=...",
// from `git describe`). Without it (go build, go install, go test) it is
// read from the module's build information: the module version for
// `go install ...@v1.2.3`, otherwise "devel" with the VCS revision Go
// stamps into binaries built in a checkout. The override comes first
// because `go build` in a checkout knows only "(devel)".
package version
