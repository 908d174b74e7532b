package config_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/config"
)

func TestApplyEnv(t *testing.T) {
	c := validConfig()
	err := config.ApplyEnv(&c, []string{
		"PATH=/bin",
		"CREDMESH_NAME=Env Bank",
		"CREDMESH_API_LISTEN=0.0.0.0:9999",
		"CREDMESH_API_TOKEN=a=b=c=d=e=f=g=h=i",
		"CREDMESH_P2P_MAX_PEERS= 300 ",
		"CREDMESH_P2P_LISTEN=/ip4/0.0.0.0/tcp/1, /ip4/0.0.0.0/udp/1/quic-v1 ,",
		"CREDMESH_LOG_LEVEL=debug",
		"CREDMESH_LOG_LEVEL=error", // the first counts, as with os.Getenv
		"CREDMESH_HOME=/elsewhere", // not a key: ignored
	})
	if err != nil {
		t.Fatal(err)
	}
	want := validConfig()
	want.Name = "Env Bank"
	want.API = config.APIConfig{Listen: "0.0.0.0:9999", Token: "a=b=c=d=e=f=g=h=i"}
	want.P2P.MaxPeers = 300
	want.P2P.Listen = []string{"/ip4/0.0.0.0/tcp/1", "/ip4/0.0.0.0/udp/1/quic-v1"}
	want.Log.Level = "debug"
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got  %+v\nwant %+v", c, want)
	}
}

func TestApplyEnvEmptyList(t *testing.T) {
	c := validConfig()
	c.P2P.Bootstrap = []string{"/ip4/10.0.0.1/tcp/1/p2p/12D3KooWBuVNNhPbUcgPFaqFKFE7ZZvMuiYwCbEzyTLRsFSdCuPM"}
	if err := config.ApplyEnv(&c, []string{"CREDMESH_P2P_BOOTSTRAP="}); err != nil {
		t.Fatal(err)
	}
	if c.P2P.Bootstrap == nil || len(c.P2P.Bootstrap) != 0 {
		t.Fatalf("got %#v, want an empty list", c.P2P.Bootstrap)
	}
}

func TestApplyEnvBadValue(t *testing.T) {
	c := validConfig()
	err := config.ApplyEnv(&c, []string{"CREDMESH_STORE_CACHE_MB=lots", "CREDMESH_P2P_MAX_PEERS=12.5", "CREDMESH_QUERY_SERVER_TIMEOUT=10"})
	for _, want := range []string{
		`environment: CREDMESH_STORE_CACHE_MB: "lots" is not an integer (for store.cache_mb)`,
		`environment: CREDMESH_P2P_MAX_PEERS: "12.5" is not an integer (for p2p.max_peers)`,
		`environment: CREDMESH_QUERY_SERVER_TIMEOUT: "10" is not a duration such as "10s" or "500ms" (for query.server_timeout)`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want it to contain %q", err, want)
		}
	}
	if !errors.Is(err, config.ErrInvalid) {
		t.Errorf("%v does not wrap ErrInvalid", err)
	}
	if c.Store.CacheMB != config.Default().Store.CacheMB {
		t.Errorf("cache_mb changed to %d by a bad value", c.Store.CacheMB)
	}
}

// Every key of the file has a variable, and every variable can be set: a
// new field of an unsupported type fails here.
func TestEnvCoversEveryKey(t *testing.T) {
	vars := config.EnvVars()
	want := []string{
		"CREDMESH_NAME", "CREDMESH_P2P_LISTEN", "CREDMESH_P2P_BOOTSTRAP", "CREDMESH_P2P_MAX_PEERS",
		"CREDMESH_API_LISTEN", "CREDMESH_API_TOKEN", "CREDMESH_STORE_CACHE_MB",
		"CREDMESH_STORE_MIN_FREE_MB", "CREDMESH_STORE_REPLICA_MIN_FREE_MB", "CREDMESH_STORE_BALLAST_MB",
		"CREDMESH_LOG_LEVEL", "CREDMESH_LOG_FORMAT",
		"CREDMESH_RECOVERY_MIN_ANSWERS",
		"CREDMESH_QUERY_PEER_RATE", "CREDMESH_QUERY_PEER_BURST", "CREDMESH_QUERY_MEMBERS_RATE",
		"CREDMESH_QUERY_MEMBERS_BURST", "CREDMESH_QUERY_CLIENTS_RATE", "CREDMESH_QUERY_CLIENTS_BURST",
		"CREDMESH_QUERY_SERVER_TIMEOUT",
		"CREDMESH_CREDIT_SOURCE_KIND", "CREDMESH_CREDIT_SOURCE_DSN", "CREDMESH_CREDIT_SOURCE_PASSWORD_FILE",
		"CREDMESH_CREDIT_SOURCE_PASSWORD_ENV", "CREDMESH_CREDIT_SOURCE_VIEW", "CREDMESH_CREDIT_SOURCE_QUERY",
		"CREDMESH_CREDIT_SOURCE_SUBJECTS_QUERY", "CREDMESH_CREDIT_SOURCE_MAX_CONNS",
		"CREDMESH_CREDIT_SOURCE_QUERY_TIMEOUT", "CREDMESH_CREDIT_SOURCE_INDEX_REFRESH",
	}
	var got []string
	for _, kv := range vars {
		got = append(got, kv[1])
		if config.EnvVar(kv[0]) != kv[1] {
			t.Errorf("EnvVar(%q) = %q, want %q", kv[0], config.EnvVar(kv[0]), kv[1])
		}
		c := validConfig()
		value := "42"
		if strings.HasSuffix(kv[0], "timeout") || strings.HasSuffix(kv[0], "refresh") {
			value = "42s"
		}
		if err := config.ApplyEnv(&c, []string{kv[1] + "=" + value}); err != nil {
			t.Errorf("%s cannot be set: %v", kv[1], err)
		}
		if reflect.DeepEqual(c, validConfig()) {
			t.Errorf("%s=%s changed nothing", kv[1], value)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("variables\ngot  %v\nwant %v", got, want)
	}
}

func TestLoadAppliesEnv(t *testing.T) {
	p := writeTemp(t, "config.toml", "name = \"File Name\"\n[log]\nlevel = \"warn\"\n")
	t.Setenv("CREDMESH_LOG_LEVEL", "debug")
	t.Setenv("CREDMESH_API_LISTEN", "127.0.0.1:1234")
	c, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "File Name" || c.Log.Level != "debug" || c.API.Listen != "127.0.0.1:1234" {
		t.Fatalf("got %+v, want the name from the file and level and listen from the environment", c)
	}

	// A value out of bounds that came from the environment is blamed on
	// the variable, not on the file.
	t.Setenv("CREDMESH_P2P_MAX_PEERS", "5")
	_, err = config.Load(p)
	want := "environment: CREDMESH_P2P_MAX_PEERS (p2p.max_peers): 5 is outside 10..10000"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}

	t.Setenv("CREDMESH_P2P_MAX_PEERS", "five")
	_, err = config.Load(p)
	if err == nil || !strings.Contains(err.Error(), "CREDMESH_P2P_MAX_PEERS") {
		t.Fatalf("got %v, want the variable named", err)
	}
}
