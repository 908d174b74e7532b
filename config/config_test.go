package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/config"
)

func validConfig() config.Config {
	c := config.Default()
	c.Name = "Example Bank"
	return c
}

func TestDefaultValidates(t *testing.T) {
	if err := validConfig().Validate(); err != nil {
		t.Fatalf("default config with a name: %v", err)
	}
	err := config.Default().Validate()
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "config.toml: name: required") {
		t.Fatalf("default config without a name: got %v, want name required", err)
	}
}

func TestValidate(t *testing.T) {
	const peerID = "12D3KooWBuVNNhPbUcgPFaqFKFE7ZZvMuiYwCbEzyTLRsFSdCuPM"
	tests := []struct {
		name string
		edit func(*config.Config)
		want string // substring of the error; "" means valid
	}{
		{"name empty", func(c *config.Config) { c.Name = "" }, "config.toml: name: required"},
		{"name blank", func(c *config.Config) { c.Name = "   " }, "config.toml: name: required"},
		{"name 64 runes", func(c *config.Config) { c.Name = strings.Repeat("é", 64) }, ""},
		{"name 65 runes", func(c *config.Config) { c.Name = strings.Repeat("a", 65) }, "config.toml: name: has 65 characters"},
		{"name control", func(c *config.Config) { c.Name = "a\nb" }, "config.toml: name: contains a control character"},
		{"name bad utf8", func(c *config.Config) { c.Name = "a\xffb" }, "config.toml: name: is not valid UTF-8"},

		{"listen empty", func(c *config.Config) { c.P2P.Listen = nil }, "config.toml: p2p.listen: at least one address"},
		{"listen bad", func(c *config.Config) { c.P2P.Listen = []string{"/ip4/0.0.0.0/tcp/7600", "tcp://x"} }, "config.toml: p2p.listen[1]: \"tcp://x\" is not a multiaddr"},
		{"listen with p2p", func(c *config.Config) { c.P2P.Listen = []string{"/ip4/0.0.0.0/tcp/7600/p2p/" + peerID} }, "config.toml: p2p.listen[0]: \"/ip4/0.0.0.0/tcp/7600/p2p/" + peerID + "\" must not contain /p2p/"},
		{"bootstrap ok", func(c *config.Config) { c.P2P.Bootstrap = []string{"/dns4/peer.example/tcp/7600/p2p/" + peerID} }, ""},
		{"bootstrap without id", func(c *config.Config) { c.P2P.Bootstrap = []string{"/ip4/10.0.0.1/tcp/7600"} }, "config.toml: p2p.bootstrap[0]: \"/ip4/10.0.0.1/tcp/7600\" must be an address followed by /p2p/<peer-id>"},
		{"bootstrap id only", func(c *config.Config) { c.P2P.Bootstrap = []string{"/p2p/" + peerID} }, "config.toml: p2p.bootstrap[0]: "},
		{"bootstrap bad id", func(c *config.Config) { c.P2P.Bootstrap = []string{"/ip4/10.0.0.1/tcp/7600/p2p/nonsense"} }, "config.toml: p2p.bootstrap[0]: \"/ip4/10.0.0.1/tcp/7600/p2p/nonsense\" is not a multiaddr"},
		{"max_peers low", func(c *config.Config) { c.P2P.MaxPeers = 9 }, "config.toml: p2p.max_peers: 9 is outside 10..10000"},
		{"max_peers high", func(c *config.Config) { c.P2P.MaxPeers = 10001 }, "config.toml: p2p.max_peers: 10001 is outside 10..10000"},
		{"max_peers bounds", func(c *config.Config) { c.P2P.MaxPeers = 10 }, ""},
		{"max_peers upper bound", func(c *config.Config) { c.P2P.MaxPeers = 10000 }, ""},

		{"api listen no port", func(c *config.Config) { c.API.Listen = "127.0.0.1" }, "config.toml: api.listen: \"127.0.0.1\" is not host:port"},
		{"api listen bad port", func(c *config.Config) { c.API.Listen = "127.0.0.1:70000" }, "config.toml: api.listen: \"127.0.0.1:70000\": port \"70000\" is not a number"},
		{"api wildcard without token", func(c *config.Config) { c.API.Listen = "0.0.0.0:7680" },
			"config.toml: api.token: required when api.listen (0.0.0.0:7680) is not a loopback address"},
		{"api empty host without token", func(c *config.Config) { c.API.Listen = ":7680" }, "config.toml: api.token: required when api.listen (:7680)"},
		{"api lan without token", func(c *config.Config) { c.API.Listen = "192.168.1.5:7680" }, "config.toml: api.token: required"},
		{"api hostname without token", func(c *config.Config) { c.API.Listen = "peer.example:7680" }, "config.toml: api.token: required"},
		{"api ipv6 loopback", func(c *config.Config) { c.API.Listen = "[::1]:7680" }, ""},
		{"api localhost", func(c *config.Config) { c.API.Listen = "localhost:7680" }, ""},
		{"api 127/8", func(c *config.Config) { c.API.Listen = "127.1.2.3:0" }, ""},
		{"api lan with token", func(c *config.Config) { c.API.Listen = "0.0.0.0:7680"; c.API.Token = "0123456789abcdef" }, ""},
		{"token short", func(c *config.Config) { c.API.Listen = "0.0.0.0:7680"; c.API.Token = "0123456789abcde" }, "config.toml: api.token: has 15 characters, at least 16"},
		{"token short on loopback", func(c *config.Config) { c.API.Token = "short" }, "config.toml: api.token: has 5 characters"},
		{"token space", func(c *config.Config) { c.API.Token = "0123456789 abcdef" }, "config.toml: api.token: character 11 is not printable ASCII"},

		{"cache low", func(c *config.Config) { c.Store.CacheMB = 7 }, "config.toml: store.cache_mb: 7 is outside 8..65536"},
		{"cache high", func(c *config.Config) { c.Store.CacheMB = 65537 }, "config.toml: store.cache_mb: 65537 is outside 8..65536"},
		{"cache bounds", func(c *config.Config) { c.Store.CacheMB = 8 }, ""},
		{"min free low", func(c *config.Config) { c.Store.MinFreeMB = 1; c.Store.ReplicaMinFreeMB = 1 }, "config.toml: store.min_free_mb: 1 is outside 2..1048576"},
		{"min free high", func(c *config.Config) { c.Store.MinFreeMB = 1<<20 + 1 }, "config.toml: store.min_free_mb: 1048577 is outside 2..1048576"},
		{"replica floor at reserve", func(c *config.Config) { c.Store.ReplicaMinFreeMB = c.Store.MinFreeMB }, "config.toml: store.replica_min_free_mb: 1024 is outside 1..1023 (it must be below store.min_free_mb, 1024)"},
		{"replica floor zero", func(c *config.Config) { c.Store.ReplicaMinFreeMB = 0 }, "config.toml: store.replica_min_free_mb: 0 is outside 1..1023"},
		{"small disk", func(c *config.Config) { c.Store.MinFreeMB, c.Store.ReplicaMinFreeMB, c.Store.BallastMB = 2, 1, 0 }, ""},
		{"ballast negative", func(c *config.Config) { c.Store.BallastMB = -1 }, "config.toml: store.ballast_mb: -1 is outside 0..65536"},
		{"ballast high", func(c *config.Config) { c.Store.BallastMB = 65537 }, "config.toml: store.ballast_mb: 65537 is outside 0..65536"},
		{"min answers negative", func(c *config.Config) { c.Recovery.MinAnswers = -1 }, "config.toml: recovery.min_answers: -1 is outside 0..10000"},
		{"min answers set", func(c *config.Config) { c.Recovery.MinAnswers = 3 }, ""},

		{"query peer rate zero", func(c *config.Config) { c.Query.PeerRate = 0 }, "config.toml: query.peer_rate: 0 is outside 1..1000000"},
		{"query peer burst high", func(c *config.Config) { c.Query.PeerBurst = 1_000_001 }, "config.toml: query.peer_burst: 1000001 is outside 1..1000000"},
		{"query members rate", func(c *config.Config) { c.Query.MembersRate = -1 }, "config.toml: query.members_rate: -1 is outside 1..10000000"},
		{"query members burst", func(c *config.Config) { c.Query.MembersBurst = 0 }, "config.toml: query.members_burst: 0 is outside 1..10000000"},
		{"query clients rate", func(c *config.Config) { c.Query.ClientsRate = 10_000_001 }, "config.toml: query.clients_rate: 10000001 is outside 1..10000000"},
		{"query clients burst", func(c *config.Config) { c.Query.ClientsBurst = 0 }, "config.toml: query.clients_burst: 0 is outside 1..10000000"},
		{"query small budgets", func(c *config.Config) {
			c.Query = config.QueryConfig{PeerRate: 1, PeerBurst: 1, MembersRate: 1, MembersBurst: 1, ClientsRate: 1, ClientsBurst: 1, ServerTimeout: config.MinServerTimeout}
		}, ""},
		{"query timeout short", func(c *config.Config) { c.Query.ServerTimeout = config.Duration(999 * time.Millisecond) }, "config.toml: query.server_timeout: 999ms is outside 1s..10m0s"},
		{"query timeout long", func(c *config.Config) { c.Query.ServerTimeout = config.MaxServerTimeout + 1 }, "config.toml: query.server_timeout: 10m0.000000001s is outside 1s..10m0s"},
		{"query timeout unitless", func(c *config.Config) { c.Query.ServerTimeout = 10 }, `config.toml: query.server_timeout: 10ns is outside 1s..10m0s (a duration is a string with its unit, such as "10s")`},

		{"level", func(c *config.Config) { c.Log.Level = "verbose" }, "config.toml: log.level: \"verbose\" is not one of debug, info, warn, error"},
		{"level debug", func(c *config.Config) { c.Log.Level = "debug" }, ""},
		{"format", func(c *config.Config) { c.Log.Format = "xml" }, "config.toml: log.format: \"xml\" is not one of text, json"},
		{"format json", func(c *config.Config) { c.Log.Format = "json" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.edit(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if !errors.Is(err, config.ErrInvalid) {
				t.Errorf("%v does not wrap ErrInvalid", err)
			}
			var fe *config.FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Errorf("%v: no *FieldError with a field", err)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := validConfig()
	c.P2P.MaxPeers = 1
	c.Log.Level = "loud"
	err := c.Validate()
	for _, want := range []string{"p2p.max_peers", "log.level"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want it to mention %s", err, want)
		}
	}
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFile(t *testing.T) {
	p := writeTemp(t, "config.toml", `
name = "Tax Authority"

[p2p]
listen = ["/ip4/10.0.0.1/tcp/9000"]
max_peers = 50

[api]
listen = "0.0.0.0:8080"
token = "0123456789abcdef0123"

[log]
format = "json"

[query]
clients_rate = 5000
server_timeout = "1m30s"
`)
	c, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	want := config.Default()
	want.Name = "Tax Authority"
	want.P2P.Listen = []string{"/ip4/10.0.0.1/tcp/9000"} // replaced, not appended to the default
	want.P2P.MaxPeers = 50
	want.API = config.APIConfig{Listen: "0.0.0.0:8080", Token: "0123456789abcdef0123"}
	want.Log.Format = "json"
	want.Query.ClientsRate = 5000
	want.Query.ServerTimeout = config.Duration(90 * time.Second)
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got  %+v\nwant %+v", c, want)
	}
}

func TestLoadRefusesUnknownKey(t *testing.T) {
	p := writeTemp(t, "config.toml", "name = \"x\"\n\n[p2p]\nmaxpeers = 20\n")
	_, err := config.Load(p)
	want := p + ":4:1: p2p.maxpeers: unknown key (known here: listen, bootstrap, max_peers)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	if !errors.Is(err, config.ErrInvalid) {
		t.Errorf("%v does not wrap ErrInvalid", err)
	}

	p = writeTemp(t, "config.toml", "name = \"x\"\nhome = \"/var\"\n")
	_, err = config.Load(p)
	if err == nil || !strings.Contains(err.Error(), ":2:1: home: unknown key") {
		t.Fatalf("got %v, want home refused at line 2", err)
	}
}

func TestLoadSyntaxError(t *testing.T) {
	p := writeTemp(t, "config.toml", "name = \"x\"\n[p2p]\nlisten = [\"/ip4/0.0.0.0/tcp/1\"\nmax_peers = 20\n")
	_, err := config.Load(p)
	var fe *config.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a *FieldError", err)
	}
	if fe.Line != 4 || fe.Column == 0 || !strings.HasPrefix(err.Error(), p+":4:") || !strings.Contains(err.Error(), "TOML syntax") {
		t.Fatalf("got %v (line %d, column %d), want a syntax error at line 4", err, fe.Line, fe.Column)
	}

	p = writeTemp(t, "config.toml", "name = \"x\"\n[store]\ncache_mb = \"big\"\n")
	_, err = config.Load(p)
	want := p + ":3:12: store.cache_mb: a TOML string where an integer is expected"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}

	p = writeTemp(t, "config.toml", "name = \"x\"\n[query]\nserver_timeout = \"ten seconds\"\n")
	_, err = config.Load(p)
	want = p + ":3:18: query.server_timeout: \"ten seconds\" is not a duration such as \"10s\" or \"500ms\""
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestLoadValidates(t *testing.T) {
	p := writeTemp(t, "config.toml", "name = \"x\"\n[api]\nlisten = \"0.0.0.0:7680\"\n")
	_, err := config.Load(p)
	want := p + ": api.token: required when api.listen (0.0.0.0:7680) is not a loopback address"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "config.toml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want not exist", err)
	}
}

func TestWriteFileRoundTrip(t *testing.T) {
	c := validConfig()
	c.P2P.Bootstrap = []string{"/ip4/10.0.0.2/udp/7600/quic-v1/p2p/12D3KooWBuVNNhPbUcgPFaqFKFE7ZZvMuiYwCbEzyTLRsFSdCuPM"}
	c.API.Token = `quote"and'back\slash`
	c.Query.ServerTimeout = config.Duration(1500 * time.Millisecond)
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := c.WriteFile(p); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "# credmesh peer configuration.") {
		t.Errorf("no comment header:\n%s", data)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	got, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("got  %+v\nwant %+v", got, c)
	}

	bad := validConfig()
	bad.Store.CacheMB = 1
	if err := bad.WriteFile(p); err == nil || !strings.Contains(err.Error(), p+": store.cache_mb") {
		t.Fatalf("writing an invalid config: got %v", err)
	}
}
