package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	ma "github.com/multiformats/go-multiaddr"
)

// ConfigFile is the name of the configuration file in a peer's home.
const ConfigFile = "config.toml"

// Config is a peer's config.toml. Start from Default, change what you need,
// and call Validate; Load does all of this for a file. The toml tags are the
// keys of the file; the environment variable of a key is
// CREDMESH_<SECTION>_<KEY> upper-cased (see ApplyEnv).
type Config struct {
	// Name is the institution's display name, shown in logs, status and
	// the explorer: 1 to 64 characters, no control characters. Required.
	Name string `toml:"name" comment:"Institution display name, 1 to 64 characters. Required."`
	// P2P configures the libp2p host.
	P2P P2PConfig `toml:"p2p"`
	// API configures the local HTTP JSON API.
	API APIConfig `toml:"api"`
	// Store configures the database under <home>/data.
	Store StoreConfig `toml:"store"`
	// Log configures the structured log on standard error.
	Log LogConfig `toml:"log"`
	// Recovery configures how the peer recovers its own chain from the
	// other members before it signs (see docs/OPERATIONS.md).
	Recovery RecoveryConfig `toml:"recovery"`
	// Query configures the query protocol server: its rate limits and its
	// deadline.
	Query QueryConfig `toml:"query"`
	// CreditSource says where credit queries are answered from (see
	// CreditSourceConfig).
	CreditSource CreditSourceConfig `toml:"credit_source"`
}

// P2PConfig is the [p2p] section.
type P2PConfig struct {
	// Listen are the multiaddrs the host listens on, without /p2p/ (the
	// peer ID comes from the key). At least one. Default: TCP and QUIC on
	// port 7600 of every interface.
	Listen []string `toml:"listen" comment:"Multiaddrs to listen on (TCP and QUIC), without /p2p/. At least one."`
	// Bootstrap are multiaddrs of peers dialled at start to join the DHT;
	// each must end in /p2p/<peer-id>. Empty means the genesis members'
	// addresses.
	Bootstrap []string `toml:"bootstrap" comment:"Multiaddrs ending in /p2p/<peer-id> to dial at start. Empty: the genesis members' addrs."`
	// MaxPeers is the connection manager's high-water mark, in
	// connections: 10 to 10000. Default 200.
	MaxPeers int `toml:"max_peers" comment:"Connections kept before the oldest unprotected are trimmed, 10 to 10000."`
}

// APIConfig is the [api] section.
type APIConfig struct {
	// Listen is the host:port of the HTTP API. Default 127.0.0.1:7680.
	// An empty host, a wildcard or any non-loopback address exposes the
	// API to the network and then requires Token.
	Listen string `toml:"listen" comment:"host:port of the HTTP API. A non-loopback host requires a token."`
	// Token is the bearer token clients must send. Optional on a loopback
	// address, required elsewhere; when set, at least 16 printable ASCII
	// characters without spaces.
	Token string `toml:"token" comment:"Bearer token, at least 16 printable ASCII characters; required unless listen is a loopback address."`
}

// StoreConfig is the [store] section.
type StoreConfig struct {
	// CacheMB is the database block cache, in MiB: 8 to 65536. Default 128.
	CacheMB int `toml:"cache_mb" comment:"Database block cache in MiB, 8 to 65536."`
	// MinFreeMB is the free space on the data directory's file system, in
	// MiB, below which submissions are refused with HTTP 507; what is
	// already accepted is still sealed within it: 2 to 1048576, above
	// ReplicaMinFreeMB. Default 1024.
	MinFreeMB int `toml:"min_free_mb" comment:"Free disk space in MiB below which submissions are refused (HTTP 507), 2 to 1048576, above replica_min_free_mb."`
	// ReplicaMinFreeMB is the free space, in MiB, below which blocks of
	// other members are not stored either (they are synced once space
	// returns) and the ballast is deleted: 1 to MinFreeMB-1. Default 256.
	ReplicaMinFreeMB int `toml:"replica_min_free_mb" comment:"Free disk space in MiB below which other members' blocks are not stored (synced later) and the ballast is deleted."`
	// BallastMB is the size of <home>/data/ballast, in MiB, a file kept to
	// be deleted when the disk is nearly full, giving the peer room to
	// seal, restart and shut down cleanly: 0 (none) to 65536. Default 256.
	BallastMB int `toml:"ballast_mb" comment:"Size in MiB of data/ballast, deleted to make room on a nearly full disk; 0 for none."`
}

// LogConfig is the [log] section.
type LogConfig struct {
	// Level is the least severe level written: debug, info, warn or error.
	// Default info.
	Level string `toml:"level" comment:"debug, info, warn or error."`
	// Format is text (key=value) or json. Default text.
	Format string `toml:"format" comment:"text or json."`
}

