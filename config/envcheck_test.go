package config_test

import (
	"strings"
	"testing"

	"github.com/credmesh/credmesh/config"
)

func TestUnknownEnv(t *testing.T) {
	got := config.UnknownEnv([]string{
		"PATH=/bin",
		"CREDMESH_API_TOKN=0123456789abcdef",
		"CREDMESH_API_TOKEN=0123456789abcdef", // known
		"CREDMESH_HOME=/srv/credmesh",         // known, not a key
		"CREDMESH_LOGLEVEL=debug",
		"CREDMESH_LOGLEVEL=info", // reported once
		"CREDMESH_TEST_LOG=1",    // the project's tests
		"CREDMESH_P2P_LISTEN=/ip4/127.0.0.1/tcp/1",
	})
	if len(got) != 2 {
		t.Fatalf("got %d warnings, want 2: %q", len(got), got)
	}
	for i, want := range [][2]string{
		{"CREDMESH_API_TOKN", "CREDMESH_API_TOKEN"},
		{"CREDMESH_LOGLEVEL", "CREDMESH_LOG_LEVEL"},
	} {
		if !strings.Contains(got[i], want[0]+" is not one credmesh reads") || !strings.Contains(got[i], "closest known is "+want[1]+";") {
			t.Errorf("warning %d: %q, want %s with the closest name %s", i, got[i], want[0], want[1])
		}
	}
	if got := config.UnknownEnv([]string{"CREDMESH_NAME=x", "HOME=/root"}); len(got) != 0 {
		t.Errorf("known variables only: %q", got)
	}
}

// Errors about a key set by a variable or a flag name it, not the file.
func TestSourcesBlame(t *testing.T) {
	c := validConfig()
	c.API.Listen = "127.0.0.1:99999"
	c.P2P.Listen = []string{"/ip4/127.0.0.1/tcp/70000"}
	c.P2P.MaxPeers = 1
	src := config.EnvSources([]string{"CREDMESH_P2P_LISTEN=/ip4/127.0.0.1/tcp/70000", "CREDMESH_HOME=/x"})
	src.SetBy("api.listen", "--api-listen")
	msg := src.Blame(c.Validate(), "/srv/bank/config.toml").Error()
	for _, want := range []string{
		"command line: --api-listen (api.listen): ",
		"environment: CREDMESH_P2P_LISTEN (p2p.listen[0]): ",
		"/srv/bank/config.toml: p2p.max_peers: ",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if got := src.Of("api.listen", "config.toml"); got != "set by --api-listen" {
		t.Errorf("Of(api.listen) = %q", got)
	}
	if got := src.Of("api.token", "/srv/bank/config.toml"); got != "from /srv/bank/config.toml" {
		t.Errorf("Of(api.token) = %q", got)
	}
}