// RecoveryConfig is the [recovery] section.
type RecoveryConfig struct {
	// MinAnswers is how many other members must answer that they hold
	// nothing of our own chain above our head before the peer signs its
	// next block: 0 means half of the other members, rounded up (at least
	// 1); at most the number of other members (checked against the
	// genesis when the peer starts), and MaxMinAnswers.
	MinAnswers int `toml:"min_answers" comment:"Other members that must confirm our own chain's head before we sign; 0: half of them, rounded up."`
}

// QueryConfig is the [query] section: the budgets and the deadline of the
// query protocol server (package queryproto). Every peer has a bucket of
// its own (peer_rate, peer_burst); on top of it, the members of the
// genesis together draw on the members' bucket and every other peer
// (light clients, anyone) on the clients' bucket, so no number of light
// clients can spend what members' credit queries need. Rates are requests
// per second, bursts the requests a full bucket grants at once.
type QueryConfig struct {
	// PeerRate and PeerBurst bound one peer, member or not: 1 to
	// MaxPeerRate. Defaults 200 and 400.
	PeerRate  int `toml:"peer_rate" comment:"Query requests per second one peer may make, member or not."`
	PeerBurst int `toml:"peer_burst" comment:"Query requests one peer may make at once."`
	// MembersRate and MembersBurst bound all members together: 1 to
	// MaxSharedRate. Defaults 20,000 and 20,000.
	MembersRate  int `toml:"members_rate" comment:"Query requests per second of all members together; light clients never draw on it."`
	MembersBurst int `toml:"members_burst" comment:"Query requests all members together may make at once."`
	// ClientsRate and ClientsBurst bound all other peers together: 1 to
	// MaxSharedRate. Defaults 20,000 and 20,000.
	ClientsRate  int `toml:"clients_rate" comment:"Query requests per second of every non-member peer (light clients) together."`
	ClientsBurst int `toml:"clients_burst" comment:"Query requests all non-member peers together may make at once."`
	// ServerTimeout is how long the server gives one query stream, from
	// its opening to the last byte of the answer: MinServerTimeout to
	// MaxServerTimeout. Default 10s.
	ServerTimeout Duration `toml:"server_timeout" comment:"Longest one query stream may take, opening to last byte answered: 1s to 10m."`
}

// Bounds of the numeric fields.
const (
	MaxNameChars = 64
	MinMaxPeers  = 10
	MaxMaxPeers  = 10000
	MinCacheMB   = 8
	MaxCacheMB   = 65536
	MaxMinFreeMB = 1 << 20
	MaxBallastMB = 65536
	MinTokenLen  = 16

	MaxMinAnswers = 10000

	MaxPeerRate      = 1_000_000
	MaxSharedRate    = 10_000_000
	MinServerTimeout = Duration(time.Second)
	MaxServerTimeout = Duration(10 * time.Minute)
)

// Default returns the configuration of a new peer. Its Name is empty, so it
// does not validate until one is set.
func Default() Config {
	return Config{
		P2P: P2PConfig{
			Listen:    []string{"/ip4/0.0.0.0/tcp/7600", "/ip4/0.0.0.0/udp/7600/quic-v1"},
			Bootstrap: []string{},
			MaxPeers:  200,
		},
		API:   APIConfig{Listen: "127.0.0.1:7680"},
		Store: StoreConfig{CacheMB: 128, MinFreeMB: 1024, ReplicaMinFreeMB: 256, BallastMB: 256},
		Log:   LogConfig{Level: "info", Format: "text"},
		Query: QueryConfig{
			PeerRate: 200, PeerBurst: 400,
			MembersRate: 20_000, MembersBurst: 20_000,
			ClientsRate: 20_000, ClientsBurst: 20_000,
			ServerTimeout: Duration(10 * time.Second),
		},
		CreditSource: DefaultCreditSource(),
	}
}

// Validate checks every field and reports every one that is off, each as a
// *FieldError naming config.toml and the field; the result wraps ErrInvalid.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fieldErr(ConfigFile, field, format, args...))
	}

	if err := checkName(c.Name); err != "" {
		bad("name", "%s", err)
	}

	if len(c.P2P.Listen) == 0 {
		bad("p2p.listen", "at least one address is required")
	}
	for i, s := range c.P2P.Listen {
		if err := checkListenAddr(s); err != "" {
			bad(fmt.Sprintf("p2p.listen[%d]", i), "%s", err)
		} else if sameTCPPort(s, c.API.Listen) {
			bad(fmt.Sprintf("p2p.listen[%d]", i), "%q uses the TCP port of api.listen (%s): give the peer and the API different ports", s, c.API.Listen)
		}
	}
	for i, s := range c.P2P.Bootstrap {
		if err := checkBootstrapAddr(s); err != "" {
			bad(fmt.Sprintf("p2p.bootstrap[%d]", i), "%s", err)
		}
	}
	if c.P2P.MaxPeers < MinMaxPeers || c.P2P.MaxPeers > MaxMaxPeers {
		bad("p2p.max_peers", "%d is outside %d..%d", c.P2P.MaxPeers, MinMaxPeers, MaxMaxPeers)
	}

	loopback, err := checkHostPort(c.API.Listen)
	if err != "" {
		bad("api.listen", "%s", err)
	}
	switch {
	case c.API.Token != "":
		if err := checkToken(c.API.Token); err != "" {
			bad("api.token", "%s", err)
		}
	case err == "" && !loopback:
		bad("api.token", "required when api.listen (%s) is not a loopback address", c.API.Listen)
	}

	if c.Store.CacheMB < MinCacheMB || c.Store.CacheMB > MaxCacheMB {
		bad("store.cache_mb", "%d is outside %d..%d", c.Store.CacheMB, MinCacheMB, MaxCacheMB)
	}
	if c.Store.MinFreeMB < 2 || c.Store.MinFreeMB > MaxMinFreeMB {
		bad("store.min_free_mb", "%d is outside 2..%d", c.Store.MinFreeMB, MaxMinFreeMB)
	}
	if c.Store.ReplicaMinFreeMB < 1 || c.Store.ReplicaMinFreeMB >= c.Store.MinFreeMB {
		bad("store.replica_min_free_mb", "%d is outside 1..%d (it must be below store.min_free_mb, %d)", c.Store.ReplicaMinFreeMB, max(c.Store.MinFreeMB-1, 1), c.Store.MinFreeMB)
	}
	if c.Store.BallastMB < 0 || c.Store.BallastMB > MaxBallastMB {
		bad("store.ballast_mb", "%d is outside 0..%d", c.Store.BallastMB, MaxBallastMB)
	}

	if c.Recovery.MinAnswers < 0 || c.Recovery.MinAnswers > MaxMinAnswers {
		bad("recovery.min_answers", "%d is outside 0..%d", c.Recovery.MinAnswers, MaxMinAnswers)
	}

	for _, f := range []struct {
		key      string
		v, limit int
	}{
		{"query.peer_rate", c.Query.PeerRate, MaxPeerRate},
		{"query.peer_burst", c.Query.PeerBurst, MaxPeerRate},
		{"query.members_rate", c.Query.MembersRate, MaxSharedRate},
		{"query.members_burst", c.Query.MembersBurst, MaxSharedRate},
		{"query.clients_rate", c.Query.ClientsRate, MaxSharedRate},
		{"query.clients_burst", c.Query.ClientsBurst, MaxSharedRate},
	} {
		if f.v < 1 || f.v > f.limit {
			bad(f.key, "%d is outside 1..%d", f.v, f.limit)
		}
	}
	if t := c.Query.ServerTimeout; t < MinServerTimeout || t > MaxServerTimeout {
		hint := ""
		if t < Duration(time.Millisecond) {
			hint = ` (a duration is a string with its unit, such as "10s")`
		}
		bad("query.server_timeout", "%s is outside %s..%s%s", t.D(), MinServerTimeout.D(), MaxServerTimeout.D(), hint)
	}

	c.CreditSource.validate(bad)

	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "%q is not one of text, json", c.Log.Format)
	}
	return errors.Join(errs...)
}

// checkName checks a display name; it returns what is wrong, or "".
func checkName(s string) string {
	switch n := utf8.RuneCountInString(s); {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.TrimSpace(s) == "":
		return "required: 1 to 64 characters"
	case n > MaxNameChars:
		return fmt.Sprintf("has %d characters, at most %d are allowed", n, MaxNameChars)
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		return fmt.Sprintf("contains a control character (%q)", s[i:i+1])
	}
	return ""
}

func checkListenAddr(s string) string {
	m, err := ma.NewMultiaddr(s)
	if err != nil {
		return fmt.Sprintf("%q is not a multiaddr: %v", s, err)
	}
	for _, c := range m {
		if c.Code() == ma.P_P2P {
			return fmt.Sprintf("%q must not contain /p2p/: the peer ID comes from the key", s)
		}
	}
	return ""
}

func checkBootstrapAddr(s string) string {
	m, err := ma.NewMultiaddr(s)
	if err != nil {
		return fmt.Sprintf("%q is not a multiaddr: %v", s, err)
	}
	if len(m) < 2 || m[len(m)-1].Code() != ma.P_P2P {
		return fmt.Sprintf("%q must be an address followed by /p2p/<peer-id>", s)
	}
	return ""
}

// checkHostPort checks host:port and reports whether host is a loopback
// address (localhost, 127.0.0.0/8, ::1).
func checkHostPort(s string) (loopback bool, problem string) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return false, fmt.Sprintf("%q is not host:port: %v", s, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return false, fmt.Sprintf("%q: port %q is not a number in 0..65535", s, port)
	}
	if host == "localhost" {
		return true, ""
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback(), ""
}

func checkToken(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return fmt.Sprintf("character %d is not printable ASCII (spaces are not allowed either)", i+1)
		}
	}
	if len(s) < MinTokenLen {
		return fmt.Sprintf("has %d characters, at least %d are required", len(s), MinTokenLen)
	}
	return ""
}
